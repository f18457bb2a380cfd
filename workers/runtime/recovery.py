"""Crash recovery on Redis: a killed worker's messages go back to their queues
within seconds, not when the broker's visibility timeout (an hour) runs out.

Kombu's Redis transport keeps every delivered, unacknowledged message in one
hash (``unacked``, tag -> [message, exchange, routing key]) and a sorted set
(``unacked_index``, tag -> delivery time), shared by every deployment on the
server, and does not say which consumer holds which tag. So each worker
process records the tags it receives (``<prefix>:unacked-owner``, tag -> owner)
and keeps a heartbeat key alive while it runs (workers/runtime/lifecycle.py).
Any live worker, at start and every few seconds, returns to their queues the
tags whose owner's heartbeat has expired, through kombu's own restore (the same
transaction that the visibility timeout would run), under a lock so that two
recoverers never return one tag twice. Which tags go back is decided on plain
values (workers/runtime/recovery_plan.py); a stage lock the dead worker held
(the cluster lock) is broken as workers/runtime/locks.py says. RabbitMQ would
redeliver on disconnect by itself, but it is one more server to install; this
keeps the default broker and works the same in production, where the
visibility timeout stays above the longest task.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

import redis

from coverwatch.settings import Settings
from workers.runtime.locks import break_stale_locks, suspect_locks, worker_host_and_pid
from workers.runtime.queues import STAGES
from workers.runtime.recovery_plan import UNCLAIMED_GRACE_SECONDS, Delivery, Owner, plan_recovery

log = logging.getLogger(__name__)

# Kombu's default key names for its Redis ack emulation (we set no global prefix).
UNACKED_KEY = "unacked"
UNACKED_INDEX_KEY = "unacked_index"

# Several missed beats before a worker counts as gone: a busy 2-core machine can
# delay the beat thread by seconds, and a false death costs a duplicate delivery.
HEARTBEAT_TTL_SECONDS = 10


def stage_of_queue(settings: Settings, queue: str) -> str:
    return queue.removeprefix(f"{settings.index_prefix}.")


def _owners_key(settings: Settings) -> str:
    return settings.redis_key("unacked-owner")


def _alive_key(settings: Settings, worker: str) -> str:
    return settings.redis_key("worker-alive", worker)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def read_owners(client: redis.Redis, settings: Settings) -> dict[str, Owner]:
    raw = cast(dict[bytes, bytes], client.hgetall(_owners_key(settings)))
    owners = {}
    for tag, value in raw.items():
        record = json.loads(value)
        owners[_text(tag)] = Owner(str(record["worker"]), str(record.get("stage", "")))
    return owners


def delivery_times(client: redis.Redis, tags: list[str]) -> dict[str, float]:
    """When kombu delivered each of ``tags`` (tags it no longer holds are left out)."""
    if not tags:
        return {}
    scores = cast(list[float | None], client.zmscore(UNACKED_INDEX_KEY, tags))
    return {tag: score for tag, score in zip(tags, scores, strict=True) if score is not None}


@dataclass(frozen=True)
class Held:
    """A message a worker process holds right now."""

    tag: str
    owner: Owner
    delivered_at: float

    @property
    def worker_pid(self) -> int:
        """The process id of the holding worker's main process (ids are host:pid:nonce)."""
        found = worker_host_and_pid(self.owner.worker)
        if found is None:
            raise ValueError(f"not a worker id: {self.owner.worker!r}")
        return int(found[1])


def held_messages(client: redis.Redis, settings: Settings) -> list[Held]:
    """Every message of this deployment a worker holds, oldest first."""
    owners = read_owners(client, settings)
    held = delivery_times(client, list(owners))
    return sorted((Held(tag, owners[tag], at) for tag, at in held.items()), key=lambda h: h.delivered_at)


def record_owner(client: redis.Redis, settings: Settings, tag: str, worker: str, queue: str) -> None:
    owner = {"worker": worker, "stage": stage_of_queue(settings, queue)}
    client.hset(_owners_key(settings), tag, json.dumps(owner))


def beat(client: redis.Redis, settings: Settings, worker: str) -> None:
    client.set(_alive_key(settings, worker), int(time.time()), ex=HEARTBEAT_TTL_SECONDS)


def retire(client: redis.Redis, settings: Settings, worker: str) -> None:
    client.delete(_alive_key(settings, worker))


def _alive_workers(client: redis.Redis, settings: Settings, workers: Collection[str]) -> set[str]:
    names = sorted(set(workers))
    pipeline = client.pipeline(transaction=False)
    for name in names:
        pipeline.exists(_alive_key(settings, name))
    found = cast(list[int], pipeline.execute()) if names else []
    return {name for name, present in zip(names, found, strict=True) if present}


def _own_deliveries(client: redis.Redis, settings: Settings, owners: Mapping[str, Owner],
                    now: float) -> list[Delivery]:
    """Unacked messages that are ours: every owned tag, and unowned tags old
    enough to be returned if they sit in this deployment's queues."""
    owned = delivery_times(client, list(owners))
    ceiling = now - UNCLAIMED_GRACE_SECONDS
    old = [_text(tag) for tag in cast(list[bytes], client.zrangebyscore(UNACKED_INDEX_KEY, 0, ceiling))]
    unowned = [tag for tag in old if tag not in owners]
    deliveries = [Delivery(tag, "", at) for tag, at in owned.items()]
    if unowned:
        entries = cast(list[bytes | None], client.hmget(UNACKED_KEY, unowned))
        times = delivery_times(client, unowned)
        for tag, entry in zip(unowned, entries, strict=True):
            if entry is not None and tag in times:
                routing_key = json.loads(entry)[2]
                deliveries.append(Delivery(tag, str(routing_key), times[tag]))
    return deliveries


# Drop an owner record only while its tag is still absent from kombu's hash, in
# one step: a tag requeued meanwhile and taken by another worker keeps its record.
_FORGET_ACKED = """
local forgotten = 0
for _, tag in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[2], tag) == 0 then
    forgotten = forgotten + redis.call('HDEL', KEYS[1], tag)
  end
end
return forgotten
"""


def recover(client: redis.Redis, settings: Settings, restore_by_tag: Any) -> list[tuple[str, str]]:
    """One recovery round: return the messages of dead workers to their queues.
    ``restore_by_tag`` is kombu's (a channel's ``qos.restore_by_tag``). Returns
    (tag, stage) of every message returned; a round already running elsewhere
    makes this one a no-op."""
    lock = client.lock(settings.redis_key("recovery-lock"), timeout=60, blocking=False)
    if not lock.acquire():
        return []
    try:
        now = time.time()
        owners = read_owners(client, settings)
        alive = _alive_workers(client, settings, {owner.worker for owner in owners.values()})
        own_queues = {settings.queue_name(stage) for stage in STAGES}
        plan = plan_recovery(owners, alive, _own_deliveries(client, settings, owners, now), own_queues, now)
        if plan.to_forget:
            client.eval(_FORGET_ACKED, 2, _owners_key(settings), UNACKED_KEY, *plan.to_forget)
        returned = []
        for tag in plan.to_return:
            # Forget the owner before the message can reach a new one, so the next
            # round cannot mistake the new holder's tag for the dead worker's.
            client.hdel(_owners_key(settings), tag)
            restore_by_tag(tag)
            stage = owners[tag].stage if tag in owners else "unclaimed"
            returned.append((tag, stage))
        suspect_locks(client, settings, {stage for _, stage in returned},
                      {owners[tag].worker for tag, _ in returned if tag in owners}, now)
        break_stale_locks(client, settings, now)
        if returned:
            _count_returned(client, settings, [stage for _, stage in returned])
            log.warning("returned %d message(s) of dead workers to their queues: %s", len(returned),
                        ", ".join(f"{stage} {tag}" for tag, stage in returned))
        return returned
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            log.warning("recovery lock expired before the round ended")


def _count_returned(client: redis.Redis, settings: Settings, stages: list[str]) -> None:
    pipeline = client.pipeline(transaction=False)
    for stage in stages:
        pipeline.hincrby(settings.redis_key("counters"), "recovery.returned", 1)
        pipeline.hincrby(settings.redis_key("counters"), f"recovery.returned.{stage}", 1)
    pipeline.execute()
