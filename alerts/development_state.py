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

When two stories merge, :func:`carry_development_states` (a merge hook,
alerts/tasks.py) folds what each rule had seen of the absorbed story into its
state of the kept one, so nothing the rule alerted on (or took as its baseline)
in either story is new again in the merged one.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.developments import StoryState
from coverwatch.models import utc_now
from coverwatch.settings import Settings
from search import queries
from search.engine import Conflict, NotFound, SearchEngine
from search.indexes import DEVELOPMENT_STATES

log = logging.getLogger(__name__)
# Two writers rarely race on one (rule, story); a bound keeps a pathological case from spinning.
MAX_CARRY_ATTEMPTS = 8


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


def carry_development_states(engine: SearchEngine, settings: Settings, absorbed: str, kept: str) -> int:
    """Fold each rule's state of the ``absorbed`` story into its state of ``kept``
    (elements and outlets, united; the kept state's last development stays).
    A rule with no state of the kept story gets none: its next article there
    takes the whole coverage before it, both stories', as its baseline, which
    already holds the absorbed story's. Idempotent (a union written again is the
    same); each write is compare-and-set. Returns how many states changed."""
    index = settings.index_name(DEVELOPMENT_STATES)
    try:
        engine.request("POST", f"/{index}/_refresh")  # states are written without one
        answer = engine.request("POST", f"/{index}/_search", queries.development_states_of(absorbed))
    except NotFound:
        return 0  # no development rule has run yet
    changed = 0
    for hit in answer["hits"]["hits"]:
        rule_id = str(hit["_source"]["rule_id"])
        carried = read_state(engine, settings, rule_id, absorbed)
        if carried is None:
            continue
        for _ in range(MAX_CARRY_ATTEMPTS):
            target = read_state(engine, settings, rule_id, kept)
            if target is None:
                break
            merged = StoryState(target.state.elements | carried.state.elements,
                                target.state.outlets | carried.state.outlets)
            if merged == target.state or write_state(engine, settings, rule_id, kept, merged, None, target,
                                                     utc_now()):
                changed += merged != target.state
                break
        else:
            log.warning("development state of rule %s, story %s kept changing: not merged with %s",
                        rule_id, kept, absorbed)
    return changed
