"""The locks stages hold, and breaking the one a dead worker left behind.

A stage lock is a ProcessLock: its token names the process holding it, so when
recovery finds that process's worker dead the lock is broken at once. A lock
whose holder cannot be told (a plain lock) is broken once it has kept the same
holder for STALE_LOCK_SECONDS after the death was noticed, instead of blocking
every other worker until its timeout."""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Collection
from typing import Any, cast

import redis
import redis.lock

from coverwatch.connections import break_lock_held_by
from coverwatch.settings import Settings

log = logging.getLogger(__name__)

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


def cluster_lock(client: redis.Redis, settings: Settings) -> Any:
    """The lock the cluster stage (and story merging, and an analyst's mark) holds
    while it assigns stories and writes articles: one per deployment."""
    return client.lock(settings.redis_key("lock", "cluster"), timeout=300, blocking_timeout=600,
                       lock_class=ProcessLock)


def stage_lock_names(client: redis.Redis, settings: Settings) -> dict[str, str]:
    """The locks a stage's task holds while it runs, by stage."""
    return {"cluster": str(cluster_lock(client, settings).name)}


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


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def _suspects_key(settings: Settings) -> str:
    return settings.redis_key("stale-lock-suspects")


def suspect_locks(client: redis.Redis, settings: Settings, dead_stages: Collection[str],
                  dead_workers: Collection[str], now: float) -> None:
    """A dead worker held a message of these stages: note who holds their locks
    now. A lock whose token names one of the dead workers is due at once."""
    for stage, name in stage_lock_names(client, settings).items():
        if stage not in dead_stages:
            continue
        token = cast(bytes | None, client.get(name))
        if token is not None:
            since = now - STALE_LOCK_SECONDS if held_by_one_of(_text(token), dead_workers) else now
            client.hset(_suspects_key(settings), name, json.dumps({"token": _text(token), "since": since}))


def break_stale_locks(client: redis.Redis, settings: Settings, now: float) -> None:
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
