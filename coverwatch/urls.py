"""URL canonicalisation: one spelling per article, so one document id per article."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that identify a campaign or a click, never the article.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid",
        "_ga", "_gl", "cmpid", "ocid", "ncid", "sr_share", "smid", "ito", "at_medium",
        "at_campaign", "ref_src", "ref", "share", "xtor", "guccounter", "taid", "amp",
        "outputtype",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "hsa_", "__twitter", "vero_")
_AMP_SUFFIX = re.compile(r"/amp(?:/|\.html)?$")
_AMP_INFIX = re.compile(r"\.amp(?=\.html?$)")


class InvalidURL(ValueError):
    """The string is not an absolute http(s) URL."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments, tracking
    parameters and AMP suffixes; sort what query remains."""
    try:
        # urlsplit and .port raise a bare ValueError for a bad bracketed host or port.
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as failure:
        raise InvalidURL(f"not a valid URL: {url[:200]!r}: {failure}") from failure
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidURL(f"not an absolute http(s) URL: {url[:200]!r}")
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    if ":" in host:
        host = f"[{host}]"  # hostname drops an IPv6 literal's brackets; the URL needs them back
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = _AMP_INFIX.sub("", _AMP_SUFFIX.sub("", path)) or "/"
    query_pairs = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    query = urlencode(sorted(query_pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


def article_id(canonical_url: str) -> str:
    """Stable document id: the same article always lands on the same document."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()
