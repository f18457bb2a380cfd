"""STIX 2.1 patterns for the indicators articles carry (``indicators``: a list of
``{"type", "value"}``, values refanged; workers/indicators*).

A pattern compares one property of one cyber-observable to a string literal, so
a value is quoted with single quotes and its backslashes and quotes escaped
(STIX 2.1 patterning, section 9: ``\\'`` and ``\\\\`` are the only escapes).
CVE ids become ``vulnerability`` objects, not indicators; types with no STIX
cyber-observable of their own (``btc`` and whatever else an extractor adds)
have no pattern and are counted as left out, not guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Indicator type -> the observable property its pattern compares. Hash algorithm
# names are STIX's hash-algorithm-ov spellings, quoted where they hold a hyphen.
PATTERN_PATHS: Mapping[str, str] = {
    "url": "url:value",
    "domain": "domain-name:value",
    "ipv4": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "email": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
}
# Hash values are hex; STIX consumers compare them case-sensitively, and every
# feed we know writes them in lower case.
LOWER_CASED = frozenset({"md5", "sha1", "sha256", "domain", "email"})


def quoted(value: str) -> str:
    """``value`` as a STIX pattern string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class IndicatorValue:
    """One indicator as an article carries it, normalised for the pattern and its id."""

    type: str
    value: str

    @property
    def pattern(self) -> str | None:
        """``[ipv4-addr:value = '1.2.3.4']``, or None for a type STIX has no observable for."""
        path = PATTERN_PATHS.get(self.type)
        return f"[{path} = {quoted(self.value)}]" if path else None


def indicator_value(raw: object) -> IndicatorValue | None:
    """The article's ``{"type", "value"}`` entry normalised, or None when it is not one."""
    if not isinstance(raw, Mapping):
        return None
    kind, value = raw.get("type"), raw.get("value")
    if not isinstance(kind, str) or not isinstance(value, str) or not value.strip():
        return None
    kind, value = kind.strip().lower(), value.strip()
    return IndicatorValue(kind, value.lower() if kind in LOWER_CASED else value)
