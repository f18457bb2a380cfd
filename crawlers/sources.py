"""Sources as data: ``sources.yml`` validated into typed :class:`Source` entries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator

from coverwatch.netpolicy import NetPolicy
from coverwatch.settings import get_settings
from crawlers.schedule import parse_schedule


class SourceKind(StrEnum):
    FEED = "feed"  # RSS or Atom
    SITEMAP = "sitemap"  # news sitemap or sitemap index
    LISTING = "listing"  # HTML index pages, links filtered by allow/deny patterns


class Extraction(BaseModel):
    """Per-source overrides for when the generic extractor gets an outlet wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    body_xpath: str | None = None  # the element that holds the article text
    drop_xpaths: tuple[str, ...] = ()  # boilerplate inside it (share bars, related links)
    min_body_chars: int = Field(default=200, ge=0)


class Source(BaseModel):
    """One outlet. A new outlet is a new entry in the YAML, never code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{1,62}$")
    kind: SourceKind = SourceKind.FEED
    urls: tuple[HttpUrl, ...] = Field(min_length=1)
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    tags: tuple[str, ...] = ()
    schedule: str = "every 30m"  # "every 15m" / "every 2h", or a five-field cron expression
    priority: int = Field(default=2, ge=1, le=3)  # 1 = wire services and governments, 3 = occasional
    allow: tuple[str, ...] = ()  # listing: regexes an article link must match
    deny: tuple[str, ...] = ()  # listing: regexes that rule a link out
    max_items: int = Field(default=200, ge=1, le=5000)
    keep_off_topic: bool = False
    extraction: Extraction = Extraction()

    @field_validator("urls", "allow", "deny", "tags", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("allow", "deny")
    @classmethod
    def _valid_patterns(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as failure:
                raise ValueError(f"bad regular expression {pattern!r}: {failure}") from failure
        return patterns

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, schedule: str) -> str:
        parse_schedule(schedule)
        return schedule

    @model_validator(mode="after")
    def _listing_needs_patterns(self) -> Source:
        if self.kind is SourceKind.LISTING and not self.allow:
            raise ValueError("a listing source needs at least one 'allow' pattern for article links")
        return self

    @property
    def start_urls(self) -> list[str]:
        return [str(url) for url in self.urls]


class SourceFileError(ValueError):
    """``sources.yml`` is not valid; the message names the file and the bad entry."""


def _describe(errors: Sequence[Any]) -> str:
    parts = []
    for error in errors:
        where = ".".join(str(piece) for piece in error["loc"]) or "entry"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _check_urls(source: Source, where: str, policy: NetPolicy | None) -> None:
    # Only what needs no DNS (scheme, literal addresses in any spelling,
    # localhost): loading must not wait on resolvers, and a name's answers are
    # checked when it is fetched (crawlers/middlewares.py), which also covers
    # a name that resolves somewhere else by then.
    checked = policy or NetPolicy.from_settings(get_settings())
    for url in source.start_urls:
        reason = checked.static_refusal(url)
        if reason is not None:
            raise SourceFileError(f"{where}: url {url} is refused by the network policy: {reason} "
                                  "(COVERWATCH_ALLOWED_PRIVATE_NETWORKS allows internal ranges)")


def parse_sources(text: str, origin: str = "sources.yml", policy: NetPolicy | None = None) -> list[Source]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as failure:
        raise SourceFileError(f"{origin}: not valid YAML: {failure}") from failure
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise SourceFileError(f"{origin}: expected a top-level 'sources:' list")
    sources: list[Source] = []
    seen: set[str] = set()
    for position, entry in enumerate(document["sources"], start=1):
        label = entry.get("name") if isinstance(entry, dict) else None
        where = f"{origin}: entry {position}" + (f" ({label!r})" if label else "")
        if not isinstance(entry, dict):
            raise SourceFileError(f"{where}: expected a mapping, got {type(entry).__name__}")
        try:
            source = Source.model_validate(entry)
        except ValidationError as failure:
            raise SourceFileError(f"{where}: {_describe(failure.errors())}") from failure
        if source.name in seen:
            raise SourceFileError(f"{where}: duplicate source name {source.name!r}")
        _check_urls(source, where, policy)
        seen.add(source.name)
        sources.append(source)
    return sources


def load_sources(path: Path) -> list[Source]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as failure:
        raise SourceFileError(f"{path}: cannot read: {failure.strerror}") from failure
    return parse_sources(text, str(path))
