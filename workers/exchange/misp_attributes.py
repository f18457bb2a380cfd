"""A story's MISP attributes: each indicator its articles report (and each CVE),
typed and categorised as MISP expects, and each article as a link.

Indicator types (the article's ``indicators``, workers/indicators/) map to
MISP types by :data:`MISP_TYPES`; a type that is already a MISP type name
(``sha512``, ``filename`` ...) passes through with its default category, any
other is left out and counted. ``to_ids`` is MISP's default for the type (off
for CVEs and links) and only when the value is on no MISP warning list that
applies to the type (workers/exchange/misp_warnings.py): a value on one says
which in its comment. Every attribute's comment cites the first article that
reported the value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from search.story_records import StoryRecord
from workers.exchange.misp_warnings import WarningIndex

log = logging.getLogger(__name__)

# Indicator type -> (MISP type, category). Addresses a report names are most
# often where the intrusion called out to: ip-dst. An email address in a report
# is most often a phishing sender: email-src, which every MISP version knows
# (the newer plain ``email`` type is not on older instances).
MISP_TYPES: dict[str, tuple[str, str]] = {
    "url": ("url", "Network activity"),
    "domain": ("domain", "Network activity"),
    "hostname": ("hostname", "Network activity"),
    "ipv4": ("ip-dst", "Network activity"),
    "ipv6": ("ip-dst", "Network activity"),
    "md5": ("md5", "Payload delivery"),
    "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"),
    "email": ("email-src", "Payload delivery"),
    "cve": ("vulnerability", "External analysis"),
    "btc": ("btc", "Financial fraud"),
    "xmr": ("xmr", "Financial fraud"),
}
LINK_CATEGORY = "External analysis"
COMMENT_CHARS = 500


@dataclass(frozen=True)
class DescribeTypes:
    """pymisp's copy of MISP's describeTypes: which category may hold which type."""

    defaults: Mapping[str, Mapping[str, Any]]
    categories: Mapping[str, frozenset[str]]

    def allows(self, category: str, misp_type: str) -> bool:
        return misp_type in self.categories.get(category, frozenset())

    def default_to_ids(self, misp_type: str) -> bool:
        return bool(int(self.defaults.get(misp_type, {}).get("to_ids", 0)))


@lru_cache(maxsize=1)
def describe_types() -> DescribeTypes:
    text = resources.files("pymisp").joinpath("data", "describeTypes.json").read_text(encoding="utf-8")
    result = json.loads(text)["result"]
    return DescribeTypes(result["sane_defaults"],
                         {category: frozenset(types) for category, types in result["category_type_mappings"].items()})


def misp_type_of(indicator_type: str) -> tuple[str, str] | None:
    """The MISP (type, category) of an indicator type; None when MISP has no type for it."""
    if indicator_type in MISP_TYPES:
        return MISP_TYPES[indicator_type]
    known = describe_types().defaults.get(indicator_type)
    if known is not None:
        return indicator_type, str(known["default_category"])
    return None


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of a story's event, before it becomes a pymisp object."""

    misp_type: str
    category: str
    value: str
    to_ids: bool
    comment: str


def cited_by(article: Mapping[str, Any], with_link: bool = True) -> str:
    """How a comment names an article: outlet, day, title (and link)."""
    day = str(article.get("published_at") or article.get("event_time") or "")[:10]
    outlet = " ".join(part for part in (str(article.get("source") or ""), day) if part)
    cited = f"{outlet}: {article.get('title') or ''}"
    link = article.get("canonical_url") or article.get("url")
    return f"{cited} <{link}>" if with_link and link else cited


def _reported_values(record: StoryRecord) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(indicator type, value, first article) for each value the originals report, oldest first."""
    for article in record.originals:
        for indicator in article.get("indicators") or ():
            if isinstance(indicator, Mapping) and indicator.get("type") and indicator.get("value"):
                yield str(indicator["type"]), str(indicator["value"]), article
        for cve in article.get("cves") or ():
            yield "cve", str(cve).upper(), article


def indicator_attributes(record: StoryRecord, warnings: WarningIndex) -> list[AttributeSpec]:
    """The story's indicators and CVEs as attributes, each value once, in the order first reported."""
    seen: set[tuple[str, str]] = set()
    specs: list[AttributeSpec] = []
    skipped: dict[str, int] = {}
    types = describe_types()
    for indicator_type, value, article in _reported_values(record):
        mapped = misp_type_of(indicator_type)
        if mapped is None:
            skipped[indicator_type] = skipped.get(indicator_type, 0) + 1
            continue
        misp_type, category = mapped
        if misp_type == "vulnerability":
            value = value.upper()
        key = (misp_type, value.lower() if misp_type != "url" else value)
        if key in seen:
            continue
        seen.add(key)
        comment = f"First reported by {cited_by(article)}"
        to_ids = types.default_to_ids(misp_type)
        if to_ids:
            warned = warnings.lists_holding(value, misp_type)
            if warned:
                to_ids = False
                comment += f". On MISP warning list: {'; '.join(warned[:3])}"
        specs.append(AttributeSpec(misp_type, category, value, to_ids, comment[:COMMENT_CHARS]))
    if skipped:
        log.info("story %s: indicator types MISP has no type for, left out: %s", record.id, skipped)
    return specs


def link_attributes(record: StoryRecord, story_url: str) -> list[AttributeSpec]:
    """The story's page, then each article (originals and copies) as a link, each URL once."""
    specs = [AttributeSpec("link", LINK_CATEGORY, story_url, False, "The story on Coverwatch")]
    seen = {story_url}
    originals = {str(article.get("id")): article for article in record.originals}
    for article in record.articles:
        url = str(article.get("canonical_url") or article.get("url") or "")
        if not url or url in seen:
            continue
        seen.add(url)
        comment = cited_by(article, with_link=False)
        copied = originals.get(str(article.get("duplicate_of") or ""))
        if copied is not None:
            comment += f" (a copy of {copied.get('source') or 'another outlet'}'s report)"
        specs.append(AttributeSpec("link", LINK_CATEGORY, url, False, comment[:COMMENT_CHARS]))
    return specs
