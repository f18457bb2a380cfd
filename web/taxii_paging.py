"""Pages of a TAXII collection's objects (web/taxii.py), pure.

A collection is its stories in the order they last changed (oldest first, then
by id: search/story_records.py's order), each a :class:`StorySlice` of the STIX
objects a one-story bundle holds, all added at the story's ``last_update``. A
page is ``limit`` objects from a position; ``next`` is the position of the
first object not given, as an opaque token (the story's date added and id, and
the index in its slice), so a story that changes between two requests moves to
the end of the order and is given again whole, and nothing is skipped.

The same object in two stories (an actor, a technique, an indicator) is two
versions of it, each dated by its story; the marking and producer identity,
the same version in every story, are given once per page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from coverwatch.models import parse_timestamp

StixObject = Mapping[str, Any]


class BadFilter(ValueError):
    """A filter or ``next`` token the server cannot read; the message says which."""


def taxii_timestamp(moment: datetime) -> str:
    """A TAXII/STIX timestamp in UTC, to the millisecond the engine keeps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def to_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_added_after(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = parse_timestamp(text)
    if moment is None:
        raise BadFilter(f"added_after: not a timestamp: {text!r}")
    return to_millisecond(moment)


@dataclass
class StorySlice:
    """One story's objects, rendered only when a page reaches them."""

    story_id: str
    added: datetime  # the story's last_update, to the millisecond
    render: Callable[[], Sequence[StixObject]]
    _objects: Sequence[StixObject] | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[datetime, str]:
        return self.added, self.story_id

    @property
    def objects(self) -> Sequence[StixObject]:
        if self._objects is None:
            self._objects = self.render()
        return self._objects


@dataclass(frozen=True)
class Position:
    added: datetime
    story_id: str
    index: int

    def token(self) -> str:
        text = json.dumps([taxii_timestamp(self.added), self.story_id, self.index], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> Position:
        try:
            added, story_id, index = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            moment = parse_timestamp(added)
            if moment is None or not isinstance(story_id, str) or not isinstance(index, int) or index < 0:
                raise ValueError(token)
        except (ValueError, TypeError, binascii.Error) as failure:
            raise BadFilter(f"next: not a token this server gave: {token!r}") from failure
        return cls(moment, story_id, index)


@dataclass(frozen=True)
class Matches:
    """The ``match[…]`` filters of a request: each a set of wanted values, empty for any."""

    types: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()  # timestamps; "all", "first", "last" keep every version here
    spec_versions: frozenset[str] = frozenset()

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Matches:
        def values(name: str) -> frozenset[str]:
            return frozenset(part.strip() for part in params.get(f"match[{name}]", "").split(",") if part.strip())

        versions = values("version") - {"all", "first", "last"}
        for version in versions:
            if parse_timestamp(version) is None:
                raise BadFilter(f"match[version]: not a timestamp, 'first', 'last' or 'all': {version!r}")
        return cls(values("type"), values("id"), frozenset(versions), values("spec_version"))

    def wants(self, stix_object: StixObject) -> bool:
        return ((not self.types or stix_object.get("type") in self.types)
                and (not self.ids or stix_object.get("id") in self.ids)
                and (not self.versions or _same_moment(object_version(stix_object), self.versions))
                and (not self.spec_versions or str(stix_object.get("spec_version", "2.1")) in self.spec_versions))


def object_version(stix_object: StixObject) -> str:
    """An object's version: ``modified``, else ``created`` (marking definitions have no modified)."""
    return str(stix_object.get("modified") or stix_object.get("created") or "")


def _same_moment(version: str, wanted: Iterable[str]) -> bool:
    moment = parse_timestamp(version)
    return any(parse_timestamp(candidate) == moment for candidate in wanted)


@dataclass
class Page:
    """Objects with the time their story added them, and where the next page starts."""

    objects: list[tuple[StixObject, datetime]]
    next: Position | None

    @property
    def more(self) -> bool:
        return self.next is not None


def page_of(slices: Iterable[StorySlice], matches: Matches, limit: int, start: Position | None = None) -> Page:
    """Up to ``limit`` wanted objects from ``start`` (the first of all when None)."""
    given: list[tuple[StixObject, datetime]] = []
    seen: set[tuple[str, str]] = set()
    for story in slices:
        if start is not None and story.key < (start.added, start.story_id):
            continue
        first = start.index if start is not None and story.key == (start.added, start.story_id) else 0
        for index, stix_object in enumerate(story.objects[first:], first):
            version = (str(stix_object.get("id")), object_version(stix_object))
            if version in seen or not matches.wants(stix_object):
                continue
            if len(given) == limit:
                return Page(given, Position(story.added, story.story_id, index))
            seen.add(version)
            given.append((stix_object, story.added))
    return Page(given, None)


def versions_of(slices: Iterable[StorySlice], object_id: str,
                matches: Matches) -> list[tuple[StixObject, datetime]]:
    """Every version of one object in the collection, oldest first, each once, with when it was added."""
    found: dict[str, tuple[StixObject, datetime]] = {}
    for story in slices:
        for stix_object in story.objects:
            if stix_object.get("id") == object_id and matches.wants(stix_object):
                found.setdefault(object_version(stix_object), (stix_object, story.added))
    return [found[version] for version in sorted(found, key=lambda version: parse_timestamp(version) or version)]


def pick_versions(versions: Sequence[tuple[StixObject, datetime]],
                  wanted: str | None) -> list[tuple[StixObject, datetime]]:
    """``match[version]`` on one object's versions: "last" (the default), "first", "all" or timestamps."""
    words = {part.strip() for part in (wanted or "last").split(",") if part.strip()}
    if not versions or "all" in words:
        return list(versions)
    picked = [versions[-1]] if "last" in words else []
    if "first" in words and versions[0] not in picked:
        picked.insert(0, versions[0])
    stamps = words - {"first", "last"}
    picked += [version for version in versions
               if stamps and _same_moment(object_version(version[0]), stamps) and version not in picked]
    return picked
