"""Who says who did it, for the pages and the API (issue 22, part 2): a story's
attribution ledger and an actor's, read by search/claim_ledger.py and folded by
workers/attribution/ledger.py and actor_ledger.py; and their rows as a download."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi.responses import StreamingResponse

from coverwatch.settings import Settings
from coverwatch.taxonomy import default_taxonomy
from search.claim_export import ledger_csv_lines, ledger_jsonl_lines
from search.claim_ledger import actor_claim_articles, story_with_claim_articles
from search.engine import SearchEngine
from search.queries.stories import TIMELINE_SIZE, TIMELINE_SOURCE
from search.vocabulary import find_actor
from web.page_parts import DOWNLOAD_TYPES, filename_part
from web.timelines import ActorNotFound, StoryTimeline, build_timeline
from workers.attribution.actor_ledger import ActorLedger, actor_ledger
from workers.attribution.ledger import Ledger, LedgerRow, story_ledger

LedgerFormat = Literal["json", "csv", "jsonl"]


@dataclass
class StoryClaims:
    """A story's ledger: the one-line state of attribution, its rows in time order and by claimant kind."""

    story_id: str
    title: str
    ledger: Ledger


def story_claims(engine: SearchEngine, settings: Settings, story_id: str) -> StoryClaims:
    """Raises search.service.StoryNotFound for a story with no document and no article."""
    story, articles = story_with_claim_articles(engine, settings, story_id)
    return StoryClaims(story_id=story_id, title=str(story.get("title") or ""),
                       ledger=story_ledger(articles, default_taxonomy()))


def story_timeline_and_claims(engine: SearchEngine, settings: Settings,
                              story_id: str) -> tuple[StoryTimeline, StoryClaims]:
    """The story page's timeline and ledger from one read of the story and its
    articles (the timeline shows the first TIMELINE_SIZE). Raises StoryNotFound."""
    story, articles = story_with_claim_articles(engine, settings, story_id, extra_fields=TIMELINE_SOURCE)
    claims = StoryClaims(story_id=story_id, title=str(story.get("title") or ""),
                         ledger=story_ledger(articles, default_taxonomy()))
    return build_timeline(story, articles[:TIMELINE_SIZE]), claims


def actor_claims(engine: SearchEngine, settings: Settings, name: str) -> ActorLedger:
    """An actor (id or any alias) and its ledger across stories; ActorNotFound when the taxonomy lacks it."""
    taxonomy = default_taxonomy()
    actor = find_actor(name, taxonomy)
    if actor is None:
        raise ActorNotFound(name)
    return actor_ledger(actor, actor_claim_articles(engine, settings, actor), taxonomy)


def row_record(row: LedgerRow) -> dict[str, Any]:
    """A ledger row flat, for the CSV and JSON lines download."""
    return {"claimant_kind": row.claimant_kind, "claimant": row.claimant, "claimant_country": row.claimant_country,
            "stance": row.stance, "subject": row.subject, "subject_names": row.subject_names,
            "actor_id": row.actor_id, "subject_state": row.subject_state, "victim": row.victim,
            "first_at": row.first_at, "first_article_id": row.first_article.id,
            "first_article_title": row.first_article.title, "first_article_outlet": row.first_article.outlet,
            "first_article_url": row.first_article.url, "first_article_story_id": row.first_article.story_id,
            "outlets": row.outlets, "outlet_names": row.outlet_names, "articles": row.articles,
            "stories": row.stories, "evidence": row.evidence}


def ledger_download(rows: Sequence[LedgerRow], format: Literal["csv", "jsonl"], name: str) -> StreamingResponse:
    """The rows as an attachment, ``coverwatch-claims-<name>-<time>.<format>``."""
    records: Iterator[dict[str, Any]] = (row_record(row) for row in rows)
    lines = ledger_csv_lines(records) if format == "csv" else ledger_jsonl_lines(records)
    filename = f"coverwatch-claims-{filename_part(name)}-{datetime.now(UTC):%Y%m%d-%H%M}.{format}"
    return StreamingResponse(lines, media_type=DOWNLOAD_TYPES[format],
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
