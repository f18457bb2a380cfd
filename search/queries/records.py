"""The other stored records: deliveries, subscribers, subscriptions, digest
entries; index lifecycle and the article export's scroll."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def deliveries_about(group_key: str, size: int = 10_000) -> dict[str, Any]:
    """Every delivery claimed about one story (or article)."""
    return {"size": size, "query": {"term": {"group_key": group_key}}}


# --- index lifecycle (search/lifecycle.py runs these) ----------------------------------------

def older_than(field: str, cutoff: str) -> dict[str, Any]:
    """Documents whose ``field`` is before ``cutoff``; documents without it are kept."""
    return {"query": {"range": {field: {"lt": cutoff}}}}


# --- subscribers and digests (alerts/subscribers.py, subscriptions.py, digests.py run these) ---

def subscribers_by_address(size: int) -> dict[str, Any]:
    return {"query": {"match_all": {}}, "size": size, "sort": [{"address": "asc"}]}


def subscriptions_of_address(address: str) -> dict[str, Any]:
    return {"query": {"term": {"address": address}}}


def subscriptions_where(field: str, values: Sequence[str], size: int) -> dict[str, Any]:
    return {"query": {"terms": {field: list(values)}}, "size": size}


def digest_entries_due(now: str, size: int) -> dict[str, Any]:
    """Pending digest entries whose digest is due by ``now``, oldest first."""
    return {"query": {"bool": {"filter": [{"term": {"status": "pending"}}, {"range": {"due_at": {"lte": now}}}]}},
            "size": size, "sort": [{"due_at": "asc"}]}


def delivered_to(recipients: Sequence[str], group_keys: Sequence[str], statuses: Sequence[str],
                 leave_out_rule: str) -> dict[str, Any]:
    """Which of these stories (or articles) already reached these recipients,
    other than through the rule ``leave_out_rule``: only their group keys."""
    return {"query": {"bool": {"filter": [{"terms": {"subscriber": list(recipients)}},
                                          {"terms": {"group_key": list(group_keys)}},
                                          {"terms": {"status": list(statuses)}}],
                               "must_not": [{"term": {"rule_id": leave_out_rule}}]}},
            "size": len(group_keys), "_source": ["group_key"]}


# --- export (workers/archive.py runs this) ----------------------------------------------------

def articles_crawled_since(since: str | None, fields: Sequence[str], page_size: int = 1000) -> dict[str, Any]:
    """Every article (crawled on or after ``since`` when given) in index order, for a scroll."""
    filters = [{"range": {"crawled_at": {"gte": since}}}] if since else []
    return {"size": page_size, "sort": ["_doc"], "_source": list(fields), "query": {"bool": {"filter": filters}}}
