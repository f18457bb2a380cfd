"""MISP: a rule whose subscribers include the target ``misp`` pushes the matched
story's event to the deployment's MISP instance (``COVERWATCH_MISP_URL`` and
``COVERWATCH_MISP_KEY``; workers/exchange/misp_push.py) whenever it fires.

Exactly once per (rule, story version): the delivery claim of alerts/delivery.py
is keyed by the story and the version the firing saw (the crawl time of the
article that fired it, :meth:`MispChannel.occasion_key`), so each new article
of a matched story pushes the story again, and a firing delivered twice does
not. The push itself sends a version the instance already has from us (from
another rule, or ``coverwatch misp push``) as nothing. The event is read at
send time, so it carries every article the story has by then.

MISP not answering, or answering 5xx, is retried like an SMTP 4xx; a refusal
(a bad key, an event MISP will not take) is retried a few times and then left
in the delivery log, never marks the target bouncing: fixing the key should not
need the subscriber cleared.
"""

from __future__ import annotations

from functools import lru_cache

from alerts.channels import Channel, ChannelNotConfigured, register_channel
from alerts.messages import AlertContext
from alerts.transports import TransientSendFailure, TransportError
from coverwatch.connections import redis_client_for
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine, connect
from search.story_records import StoryRecord, story_records
from workers.exchange import ExchangeOptions
from workers.exchange.misp_push import MispClient, MispRefused, MispUnavailable, PushLedger, PushOutcome, push_story

MISP_TARGET = "misp"


@lru_cache(maxsize=4)
def _engine(search_url: str) -> SearchEngine:
    # One client per process and node, not one per alert.
    return connect(search_url)


def lone_article_story(article: Article) -> StoryRecord:
    """An article no story holds (yet) as a story of its own."""
    document = article.to_document()
    moment = article.crawled_at.isoformat()
    return StoryRecord({"id": article.id, "title": article.title,
                        "first_seen": document.get("event_time") or moment, "last_update": moment}, (document,))


@register_channel
class MispChannel(Channel[StoryRecord]):
    kind = "misp"
    precedence = 5  # a bare word no other channel takes; asked first all the same

    @classmethod
    def recipient_of(cls, target: str) -> str | None:
        return MISP_TARGET if target.strip().casefold() == MISP_TARGET else None

    def __init__(self, settings: Settings, engine: SearchEngine, ledger: PushLedger) -> None:
        self.settings = settings
        self.engine = engine
        self.ledger = ledger

    @classmethod
    def from_settings(cls, settings: Settings) -> MispChannel:
        if not settings.misp_url or settings.misp_key is None:
            raise ChannelNotConfigured("misp targets need COVERWATCH_MISP_URL and COVERWATCH_MISP_KEY")
        return cls(settings, _engine(settings.search_url),
                   PushLedger(redis_client_for(settings), settings, settings.misp_url))

    def occasion_key(self, group_key: str, article: Article) -> str:
        return f"{group_key}@{article.crawled_at.isoformat()}"

    def render(self, context: AlertContext, recipient: str) -> StoryRecord:
        article = context.article
        if not article.story_id:
            return lone_article_story(article)
        found = list(story_records(self.engine, self.settings, story_ids=[article.story_id]))
        if not found:
            # Stories are searchable after the next refresh: the retry finds it.
            raise TransientSendFailure(f"misp: story {article.story_id} is not searchable yet")
        return found[0]

    def send(self, payload: StoryRecord, recipient: str, delivery_id: str) -> None:
        try:
            with MispClient.from_settings(self.settings) as client:
                outcome = push_story(client, self.ledger, payload, ExchangeOptions.from_settings(self.settings))
        except MispUnavailable as failure:
            raise TransientSendFailure(f"misp: {failure}", failure.status) from failure
        except MispRefused as failure:
            raise TransportError(f"misp: {failure}") from failure
        if outcome is PushOutcome.BUSY:
            raise TransientSendFailure(f"misp: story {payload.id} is being pushed by another sender")
