"""Archive backfill (JSONL in, through the normal pipeline) and export (JSONL out)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from coverwatch.fields import archive_fields
from coverwatch.settings import Settings
from search import queries
from search.engine import SearchEngine
from search.indexes import ARTICLES

log = logging.getLogger(__name__)

# The fields of `coverwatch export`, in order: the ``archive`` positions of coverwatch/fields.py.
EXPORT_FIELDS = archive_fields()


@dataclass
class BackfillRead:
    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


def read_backfill(lines: Iterable[str]) -> BackfillRead:
    """Parse JSONL; a bad line is rejected with its line number, the rest go on."""
    result = BackfillRead()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as failure:
            result.rejected.append((number, f"not JSON: {failure.msg}"))
            continue
        if not isinstance(record, dict):
            result.rejected.append((number, "not a JSON object"))
            continue
        missing = [name for name in ("url", "title", "body") if not record.get(name)]
        if missing:
            result.rejected.append((number, f"missing {', '.join(missing)}"))
            continue
        record.setdefault("source", "archive")
        result.records.append(record)
    for number, reason in result.rejected:
        log.warning("backfill line %d rejected: %s", number, reason)
    return result


def iter_export(engine: SearchEngine, settings: Settings, since: date | None) -> Iterator[dict[str, Any]]:
    """Every indexed article (duplicates included), via the scroll API."""
    body = queries.articles_crawled_since(since.isoformat() if since else None, EXPORT_FIELDS)
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", body, params={"scroll": "2m"})
    scroll_id = answer.get("_scroll_id")
    try:
        while answer["hits"]["hits"]:
            for hit in answer["hits"]["hits"]:
                yield {name: hit["_source"].get(name) for name in EXPORT_FIELDS}
            answer = engine.request("POST", "/_search/scroll", {"scroll": "2m", "scroll_id": scroll_id})
            scroll_id = answer.get("_scroll_id", scroll_id)
    finally:
        if scroll_id:
            engine.request("DELETE", "/_search/scroll", {"scroll_id": [scroll_id]})



