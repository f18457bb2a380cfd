"""Articles in monthly indices behind one alias.

Each article is written to the index of the month of its event time
(``<prefix>-articles-v<version>-<YYYY.MM>``), so retention drops whole months
and a mapping upgrade copies one month at a time; analysts and workers read
through the alias as before. The newest month is the alias's write index, so
code that writes through the alias (tests, one-off scripts) still works, but the
pipeline places each article itself:

- an article already stored stays in the index that holds it, whatever its dates
  say now (a re-crawl that corrects a date must not make a second copy);
- otherwise it goes to its month's index, created on first use with the version
  the alias's indices carry (a reindexed deployment keeps writing the new one).

An index made by an older release (``<prefix>-articles-v1``, no month) keeps
its articles and takes no new ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from coverwatch.settings import Settings
from search import queries
from search.engine import EngineError, SearchEngine
from search.indexes import ARTICLES, SCHEMA_VERSION, alias_members, month_key, monthly_index

_MEMBER = re.compile(r"-v(?P<version>\d+)(?:-(?P<month>\d{4}\.\d{2}))?$")


def month_of(document: Mapping[str, Any]) -> str:
    """``YYYY.MM`` of an article document's event time (publication, else crawl)."""
    return month_key(datetime.fromisoformat(str(document.get("event_time") or document["crawled_at"])))


def member_version(name: str) -> int | None:
    found = _MEMBER.search(name)
    return int(found["version"]) if found else None


def member_month(name: str) -> str | None:
    found = _MEMBER.search(name)
    return found["month"] if found else None


def stored_in(engine: SearchEngine, alias: str, ids: Sequence[str]) -> dict[str, str]:
    """Which index behind ``alias`` holds each of ``ids`` (those stored)."""
    if not ids:
        return {}
    answer = engine.request("POST", f"/{alias}/_search", queries.documents_by_id(ids, with_source=False))
    return {hit["_id"]: hit["_index"] for hit in answer["hits"]["hits"]}


def create_month(engine: SearchEngine, settings: Settings, name: str, members: Mapping[str, bool]) -> None:
    """Create a month's index and add it to the alias; the newest month becomes
    the write index. Two workers may race here: the loser's create is refused as
    existing, and both alias updates say the same thing."""
    alias = settings.index_name(ARTICLES)
    try:
        engine.request("PUT", f"/{name}", {})
    except EngineError as refusal:
        if "resource_already_exists" not in str(refusal):
            raise
    month = member_month(name) or ""
    newest = month >= max((member_month(member) or "" for member in members), default="")
    actions: list[dict[str, Any]] = [{"add": {"index": name, "alias": alias, "is_write_index": newest}}]
    if newest:
        actions += [{"add": {"index": member, "alias": alias, "is_write_index": False}}
                    for member, writes in members.items() if writes and member != name]
    engine.request("POST", "/_aliases", {"actions": actions})


def place(engine: SearchEngine, settings: Settings, documents: Sequence[Mapping[str, Any]]) -> list[str]:
    """The index each article document is to be written to, in order."""
    alias = settings.index_name(ARTICLES)
    members = alias_members(engine, alias)
    stored = stored_in(engine, alias, [str(document["id"]) for document in documents])
    version = max((v for v in map(member_version, members) if v is not None), default=SCHEMA_VERSION)
    by_month = {member_month(name): name for name in members if member_month(name)}
    placed: list[str] = []
    for document in documents:
        held_by = stored.get(str(document["id"]))
        if held_by is not None:
            placed.append(held_by)
            continue
        month = month_of(document)
        if month not in by_month:
            by_month[month] = monthly_index(settings, month, version)
            create_month(engine, settings, by_month[month], members)
            members = alias_members(engine, alias)
        placed.append(by_month[month])
    return placed
