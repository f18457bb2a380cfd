"""The attribution ledger's reads (issue 22, part 2): a story's articles with
their claims, and an actor's, by tag or by a claim naming it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from search.queries.stories import STORY_ORDER

# What folding claims into a ledger reads of an article (workers/attribution/ledger.py).
CLAIM_LEDGER_SOURCE = ["id", "title", "url", "canonical_url", "source", "published_at", "event_time", "crawled_at",
                       "story_id", "duplicate_of", "actors", "claims"]


def story_claim_articles(story_id: str, size: int = 1000,
                         source: Sequence[str] = tuple(CLAIM_LEDGER_SOURCE)) -> dict[str, Any]:
    """Every article of a story (with or without claims), oldest first, with the
    fields ``source`` names (the story page adds its timeline's)."""
    return {"size": size, "_source": list(source), "sort": STORY_ORDER,
            "query": {"term": {"story_id": story_id}}}


def actor_claim_articles(actor_id: str, names: Sequence[str], size: int = 2000) -> dict[str, Any]:
    """Articles with claims that are tagged with an actor or carry a claim naming
    it by one of ``names`` (claim subjects are keywords as written: pass the
    spellings to find, e.g. each alias as written, in lower and in upper case)."""
    named = {"nested": {"path": "claims", "query": {"terms": {"claims.subject": sorted(set(names))}}}}
    return {"size": size, "_source": CLAIM_LEDGER_SOURCE, "sort": STORY_ORDER,
            "query": {"bool": {
                "filter": [{"nested": {"path": "claims", "query": {"exists": {"field": "claims.claimant"}}}}],
                "should": [{"term": {"actors": actor_id}}, named], "minimum_should_match": 1}}}
