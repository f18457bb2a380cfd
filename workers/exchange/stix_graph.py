"""The objects of one STIX bundle while they are drawn, before the stix2 library
builds and checks them (workers/exchange/stix.py).

Each object is drawn under a stable id (:func:`~workers.exchange.stable_uuid`
of what it is), so drawing the same actor, technique or indicator for a second
story of the bundle finds the first draft and only widens its time span: an
object's ``created`` is the ``first_seen`` of the first story of the bundle
that carries it, its ``modified`` the ``last_update`` of the latest one. A
one-story bundle thus dates every object by that story (``modified`` moves
when the story changes), and a bundle of many stories gives a shared object
the span of all of them; consumers keep the newest ``modified`` of an id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workers.exchange import stable_uuid


@dataclass
class ObjectDraft:
    """One STIX object to be built: its type, id, own properties and time span."""

    type: str
    id: str
    properties: dict[str, Any]
    first: datetime
    last: datetime


@dataclass
class StoryDrawing:
    """What one story adds: the ids its report refers to, in drawing order."""

    first: datetime
    last: datetime
    refs: list[str] = field(default_factory=list)


class StixGraph:
    """The drafts of one bundle by id, in the order first drawn."""

    def __init__(self) -> None:
        self._drafts: dict[str, ObjectDraft] = {}

    def __iter__(self) -> Iterator[ObjectDraft]:
        return iter(self._drafts.values())

    def draw(self, story: StoryDrawing, stix_type: str, identity: tuple[str, ...], **properties: Any) -> str:
        """The id of the object ``identity`` names, drawn for ``story`` (and referred to by its report)."""
        object_id = f"{stix_type}--{stable_uuid(stix_type, *identity)}"
        found = self._drafts.get(object_id)
        if found is None:
            self._drafts[object_id] = ObjectDraft(stix_type, object_id, properties, story.first, story.last)
        else:
            found.first, found.last = min(found.first, story.first), max(found.last, story.last)
        if object_id not in story.refs:
            story.refs.append(object_id)
        return object_id

    def relate(self, story: StoryDrawing, source: str, relationship_type: str, target: str,
               description: str | None = None, key: tuple[str, ...] = ()) -> str:
        """A relationship ``source`` -> ``target``; the same three make the same id unless ``key``
        (a claim's) tells two apart."""
        properties: dict[str, Any] = {"relationship_type": relationship_type, "source_ref": source,
                                      "target_ref": target}
        if description:
            properties["description"] = description
        return self.draw(story, "relationship", (source, relationship_type, target, *key), **properties)
