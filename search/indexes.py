"""Index templates, aliases and the versioned indices behind them.

Every name carries the deployment's prefix. Analysts and workers address the
alias (``<prefix>-articles``); the concrete indices behind it
(``<prefix>-stories-v1``; for articles one per month, ``<prefix>-articles-v1-2026.12``,
see search/article_indices.py) can be rebuilt and swapped in by
:func:`search.lifecycle.upgrade_mapping`.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from coverwatch.fields import ARTICLE_FIELDS, properties
from coverwatch.fields import DATE as _DATE
from coverwatch.fields import KEYWORD as _KEYWORD
from coverwatch.fields import TEXT as _TEXT
from coverwatch.settings import Settings
from search.engine import EngineError, NotFound, SearchEngine

log = logging.getLogger(__name__)

ARTICLES, STORIES, RULES, DELIVERIES = "articles", "stories", "rules", "deliveries"
# Who hears about what (alerts/subscribers.py, subscriptions.py, digests.py).
SUBSCRIBERS, SUBSCRIPTIONS, DIGEST_ENTRIES = "subscribers", "subscriptions", "digest_entries"
# Analysts' "espionage" / "not espionage" marks, one record per article (search/relevance_marks.py).
RELEVANCE_MARKS = "relevance_marks"
# What each story_development rule last alerted on per story (alerts/development_state.py).
DEVELOPMENT_STATES = "development_states"
SCHEMA_VERSION = 1

# The article fields are declared once, in coverwatch/fields.py, with what else
# each is (facet, rule filter, export column): their mapping is derived from there.
ARTICLE_PROPERTIES: dict[str, Any] = properties(ARTICLE_FIELDS)

STORY_PROPERTIES: dict[str, Any] = {
    "id": _KEYWORD,
    "title": _TEXT,
    "first_seen": _DATE,
    "first_outlet": _KEYWORD,
    "outlets": _KEYWORD,
    "article_count": {"type": "integer"},
    "languages": _KEYWORD,
    "actors": _KEYWORD,
    "actor_names": _KEYWORD,
    "victim_countries": _KEYWORD,
    "merged_from": _KEYWORD,
    "last_update": _DATE,
    "merged_into": _KEYWORD,
}

RULE_PROPERTIES: dict[str, Any] = {
    # The percolator needs the article fields mapped in its own index, so rules
    # are parsed against the same analysers the articles are indexed with.
    **ARTICLE_PROPERTIES,
    "query": {"type": "percolator"},
    "rule": {
        "properties": {
            "id": _KEYWORD,
            "name": _KEYWORD,
            "query_string": {"type": "text", "index": False},
            "subscribers": _KEYWORD,
            "mode": _KEYWORD,
            "enabled": {"type": "boolean"},
            "created_at": _DATE,
        }
    },
}

DELIVERY_PROPERTIES: dict[str, Any] = {
    "rule_id": _KEYWORD,
    "subscriber": _KEYWORD,
    "article_id": _KEYWORD,
    "group_key": _KEYWORD,  # the story (or the article while it has none) the delivery is about
    "generation": {"type": "integer"},
    "channel": _KEYWORD,
    "status": _KEYWORD,
    "inherited_from": _KEYWORD,
    "message_id": _KEYWORD,
    "claimed_at": _DATE,
    "sent_at": _DATE,
    "error": {"type": "text", "index": False},
}

SUBSCRIBER_PROPERTIES: dict[str, Any] = {
    "address": _KEYWORD,
    "timezone": _KEYWORD,
    "status": _KEYWORD,
    "status_reason": {"type": "text", "index": False},
    "created_at": _DATE,
    "confirmed_at": _DATE,
    "status_changed_at": _DATE,
}

SUBSCRIPTION_PROPERTIES: dict[str, Any] = {
    "address": _KEYWORD,
    "rule_id": _KEYWORD,
    "rule_name": _KEYWORD,
    "mode": _KEYWORD,
    "active": {"type": "boolean"},
    "mute_until": _DATE,
    "created_at": _DATE,
    "updated_at": _DATE,
}

DIGEST_ENTRY_PROPERTIES: dict[str, Any] = {
    "address": _KEYWORD,
    "rule_id": _KEYWORD,
    "group_key": _KEYWORD,
    "story_id": _KEYWORD,
    "article_id": _KEYWORD,
    "status": _KEYWORD,
    "digest_id": _KEYWORD,
    "queued_at": _DATE,
    "due_at": _DATE,
}

RELEVANCE_MARK_PROPERTIES: dict[str, Any] = {
    "article_id": _KEYWORD,
    "url": _KEYWORD,
    "title": {"type": "text", "index": False},
    "label": _KEYWORD,  # null once cleared: the record stays for its history
    "marked_by": _KEYWORD,
    "marked_at": _DATE,
    "previous_label": _KEYWORD,
    "model_band": _KEYWORD,
    # Every change (label, previous label, who, when), read back whole, never searched.
    "history": {"type": "object", "enabled": False},
}

DEVELOPMENT_STATE_PROPERTIES: dict[str, Any] = {
    "rule_id": _KEYWORD,
    "story_id": _KEYWORD,
    "updated_at": _DATE,
    # The elements, outlets and last development are read back whole, never searched.
    "elements": {"type": "keyword", "index": False, "doc_values": False},
    "outlets": {"type": "keyword", "index": False, "doc_values": False},
    "last": {"type": "object", "enabled": False},
}

PROPERTIES_BY_KIND = {
    ARTICLES: ARTICLE_PROPERTIES,
    STORIES: STORY_PROPERTIES,
    RULES: RULE_PROPERTIES,
    DELIVERIES: DELIVERY_PROPERTIES,
    SUBSCRIBERS: SUBSCRIBER_PROPERTIES,
    SUBSCRIPTIONS: SUBSCRIPTION_PROPERTIES,
    DIGEST_ENTRIES: DIGEST_ENTRY_PROPERTIES,
    RELEVANCE_MARKS: RELEVANCE_MARK_PROPERTIES,
    DEVELOPMENT_STATES: DEVELOPMENT_STATE_PROPERTIES,
}


def index_template(settings: Settings, kind: str) -> dict[str, Any]:
    return {
        "index_patterns": [f"{settings.index_name(kind)}-v*"],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1, "number_of_replicas": settings.index_replicas,
                         "refresh_interval": "1s"},
            "mappings": {"dynamic": False, "properties": PROPERTIES_BY_KIND[kind]},
        },
    }


def concrete_index(settings: Settings, kind: str, version: int = SCHEMA_VERSION) -> str:
    return f"{settings.index_name(kind)}-v{version}"


def month_key(moment: datetime) -> str:
    """``YYYY.MM``: the month part of a monthly article index's name."""
    return f"{moment.year:04d}.{moment.month:02d}"


def monthly_index(settings: Settings, month: str, version: int = SCHEMA_VERSION) -> str:
    return f"{concrete_index(settings, ARTICLES, version)}-{month}"


def first_index(settings: Settings, kind: str) -> str:
    """The index a new deployment starts with: articles by month of writing
    (search/article_indices.py), every other kind one index per schema version."""
    if kind != ARTICLES:
        return concrete_index(settings, kind)
    return monthly_index(settings, month_key(datetime.now(UTC)))


def alias_members(engine: SearchEngine, alias: str) -> dict[str, bool]:
    """The indices behind ``alias``, each with whether it is the write index
    (none when the alias does not exist)."""
    try:
        answer = engine.request("GET", f"/_alias/{alias}")
    except NotFound:
        return {}
    return {name: bool(entry["aliases"][alias].get("is_write_index")) for name, entry in answer.items()}


def ensure_indices(engine: SearchEngine, settings: Settings) -> None:
    """Apply every template and create each alias with its first index (idempotent)."""
    for kind in PROPERTIES_BY_KIND:
        engine.request("PUT", f"/_index_template/{settings.index_name(kind)}",
                       index_template(settings, kind))
        alias = settings.index_name(kind)
        try:
            engine.request("GET", f"/_alias/{alias}")
        except NotFound:
            engine.request("PUT", f"/{first_index(settings, kind)}",
                           {"aliases": {alias: {"is_write_index": True}}})
            continue
        # An index made by an older release gets fields added since (additions are
        # allowed in place; a changed field type needs `coverwatch reindex` instead).
        try:
            engine.request("PUT", f"/{alias}/_mapping", {"properties": PROPERTIES_BY_KIND[kind]})
        except EngineError as conflict:
            log.warning("index %s keeps its old mapping (%s); run a reindex to apply the new one",
                        alias, conflict)


def drop_indices(engine: SearchEngine, settings: Settings) -> None:
    """Delete every index and template of this prefix (tests and evaluations)."""
    for kind in PROPERTIES_BY_KIND:
        with suppress(NotFound):
            engine.request("DELETE", f"/{settings.index_name(kind)}-v*")
        with suppress(NotFound):
            engine.request("DELETE", f"/_index_template/{settings.index_name(kind)}")


def refresh(engine: SearchEngine, settings: Settings, kind: str) -> None:
    engine.request("POST", f"/{settings.index_name(kind)}/_refresh")
