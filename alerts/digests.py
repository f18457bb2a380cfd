"""One digest per subscriber across all their rules. A firing routed to a
digest becomes an entry (``<prefix>-digest_entries``) with the time it is due;
the beat task collects every due entry of a subscriber into one message,
grouped by story, each story once, newest coverage first, leaving out stories
already sent to that subscriber immediately. An entry about a possibly
on-topic article (alerts/bands.py; queued only for subscriptions that opted
in) is marked as such in both parts of the message.

A digest is claimed like any delivery: a create-only document in the
deliveries index whose id is keyed on the subscriber and the digest's window
(the latest due time among its entries), so two beat ticks or two workers
racing send it once. A crash after the claim leaves the entries pending; the
next tick finds the claim and only marks them done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, field_validator

from alerts.bands import Band, band_of
from alerts.delivery import delivery_id, message_id
from alerts.messages import LEAD_CHARS, shorten
from alerts.rule_model import Firing
from alerts.subscriber_mail import digest_email
from alerts.subscribers import get_subscribers, may_receive
from alerts.transports import MailTransport, TransportError, transport_for
from coverwatch.models import utc_now
from coverwatch.settings import Settings
from search import queries
from search.engine import Conflict, SearchEngine
from search.indexes import DELIVERIES, DIGEST_ENTRIES

DIGEST_RULE = "digest"  # the rule id digest deliveries are recorded under
DUE_BATCH = 2000
# Delivery statuses meaning the subscriber has (or, for a crashed send, may have) the story.
DELIVERED = ["sent", "inherited", "claimed"]


class DigestEntry(BaseModel):
    address: str
    recipient: str  # as the rule or subscription spells it; deliveries are recorded under it
    rule_id: str
    rule_name: str
    group_key: str
    story_id: str | None
    article_id: str
    title: str
    url: str
    source: str
    published_at: datetime | None
    lead: str
    queued_at: datetime
    due_at: datetime
    # Below the alerting threshold; the subscription opted into such items.
    possibly_on_topic: bool = False
    # What a development rule (attribution, story_development) says is new: its lines.
    changes: list[str] = []
    status: str = "pending"
    digest_id: str | None = None

    # Escaping keeps markup out of an href, not a javascript: URL; only web links are kept.
    @field_validator("url")
    @classmethod
    def _web_link(cls, url: str) -> str:
        return url if url.lower().startswith(("https://", "http://")) else ""

    @property
    def id(self) -> str:
        key = "\x1f".join((self.address, self.rule_id, self.group_key, self.article_id))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    @property
    def story_key(self) -> str:
        return self.story_id or self.group_key

    @property
    def covered_at(self) -> datetime:
        return self.published_at or self.queued_at


def entry_for(firing: Firing, address: str, recipient: str, due_at: datetime, now: datetime) -> DigestEntry:
    article = firing.article
    return DigestEntry(
        address=address, recipient=recipient, rule_id=firing.rule.id, rule_name=firing.rule.name,
        group_key=firing.group_key, story_id=article.story_id, article_id=article.id, title=article.title,
        url=article.canonical_url, source=article.source, published_at=article.published_at,
        lead=shorten(article.lead or article.body, LEAD_CHARS), queued_at=now, due_at=due_at,
        possibly_on_topic=band_of(article) is Band.POSSIBLE,
        changes=[str(line) for line in firing.details.get("changes") or ()])


def queue_entries(engine: SearchEngine, settings: Settings, entries: Iterable[DigestEntry]) -> int:
    """Create-or-skip: the same article for the same rule and subscriber is queued once."""
    index = settings.index_name(DIGEST_ENTRIES)
    actions: list[dict[str, Any]] = []
    for entry in entries:
        actions += [{"create": {"_index": index, "_id": entry.id}}, entry.model_dump(mode="json")]
    if not actions:
        return 0
    items = engine.bulk(actions, refresh=True).get("items", [])
    return sum(1 for item in items if item["create"].get("status") == 201)


@dataclass(frozen=True)
class DigestArticle:
    title: str
    url: str
    source: str
    published: str
    lead: str
    rule_names: list[str]
    possibly_on_topic: bool = False
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestStory:
    key: str
    title: str
    story_url: str
    newest: datetime
    articles: list[DigestArticle]
    rule_names: list[str]


def _article(entries: list[DigestEntry]) -> DigestArticle:
    first = entries[0]
    published = first.published_at.strftime("%d %b %Y %H:%M UTC") if first.published_at else ""
    changes = tuple(dict.fromkeys(line for entry in entries for line in entry.changes))
    return DigestArticle(first.title, first.url, first.source, published, first.lead,
                         sorted({entry.rule_name for entry in entries}),
                         all(entry.possibly_on_topic for entry in entries), changes)


def group_digest(entries: Iterable[DigestEntry], already_sent: Collection[str], public_url: str) -> list[DigestStory]:
    """Stories newest coverage first, each once, its articles newest first and each
    once however many rules matched it; stories in ``already_sent`` left out. A
    development (an entry with changes) is news about a story already sent: it
    is left out only when that development itself was sent."""
    by_story: dict[str, list[DigestEntry]] = {}
    for entry in entries:
        sent = entry.group_key in already_sent or (not entry.changes and entry.story_key in already_sent)
        if not sent:
            by_story.setdefault(entry.story_key, []).append(entry)
    stories = []
    for key, members in by_story.items():
        members.sort(key=lambda entry: (entry.covered_at, entry.article_id), reverse=True)
        same_article: dict[str, list[DigestEntry]] = {}
        for entry in members:
            same_article.setdefault(entry.article_id, []).append(entry)
        articles = [_article(copies) for copies in same_article.values()]
        # Headed by the coverage that opened it, as the story page is.
        opening = min(members, key=lambda entry: entry.covered_at)
        story_url = f"{public_url}/stories/{quote(opening.story_id)}" if opening.story_id else ""
        stories.append(DigestStory(key, opening.title, story_url, members[0].covered_at, articles,
                                   sorted({entry.rule_name for entry in members})))
    return sorted(stories, key=lambda story: (story.newest, story.key), reverse=True)


def _due_entries(engine: SearchEngine, settings: Settings, now: datetime) -> list[DigestEntry]:
    answer = engine.request("POST", f"/{settings.index_name(DIGEST_ENTRIES)}/_search",
                            queries.digest_entries_due(now.isoformat(), DUE_BATCH))
    return [DigestEntry.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]


def _sent_immediately(engine: SearchEngine, settings: Settings, entries: list[DigestEntry]) -> set[str]:
    keys = sorted({key for entry in entries for key in (entry.group_key, entry.story_key)})
    recipients = sorted({spelling for entry in entries for spelling in (entry.address, entry.recipient)})
    answer = engine.request("POST", f"/{settings.index_name(DELIVERIES)}/_search",
                            queries.delivered_to(recipients, keys, DELIVERED, DIGEST_RULE))
    return {hit["_source"]["group_key"] for hit in answer["hits"]["hits"]}


def _finish(engine: SearchEngine, settings: Settings, entries: list[DigestEntry], status: str,
            digest: str | None) -> None:
    index = settings.index_name(DIGEST_ENTRIES)
    actions: list[dict[str, Any]] = []
    for entry in entries:
        actions += [{"update": {"_index": index, "_id": entry.id}}, {"doc": {"status": status, "digest_id": digest}}]
    engine.bulk(actions, refresh=True)


def _claim(engine: SearchEngine, settings: Settings, address: str, window: str, now: datetime) -> str | None:
    identifier = delivery_id(DIGEST_RULE, address, window)
    record = {"rule_id": DIGEST_RULE, "subscriber": address, "group_key": window, "channel": "email",
              "status": "claimed", "generation": 0, "claimed_at": now.isoformat(),
              "message_id": message_id(identifier)}
    try:
        engine.request("PUT", f"/{settings.index_name(DELIVERIES)}/_create/{identifier}", record,
                       params={"refresh": "true"})
    except Conflict:
        return None
    return identifier


def send_digest(engine: SearchEngine, settings: Settings, address: str, entries: list[DigestEntry],
                transport: MailTransport, now: datetime) -> str:
    """One subscriber's due entries as one digest; returns what became of them."""
    window = f"digest:{max(entry.due_at for entry in entries).isoformat()}"
    identifier = _claim(engine, settings, address, window, now)
    if identifier is None:
        _finish(engine, settings, entries, "sent", delivery_id(DIGEST_RULE, address, window))
        return "already_delivered"
    deliveries = settings.index_name(DELIVERIES)
    stories = group_digest(entries, _sent_immediately(engine, settings, entries), settings.public_url)
    if not stories:
        engine.request("POST", f"/{deliveries}/_update/{identifier}", {"doc": {"status": "empty"}})
        _finish(engine, settings, entries, "already_sent", identifier)
        return "empty"
    values = {"stories": stories, "rule_names": sorted({entry.rule_name for entry in entries}),
              "since": min(entry.queued_at for entry in entries).strftime("%d %b %Y %H:%M UTC")}
    try:
        transport.send(digest_email(settings, entries[0].recipient, values, message_id(identifier)), identifier)
    except TransportError:
        engine.request("DELETE", f"/{deliveries}/_doc/{identifier}", params={"refresh": "true"})
        raise
    engine.request("POST", f"/{deliveries}/_update/{identifier}",
                   {"doc": {"status": "sent", "sent_at": utc_now().isoformat()}})
    _finish(engine, settings, entries, "sent", identifier)
    return "sent"


def send_due_digests(engine: SearchEngine, settings: Settings, now: datetime | None = None,
                     transport: MailTransport | None = None) -> dict[str, str]:
    """Every subscriber's due digest, {address: outcome}. A subscriber who left or
    bounces since the entries were queued gets nothing; the entries are dropped."""
    now = now or utc_now()
    due = _due_entries(engine, settings, now)
    by_address: dict[str, list[DigestEntry]] = {}
    for entry in due:
        by_address.setdefault(entry.address, []).append(entry)
    records = get_subscribers(engine, settings, list(by_address))
    transport = transport or transport_for(settings)
    outcomes: dict[str, str] = {}
    for address, entries in by_address.items():
        if not may_receive(records.get(address), listed_by_rule=True):
            _finish(engine, settings, entries, "dropped", None)
            outcomes[address] = "dropped"
            continue
        try:
            outcomes[address] = send_digest(engine, settings, address, entries, transport, now)
        except TransportError as failure:
            outcomes[address] = f"failed: {failure}"  # entries stay pending for the next tick
    return outcomes
