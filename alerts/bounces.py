"""Who must not be sent to any more: a target whose server refused it for good.
Every target (addresses and webhook URLs) is kept in the Redis bounce list;
an email address is also marked in its subscriber record (alerts/subscribers.py),
which stops digests and subscriptions for it and shows in `subscribers` listings."""

from __future__ import annotations

import redis

from alerts.delivery_log import RedisBounceList
from alerts.subscribers import mark_bouncing
from alerts.targets import email_address
from coverwatch.settings import Settings
from search.engine import SearchEngine


class SubscriberBounces:
    def __init__(self, client: redis.Redis, engine: SearchEngine, settings: Settings) -> None:
        self.listed = RedisBounceList(client, settings)
        self.engine = engine
        self.settings = settings

    def is_bouncing(self, subscriber: str) -> bool:
        """At send time the bounce list is enough (one Redis call): every bounce a
        send detects lands there, and a subscriber record marked bouncing by
        other means already keeps new notices from being queued (route_notices)."""
        return self.listed.is_bouncing(subscriber)

    def mark_bouncing(self, subscriber: str, reason: str) -> None:
        self.listed.mark_bouncing(subscriber, reason)
        address = email_address(subscriber)
        if address is not None:
            mark_bouncing(address, reason, self.engine, self.settings)
