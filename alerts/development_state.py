"""What a ``story_development`` rule had seen of a story when it last alerted
(or its baseline): one document per (rule, story) in ``<prefix>-development_states``.

Every write is conditional: a new state is a ``create``, a changed one a
``PUT`` with the ``if_seq_no``/``if_primary_term`` read with it. Two workers
racing on the same story both compute from what they read; one write wins, the
other gets a conflict, reads again and recomputes (alerts/rule_types/story_development.py),
so a development is taken into the state, and alerted, by one of them only.
The state also keeps the last development it alerted on and the article that
brought it: a redelivered alert stage (its worker died after the write, before
the deliveries were queued) finds its own article there and fires the same
development again, which delivery claims then send once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.developments import StoryState
from coverwatch.settings import Settings
from search.engine import Conflict, NotFound, SearchEngine
from search.indexes import DEVELOPMENT_STATES


def state_id(rule_id: str, story_id: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{story_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StoredState:
    state: StoryState
    seq_no: str
    primary_term: str
    last: dict[str, Any]


def read_state(engine: SearchEngine, settings: Settings, rule_id: str, story_id: str) -> StoredState | None:
    try:
        answer = engine.request("GET", f"/{settings.index_name(DEVELOPMENT_STATES)}/_doc/{state_id(rule_id, story_id)}")
    except NotFound:
        return None
    source = answer["_source"]
    return StoredState(StoryState(frozenset(source.get("elements") or ()), frozenset(source.get("outlets") or ())),
                       str(answer["_seq_no"]), str(answer["_primary_term"]), dict(source.get("last") or {}))


def write_state(engine: SearchEngine, settings: Settings, rule_id: str, story_id: str, state: StoryState,
                last: dict[str, Any] | None, read: StoredState | None, now: datetime) -> bool:
    """Store ``state`` if nobody changed it since ``read`` (None: if there is none
    yet). False when another writer was first: read again and recompute."""
    index, identifier = settings.index_name(DEVELOPMENT_STATES), state_id(rule_id, story_id)
    document = {"rule_id": rule_id, "story_id": story_id, "updated_at": now.isoformat(),
                "elements": sorted(state.elements), "outlets": sorted(state.outlets),
                "last": last if last is not None else (read.last if read is not None else {})}
    try:
        if read is None:
            engine.request("PUT", f"/{index}/_create/{identifier}", document)
        else:
            engine.request("PUT", f"/{index}/_doc/{identifier}", document,
                           params={"if_seq_no": read.seq_no, "if_primary_term": read.primary_term})
    except Conflict:
        return False
    return True
