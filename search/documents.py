"""Reading and writing documents through the alias names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from coverwatch.settings import Settings
from search import queries
from search.article_indices import place, stored_in
from search.engine import EngineError, NotFound, SearchEngine
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
    return bulk_index_each(engine, [(index, document) for document in documents], refresh=refresh)


def bulk_index_each(engine: SearchEngine, placed: Sequence[tuple[str, dict[str, Any]]],
                    refresh: bool = False) -> BulkOutcome:
    """Index each document into the index named beside it (monthly article
    indices: search/article_indices.place), by its ``id`` as bulk_index does."""
    actions: list[dict[str, Any]] = []
    for index, document in placed:
        actions.append({"index": {"_index": index, "_id": document["id"]}})
        actions.append(document)
    return _run_bulk(engine, actions, refresh=refresh)


def index_articles(engine: SearchEngine, settings: Settings, documents: Sequence[dict[str, Any]],
                   refresh: bool = False) -> BulkOutcome:
    """Write article documents, each to its month's index (or where it is stored)."""
    return bulk_index_each(engine, list(zip(place(engine, settings, documents), documents, strict=True)),
                           refresh=refresh)


def mark_duplicates(engine: SearchEngine, index: str, originals: dict[str, str]) -> BulkOutcome:
    """Set ``duplicate_of`` on documents already stored ({copy id: original id}).
    A copy not stored yet is skipped: its own index step reads the registry."""
    # Updated where each copy is stored: an alias over several indices (monthly
    # articles) takes no update by id.
    stored = stored_in(engine, index, sorted(originals))
    actions: list[dict[str, Any]] = []
    for copy_id, original_id in originals.items():
        if copy_id not in stored:
            continue
        actions.append({"update": {"_index": stored[copy_id], "_id": copy_id}})
        actions.append({"doc": {"duplicate_of": original_id}})
    return _run_bulk(engine, actions, skip_missing=True)


def get_documents(engine: SearchEngine, index: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    answer = engine.request("POST", f"/{index}/_mget", {"ids": list(ids)})
    if any(_several_indices(doc.get("error")) for doc in answer["docs"]):
        return _documents_by_search(engine, index, ids)
    return {doc["_id"]: doc["_source"] for doc in answer["docs"] if doc.get("found")}


def _several_indices(error: Any) -> bool:
    """Is this the engine's refusal of a by-id read through an alias over several
    indices? Those are read by an ids search instead (the pipeline refreshes its
    writes, so a search sees what a get would)."""
    return "more than one ind" in str(error)


def _documents_by_search(engine: SearchEngine, index: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    answer = engine.request("POST", f"/{index}/_search", queries.documents_by_id(ids))
    return {hit["_id"]: hit["_source"] for hit in answer["hits"]["hits"]}


def get_document(engine: SearchEngine, index: str, doc_id: str) -> dict[str, Any] | None:
    try:
        # Ids reach here from URLs (/api/stories/{id}): quoted, a "/" or "?" in
        # one stays part of the id instead of changing which engine API is called.
        answer = engine.request("GET", f"/{index}/_doc/{quote(doc_id, safe='')}")
    except NotFound:
        return None
    except EngineError as refusal:
        if not _several_indices(refusal):
            raise
        return _documents_by_search(engine, index, [doc_id]).get(doc_id)
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
