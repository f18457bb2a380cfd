"""Index lifecycle for operators: snapshots to a filesystem repository, restore,
retention, and mapping upgrades by reindex and alias swap.

Every operation names the deployment's own indices (``<prefix>-<kind>-v*``), never
a wildcard over the whole node, so two deployments on one cluster cannot touch
each other's data. The repository lives under the node's ``path.repo``
(``settings.snapshots``, passed to the launcher by deploy/services.py).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from coverwatch.settings import Settings
from search import queries
from search.article_indices import member_month, member_version
from search.engine import EngineError, NotFound, SearchEngine
from search.indexes import ARTICLES, PROPERTIES_BY_KIND, STORIES, alias_members, concrete_index, month_key

log = logging.getLogger(__name__)


class SnapshotFailed(RuntimeError):
    """The engine did not complete a snapshot or a restore."""


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    state: str
    indices: tuple[str, ...]
    started_at: str


@dataclass(frozen=True)
class RetentionOutcome:
    cutoff: datetime
    articles_deleted: int
    stories_deleted: int


def repository_name(settings: Settings) -> str:
    return f"{settings.index_prefix}-snapshots"


def own_index_patterns(settings: Settings) -> list[str]:
    return [f"{settings.index_name(kind)}-v*" for kind in PROPERTIES_BY_KIND]


def ensure_repository(engine: SearchEngine, settings: Settings) -> str:
    """Register (idempotently) the deployment's filesystem repository."""
    name = repository_name(settings)
    location = settings.snapshots / settings.index_prefix
    engine.request("PUT", f"/_snapshot/{name}",
                   {"type": "fs", "settings": {"location": str(location), "compress": True}})
    return name


def create_snapshot(engine: SearchEngine, settings: Settings, name: str) -> SnapshotInfo:
    repository = ensure_repository(engine, settings)
    answer = engine.request(
        "PUT", f"/_snapshot/{repository}/{name}",
        {"indices": ",".join(own_index_patterns(settings)), "include_global_state": False,
         "ignore_unavailable": True},
        params={"wait_for_completion": "true"})
    snapshot = answer.get("snapshot", {})
    if snapshot.get("state") != "SUCCESS":
        raise SnapshotFailed(f"snapshot {name!r} ended {snapshot.get('state')}: {snapshot.get('failures')}")
    return _info(snapshot)


def list_snapshots(engine: SearchEngine, settings: Settings) -> list[SnapshotInfo]:
    repository = ensure_repository(engine, settings)
    answer = engine.request("GET", f"/_snapshot/{repository}/_all")
    return sorted((_info(snapshot) for snapshot in answer.get("snapshots", [])),
                  key=lambda info: info.started_at)


def restore_snapshot(engine: SearchEngine, settings: Settings, name: str) -> list[str]:
    """Put the deployment back as the snapshot holds it, aliases included.

    Indices named in the snapshot are deleted first (a restore cannot write over
    an open index); newer indices of the deployment lose their aliases so that
    each alias ends on the restored index alone. Returns the restored indices.
    """
    repository = ensure_repository(engine, settings)
    answer = engine.request("GET", f"/_snapshot/{repository}/{name}")
    snapshots = answer.get("snapshots", [])
    if not snapshots:
        raise NotFound(404, f"no snapshot {name!r} in {repository}")
    restored = list(snapshots[0].get("indices", []))
    aliases = [settings.index_name(kind) for kind in PROPERTIES_BY_KIND]
    with suppress(NotFound):
        current = engine.request("GET", f"/{','.join(own_index_patterns(settings))}/_alias")
        detach = [{"remove": {"index": index, "alias": alias}}
                  for index, entry in current.items() for alias in entry.get("aliases", {})
                  if alias in aliases]
        if detach:
            engine.request("POST", "/_aliases", {"actions": detach})
    for index in restored:
        with suppress(NotFound):
            engine.request("DELETE", f"/{index}")
    result = engine.request("POST", f"/_snapshot/{repository}/{name}/_restore",
                            {"indices": ",".join(restored), "include_aliases": True,
                             "include_global_state": False},
                            params={"wait_for_completion": "true"})
    shards = result.get("snapshot", {}).get("shards", {})
    if shards.get("failed"):
        raise SnapshotFailed(f"restore of {name!r}: {shards['failed']} shard(s) failed")
    return restored


def retention_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def apply_retention(engine: SearchEngine, settings: Settings, now: datetime,
                    days: int | None = None) -> RetentionOutcome | None:
    """Delete articles older than the retention (by event time) and stories whose
    newest coverage is older; None when no retention is configured."""
    keep_days = days if days is not None else settings.article_retention_days
    if keep_days is None:
        return None
    cutoff = retention_cutoff(now, keep_days)
    whole_months = _drop_past_months(engine, settings, cutoff)
    articles = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_delete_by_query",
                              queries.older_than("event_time", cutoff.isoformat()),
                              params={"refresh": "true", "conflicts": "proceed"})
    stories = engine.request("POST", f"/{settings.index_name(STORIES)}/_delete_by_query",
                             queries.older_than("last_update", cutoff.isoformat()),
                             params={"refresh": "true", "conflicts": "proceed"})
    outcome = RetentionOutcome(cutoff, whole_months + int(articles.get("deleted", 0)),
                               int(stories.get("deleted", 0)))
    log.info("retention %d days: deleted %d article(s) and %d story(ies) older than %s",
             keep_days, outcome.articles_deleted, outcome.stories_deleted, cutoff.isoformat())
    return outcome


def _drop_past_months(engine: SearchEngine, settings: Settings, cutoff: datetime) -> int:
    """Delete the monthly article indices that end before ``cutoff``, whole (far
    cheaper than deleting their articles one by one); returns the articles they held."""
    first_kept = month_key(cutoff)
    members = alias_members(engine, settings.index_name(ARTICLES))
    # The write index stays even when its month is past: the alias must keep one.
    past = sorted(name for name, writes in members.items()
                  if (member_month(name) or first_kept) < first_kept and not writes)
    held = 0
    for name in past:
        held += int(engine.request("GET", f"/{name}/_count")["count"])
        engine.request("DELETE", f"/{name}")
        log.info("retention: dropped %s, a month wholly before %s", name, cutoff.date().isoformat())
    return held


def upgrade_mapping(engine: SearchEngine, settings: Settings, kind: str) -> list[str]:
    """Rebuild ``kind`` from the current template into new indices and swap the
    alias in one atomic step. Searches keep answering from the old indices until
    the swap; writes to them are blocked meanwhile, so a worker's write fails and
    is retried (on the new indices after the swap) instead of being lost in an
    index that is about to be retired. Monthly article indices are copied month
    for month; the newest target takes over as the write index. Returns the
    new indices."""
    alias = settings.index_name(kind)
    members = alias_members(engine, alias)
    if not members:
        raise NotFound(404, f"no alias {alias}")
    current = sorted(members)
    version = max(member_version(name) or 0 for name in current) + 1
    sources: dict[str, list[str]] = {}
    for name in current:
        month = member_month(name)
        sources.setdefault(f"{concrete_index(settings, kind, version)}{f'-{month}' if month else ''}", []).append(name)
    writer = next((target for target, names in sources.items() if any(members[n] for n in names)), max(sources))
    _block_writes(engine, current, blocked=True)
    try:
        for target, names in sorted(sources.items()):
            engine.request("PUT", f"/{target}", {})
            engine.request("POST", "/_reindex", {"source": {"index": names}, "dest": {"index": target}},
                           params={"refresh": "true", "wait_for_completion": "true"})
    except EngineError:
        _block_writes(engine, current, blocked=False)
        for target in sources:
            with suppress(NotFound):
                engine.request("DELETE", f"/{target}")
        raise
    actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in current]
    actions += [{"add": {"index": target, "alias": alias, "is_write_index": target == writer}}
                for target in sorted(sources)]
    engine.request("POST", "/_aliases", {"actions": actions})
    log.info("%s now points at %s (was %s)", alias, ", ".join(sorted(sources)), ", ".join(current))
    return sorted(sources)


def _block_writes(engine: SearchEngine, indices: list[str], blocked: bool) -> None:
    engine.request("PUT", f"/{','.join(indices)}/_settings", {"index.blocks.write": blocked})


def _info(snapshot: dict[str, Any]) -> SnapshotInfo:
    return SnapshotInfo(name=str(snapshot.get("snapshot", "")), state=str(snapshot.get("state", "")),
                        indices=tuple(sorted(snapshot.get("indices", []))),
                        started_at=str(snapshot.get("start_time", "")))
