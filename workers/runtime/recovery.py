"""Crash recovery on Redis: a killed worker's messages go back to their queues
within seconds, not when the broker's visibility timeout (an hour) runs out.

Kombu's Redis transport keeps every delivered, unacknowledged message in one
hash (``unacked``, tag -> [message, exchange, routing key]) and a sorted set
(``unacked_index``, tag -> delivery time), shared by every deployment on the
server, and does not say which consumer holds which tag. So each worker
process records the tags it receives (``<prefix>:unacked-owner``, tag -> owner)
and keeps a heartbeat key alive while it runs. Any live worker, at start and
every few seconds, returns to their queues the tags whose owner's heartbeat
has expired, through kombu's own restore (the same transaction that the
visibility timeout would run), under a lock so that two recoverers never
return one tag twice. A stage lock the dead worker held (the cluster lock) is
broken at once when its token names the dead worker's process (ProcessLock), and
otherwise once it has kept the same holder for a while after the death was
noticed, instead of blocking every other worker until its timeout. RabbitMQ
would redeliver on disconnect by itself, but it is one more server to install;
this keeps the default broker and works the same in production, where the
visibility timeout stays above the longest task.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import redis
import redis.lock

from coverwatch.connections import break_lock_held_by, redis_client_for
from coverwatch.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Kombu's default key names for its Redis ack emulation (we set no global prefix).
UNACKED_KEY = "unacked"
UNACKED_INDEX_KEY = "unacked_index"

HEARTBEAT_SECONDS = 2.0
# Several missed beats before a worker counts as gone: a busy 2-core machine can
# delay the beat thread by seconds, and a false death costs a duplicate delivery.
HEARTBEAT_TTL_SECONDS = 10
RECOVERY_SECONDS = 5.0
# A tag in this deployment's queues that nobody claimed (the worker died between
# kombu's bookkeeping and ours, a millisecond window) is returned after this long.
UNCLAIMED_GRACE_SECONDS = 120.0
# A stage lock that a dead worker may hold (it died in that stage) is broken when
# it still has the same holder this long after the death was noticed: a live
# holder lets go within seconds, a dead one only when the lock's timeout runs out.
STALE_LOCK_SECONDS = 20.0


class ProcessLock(redis.lock.Lock):
    """A Redis lock whose token names the process holding it (``host:pid:ppid|nonce``):
    when that process's worker is found dead, recovery breaks the lock at once
    instead of waiting to see the same holder for STALE_LOCK_SECONDS."""

    def acquire(self, sleep: float | None = None, blocking: bool | None = None,
                blocking_timeout: float | None = None, token: str | None = None) -> bool:
        if token is None:
            token = f"{socket.gethostname()}:{os.getpid()}:{os.getppid()}|{uuid.uuid4().hex}"
        return bool(super().acquire(sleep=sleep, blocking=blocking, blocking_timeout=blocking_timeout,
                                    token=token))


def held_by_one_of(token: str, workers: Collection[str]) -> bool:
    """Was a ProcessLock token taken by one of these workers (``host:pid:nonce``),
    in its main process or in one of its pool's children?"""
    holder, separator, _nonce = token.partition("|")
    if not separator or holder.count(":") < 2:
        return False  # a plain lock: nothing says who holds it
    host, pid, parent = holder.rsplit(":", 2)
    return any(found[0] == host and found[1] in (pid, parent)
               for found in map(worker_host_and_pid, workers) if found is not None)


def worker_host_and_pid(worker: str) -> tuple[str, str] | None:
    """Host and main-process id of a worker id (``host:pid:nonce``, WorkerLife)."""
    parts = worker.rsplit(":", 2)
    return (parts[0], parts[1]) if len(parts) == 3 else None


@dataclass(frozen=True)
class Delivery:
    """One message kombu holds as delivered but not yet acknowledged."""

    tag: str
    queue: str
    delivered_at: float


@dataclass(frozen=True)
class Owner:
    worker: str
    stage: str


@dataclass(frozen=True)
class RecoveryPlan:
    to_return: list[str]
    to_forget: list[str]


def plan_recovery(owners: Mapping[str, Owner], alive: Collection[str], deliveries: Iterable[Delivery],
                  own_queues: Collection[str], now: float,
                  grace: float = UNCLAIMED_GRACE_SECONDS) -> RecoveryPlan:
    """Which unacked tags to return to their queues, and which owner records are
    stale (their message was acknowledged). A tag returns when its owner is not
    alive, or when it sits in one of this deployment's queues unclaimed for
    longer than ``grace``; tags of other deployments are never touched."""
    delivered = {delivery.tag: delivery for delivery in deliveries}
    to_return = [tag for tag, owner in owners.items() if tag in delivered and owner.worker not in alive]
    unclaimed = [tag for tag, delivery in delivered.items()
                 if tag not in owners and delivery.queue in own_queues and now - delivery.delivered_at > grace]
    to_forget = [tag for tag in owners if tag not in delivered]
    return RecoveryPlan(sorted([*to_return, *unclaimed]), sorted(to_forget))


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
        own_queues = {settings.queue_name(stage) for stage in _stages()}
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
        _suspect_locks(client, settings, {stage for _, stage in returned},
                       {owners[tag].worker for tag, _ in returned if tag in owners}, now)
        _break_stale_locks(client, settings, now)
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


def _stage_lock_names(client: redis.Redis, settings: Settings) -> dict[str, str]:
    """The locks a stage's task holds while it runs, by stage."""
    from workers.stories import cluster_lock

    return {"cluster": str(cluster_lock(client, settings).name)}


def _suspects_key(settings: Settings) -> str:
    return settings.redis_key("stale-lock-suspects")


def _suspect_locks(client: redis.Redis, settings: Settings, dead_stages: Collection[str],
                   dead_workers: Collection[str], now: float) -> None:
    """A dead worker held a message of these stages: note who holds their locks
    now. A lock whose token names one of the dead workers is due at once."""
    for stage, name in _stage_lock_names(client, settings).items():
        if stage not in dead_stages:
            continue
        token = cast(bytes | None, client.get(name))
        if token is not None:
            since = now - STALE_LOCK_SECONDS if held_by_one_of(_text(token), dead_workers) else now
            client.hset(_suspects_key(settings), name, json.dumps({"token": _text(token), "since": since}))




def _break_stale_locks(client: redis.Redis, settings: Settings, now: float) -> None:
    suspects = cast(dict[bytes, bytes], client.hgetall(_suspects_key(settings)))
    for raw_name, raw_suspect in suspects.items():
        name, suspect = _text(raw_name), json.loads(raw_suspect)
        current = cast(bytes | None, client.get(name))
        if current is None or _text(current) != suspect["token"]:
            client.hdel(_suspects_key(settings), name)  # let go by a live holder
        elif now - float(suspect["since"]) >= STALE_LOCK_SECONDS:
            if break_lock_held_by(client, name, suspect["token"]):
                client.hincrby(settings.redis_key("counters"), "recovery.locks_broken", 1)
                log.warning("broke lock %s of a dead worker (held by %s)", name, suspect["token"])
            client.hdel(_suspects_key(settings), name)


def _count_returned(client: redis.Redis, settings: Settings, stages: list[str]) -> None:
    pipeline = client.pipeline(transaction=False)
    for stage in stages:
        pipeline.hincrby(settings.redis_key("counters"), "recovery.returned", 1)
        pipeline.hincrby(settings.redis_key("counters"), f"recovery.returned.{stage}", 1)
    pipeline.execute()


def _stages() -> tuple[str, ...]:
    from workers.celery_app import STAGES

    return STAGES


class WorkerLife(threading.Thread):
    """In a worker's main process: the heartbeat, and a recovery round at start
    and every few seconds. Each worker process gets a fresh id, so a restarted
    worker never passes for the one that died."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="coverwatch-worker-life", daemon=True)
        self.settings = settings
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.client = redis_client_for(settings)
        self.stopping = threading.Event()
        beat(self.client, settings, self.worker_id)

    def run(self) -> None:
        next_recovery = 0.0
        while not self.stopping.is_set():
            try:
                beat(self.client, self.settings, self.worker_id)
                if time.monotonic() >= next_recovery:
                    next_recovery = time.monotonic() + RECOVERY_SECONDS
                    self._recover_once()
            except redis.RedisError as failure:
                log.warning("heartbeat or recovery round failed: %s", failure)
            except Exception:  # the beat thread must outlive any one bad round
                log.exception("recovery round failed")
            self.stopping.wait(HEARTBEAT_SECONDS)

    def _recover_once(self) -> None:
        from workers.celery_app import app

        with app.connection_for_write() as connection:
            recover(self.client, self.settings, connection.default_channel.qos.restore_by_tag)

    def stop(self) -> None:
        self.stopping.set()
        try:
            retire(self.client, self.settings, self.worker_id)
        except redis.RedisError as failure:
            log.warning("could not retire heartbeat %s: %s", self.worker_id, failure)


_life: list[WorkerLife] = []
_life_guard = threading.Lock()


def worker_life() -> WorkerLife:
    """This worker process's life thread, started on first use."""
    with _life_guard:
        if not _life:
            life = WorkerLife(get_settings())
            life.start()
            _life.append(life)
        return _life[0]


def on_task_received(request: Any, **_: Any) -> None:
    """Celery's ``task_received`` (in the worker's main process, before the task
    runs): note which worker holds the message's tag."""
    tag = getattr(request.message, "delivery_tag", None)
    queue = (request.delivery_info or {}).get("routing_key") or ""
    if not tag:
        return
    life = worker_life()
    try:
        record_owner(life.client, life.settings, str(tag), life.worker_id, str(queue))
    except redis.RedisError as failure:
        log.warning("could not record the holder of %s: %s", tag, failure)


def on_worker_ready(**_: Any) -> None:
    worker_life()


def on_worker_shutdown(**_: Any) -> None:
    with _life_guard:
        for life in _life:
            life.stop()


def watch_worker_lifecycle() -> None:
    """Connect the handlers to Celery's worker signals (idempotent)."""
    from celery import signals

    signals.task_received.connect(on_task_received, weak=False, dispatch_uid="coverwatch-owner")
    signals.worker_ready.connect(on_worker_ready, weak=False, dispatch_uid="coverwatch-life")
    signals.worker_shutdown.connect(on_worker_shutdown, weak=False, dispatch_uid="coverwatch-retire")
