"""Reading what the attribution ledger folds (issue 22, part 2): a story's
articles and an actor's articles with their claims, from the engine.

The folding itself is pure and lives in workers/attribution/ledger.py (a story)
and workers/attribution/actor_ledger.py (an actor); a caller composes them:
``story_ledger(story_claim_articles(engine, settings, story_id))`` or
``actor_ledger(actor, actor_claim_articles(engine, settings, actor))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coverwatch.settings import Settings
from coverwatch.taxonomy import Actor
from search.documents import get_document
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES
from search.queries.claims import CLAIM_LEDGER_SOURCE
from search.queries.claims import actor_claim_articles as actor_claims_query
from search.queries.claims import story_claim_articles as story_claims_query
from search.service import StoryNotFound


def _sources(engine: SearchEngine, settings: Settings, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", body)
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def story_claim_articles(engine: SearchEngine, settings: Settings, story_id: str,
                         extra_fields: Sequence[str] = ()) -> list[dict[str, Any]]:
    """A story's articles (those without claims too), oldest first."""
    fields = list(dict.fromkeys([*CLAIM_LEDGER_SOURCE, *extra_fields]))
    return _sources(engine, settings, story_claims_query(story_id, source=fields))


def story_with_claim_articles(engine: SearchEngine, settings: Settings, story_id: str,
                              extra_fields: Sequence[str] = ()) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The story document (or a stand-in from its first article) and its articles,
    with ``extra_fields`` read too; :class:`StoryNotFound` when there is neither."""
    story = get_document(engine, settings.index_name(STORIES), story_id)
    articles = story_claim_articles(engine, settings, story_id, extra_fields)
    if story is None and not articles:
        raise StoryNotFound(story_id)
    return story or {"id": story_id, "title": articles[0].get("title", "")}, articles


def subject_spellings(actor: Actor) -> list[str]:
    """How a claim's subject may spell the actor: each name as written, lower and upper case."""
    return sorted({form for name in actor.names for form in (name, name.lower(), name.upper())})


def actor_claim_articles(engine: SearchEngine, settings: Settings, actor: Actor) -> list[dict[str, Any]]:
    """Articles with claims tagged with the actor or naming it in a claim, oldest first."""
    return _sources(engine, settings, actor_claims_query(actor.id, subject_spellings(actor)))
