"""Reading and writing documents through the alias names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from coverwatch.settings import Settings
from search.engine import NotFound, SearchEngine
from search.indexes import ARTICLES


@dataclass
class BulkOutcome:
    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _run_bulk(engine: SearchEngine, actions: list[dict[str, Any]], refresh: bool = False,
              skip_missing: bool = False) -> BulkOutcome:
    """Send bulk actions and sort each item into written or failed (with the reason).
    ``skip_missing`` ignores 404s, for updates of documents that may not exist yet."""
    outcome = BulkOutcome()
    if not actions:
        return outcome
    for item in engine.bulk(actions, refresh=refresh).get("items", []):
        result = next(iter(item.values()))
        if skip_missing and result.get("status") == 404:
            continue
        if "error" in result:
            outcome.failed[result["_id"]] = str(result["error"].get("reason", result["error"]))
        else:
            outcome.written.append(result["_id"])
    return outcome


def bulk_index(
    engine: SearchEngine, index: str, documents: Sequence[dict[str, Any]], refresh: bool = False
) -> BulkOutcome:
    """Index documents by their ``id`` (index = create or overwrite, so a retry
    writes the same document again rather than a second one)."""
    actions: list[dict[str, Any]] = []
    for document in documents:
        actions.append({"index": {"_index": index, "_id": document["id"]}})
        actions.append(document)
    return _run_bulk(engine, actions, refresh=refresh)


def mark_duplicates(engine: SearchEngine, index: str, originals: dict[str, str]) -> BulkOutcome:
    """Set ``duplicate_of`` on documents already stored ({copy id: original id}).
    A copy not stored yet is skipped: its own index step reads the registry."""
    actions: list[dict[str, Any]] = []
    for copy_id, original_id in originals.items():
        actions.append({"update": {"_index": index, "_id": copy_id}})
        actions.append({"doc": {"duplicate_of": original_id}})
    return _run_bulk(engine, actions, skip_missing=True)


def get_documents(engine: SearchEngine, index: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    answer = engine.request("POST", f"/{index}/_mget", {"ids": list(ids)})
    return {doc["_id"]: doc["_source"] for doc in answer["docs"] if doc.get("found")}


def get_document(engine: SearchEngine, index: str, doc_id: str) -> dict[str, Any] | None:
    try:
        # Ids reach here from URLs (/api/stories/{id}): quoted, a "/" or "?" in
        # one stays part of the id instead of changing which engine API is called.
        answer = engine.request("GET", f"/{index}/_doc/{quote(doc_id, safe='')}")
    except NotFound:
        return None
    source: dict[str, Any] = answer["_source"]
    return source


def count(engine: SearchEngine, index: str, query: dict[str, Any] | None = None) -> int:
    body = {"query": query} if query else None
    answer = engine.request("POST", f"/{index}/_count", body)
    return int(answer["count"])


def count_articles(engine: SearchEngine, settings: Settings, duplicates: bool | None = None,
                   source: str | None = None) -> int:
    """Articles in the index; ``duplicates`` True/False counts only copies/originals,
    ``source`` only one outlet's."""
    exists = {"exists": {"field": "duplicate_of"}}
    query: dict[str, Any] = {"bool": {"filter": [], "must_not": []}}
    if duplicates is True:
        query["bool"]["filter"].append(exists)
    elif duplicates is False:
        query["bool"]["must_not"].append(exists)
    if source is not None:
        query["bool"]["filter"].append({"term": {"source": source}})
    return count(engine, settings.index_name(ARTICLES), query)
