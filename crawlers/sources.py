"""Sources as data: ``sources.yml`` validated into typed :class:`Source` entries."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator


class SourceKind(StrEnum):
    FEED = "feed"


class Source(BaseModel):
    """One outlet. A new outlet is a new entry in the YAML, never code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{1,62}$")
    kind: SourceKind = SourceKind.FEED
    urls: tuple[HttpUrl, ...] = Field(min_length=1)
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    tags: tuple[str, ...] = ()

    @field_validator("urls", mode="before")
    @classmethod
    def _one_url_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

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


def parse_sources(text: str, origin: str = "sources.yml") -> list[Source]:
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
        seen.add(source.name)
        sources.append(source)
    return sources


def load_sources(path: Path) -> list[Source]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as failure:
        raise SourceFileError(f"{path}: cannot read: {failure.strerror}") from failure
    return parse_sources(text, str(path))
