"""The threat-intel exchange: stories out to the tools analysts already run.

One module per format in this package (``stix``, ``misp``, ``atom`` ...), each
a pure function from :class:`~search.story_records.StoryRecord` s and the
deployment's :class:`ExchangeOptions` to the text of one document (a STIX 2.1
bundle, MISP event JSON, an Atom feed), registered under its ``--format`` name
with :func:`exchange_format`. ``coverwatch export --format NAME``, the TAXII
routes and the feeds in web/ and the MISP channel in alerts/ all pick a format
from :data:`FORMATS`; every public module here is imported (and so registered)
when the package is, as alerts/rule_types/ does for rule types.

Ids are stable: :func:`stable_uuid` derives a UUIDv5 from what an object is
(``"story", story_id``), so the same story exported twice carries the same ids
and a consumer updates what it holds instead of adding a second copy.
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from coverwatch.settings import Settings
from search.story_records import StoryRecord

# The namespace of every UUIDv5 Coverwatch makes; fixed for good, since a
# consumer recognises an object again by the id derived under it.
COVERWATCH_NAMESPACE = uuid.UUID("5b0f6a52-3c1e-5d8e-9a57-c0e4a7d1f2b3")


def stable_uuid(*parts: str) -> uuid.UUID:
    """The same UUIDv5 for the same parts, on every machine and every run."""
    return uuid.uuid5(COVERWATCH_NAMESPACE, "\x1f".join(parts))


@dataclass(frozen=True)
class ExchangeOptions:
    """What a deployment puts on everything it hands out."""

    public_url: str  # where the story pages are: links back from every object
    tlp: str = "clear"  # clear, green, amber, amber+strict, red
    producer: str = "Coverwatch"
    title: str = "Coverwatch stories"  # of the collection or feed
    scope_id: str = "all"  # a stable name of what was exported: "all", "story:ID", "saved:USER:NAME"
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ExchangeOptions:
        options = cls(public_url=settings.public_url.rstrip("/"), tlp=settings.exchange_tlp,
                      producer=settings.exchange_producer)
        return replace(options, **overrides) if overrides else options

    def story_url(self, story_id: str) -> str:
        return f"{self.public_url}/stories/{story_id}"


Render = Callable[[Sequence[StoryRecord], ExchangeOptions], str]


@dataclass(frozen=True)
class ExchangeFormat:
    name: str  # the --format value
    media_type: str  # the HTTP Content-Type of what ``render`` makes
    render: Render
    description: str = ""
    # A format that shows only the stories that changed last (a feed) says how
    # many, so a reader of every story reads just those.
    newest_only: int | None = None


FORMATS: dict[str, ExchangeFormat] = {}


def exchange_format(name: str, media_type: str, description: str = "", *, newest_only: int | None = None,
                    registry: dict[str, ExchangeFormat] = FORMATS) -> Callable[[Render], Render]:
    """Register the decorated function as the renderer of format ``name``."""
    def register(render: Render) -> Render:
        if name in registry:
            raise TypeError(f"two renderers for exchange format {name!r}")
        registry[name] = ExchangeFormat(name, media_type, render, description or (render.__doc__ or "").strip(),
                                        newest_only)
        return render
    return register


class UnknownFormat(LookupError):
    """No exchange format of that name."""


def get_format(name: str) -> ExchangeFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormat(f"no exchange format {name!r}; known: {', '.join(sorted(FORMATS)) or 'none'}") from None


def _import_formats() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_formats()
