"""One task base for every stage: retries with backoff, metrics, logging and a
dead-letter record when a message has used up its retries."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis
from celery import Task

from coverwatch.settings import get_settings
from workers.runtime.batches import BatchMissing, BatchStore, through_outage
from workers.runtime.resources import count, redis_client

log = logging.getLogger(__name__)

# The outages every task rides out: Redis and the network. A domain whose tasks
# talk to a service of their own (the search engine, a mail transport) adds its
# errors in a subclass: ``autoretry_for = (*RETRYABLE, TheirError)``.
RETRYABLE: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError, ConnectionError,
                                              TimeoutError)


class StageTask(Task):  # type: ignore[misc]
    autoretry_for = RETRYABLE
    retry_backoff = 2
    # At most a minute between attempts: a stage waiting out an engine restart
    # goes on within a minute of its return, not five.
    retry_backoff_max = 60
    retry_jitter = True
    # With full jitter, ten retries wait about three minutes in all (six waited about
    # one): long enough for a search engine or broker restart on a busy machine.
    max_retries = 10
    acks_late = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the stage once per input batch: a redelivered message whose output
        was already handed on returns that output again and does nothing else."""
        batches = BatchStore(redis_client(), get_settings())
        consumed = args[0] if args else None
        if not batches.is_ref(consumed):
            return super().__call__(*args, **kwargs)
        # Outside the task's body Celery retries nothing: these two ride out a Redis restart.
        done, output = through_outage(lambda: batches.handed_on(self.name, consumed), "check for a repeat")
        if done:
            count(f"task.{self.name}.repeat_skipped")
            log.info("task %s already handed on %s; repeat is a no-op", self.name, consumed)
            return output
        output = super().__call__(*args, **kwargs)
        through_outage(lambda: batches.hand_on(self.name, consumed, output), "record the output")
        return output

    def on_success(self, retval: Any, task_id: str, args: Any, kwargs: Any) -> None:
        count(f"task.{self.name}.ok")

    def on_retry(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        count(f"task.{self.name}.retried")
        log.warning("task %s[%s] will retry: %s", self.name, task_id, exc)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        count(f"task.{self.name}.failed")
        log.error("task %s[%s] failed for good: %s", self.name, task_id, exc)
        record = {"task": self.name, "task_id": task_id, "args": args, "kwargs": kwargs,
                  "reason": f"{type(exc).__name__}: {exc}", "failed_at": time.time()}
        # The letter keeps the articles themselves: the stored batch expires, the letter does not.
        batches = BatchStore(redis_client(), get_settings())
        if args and batches.is_ref(args[0]):
            try:
                record["batch"] = batches.get(args[0])
                # Only enrich takes the flag as an argument; the batch carries it for every stage.
                record["keep_off_topic"] = bool(kwargs.get("keep_off_topic")) or batches.keeps_off_topic(args[0])
            except (BatchMissing, redis.RedisError) as missing:
                log.error("dead letter %s without its batch: %s", task_id, missing)
        try:
            redis_client().rpush(get_settings().redis_key("dead-letter"), json.dumps(record, default=str))
        except redis.RedisError:
            log.exception("could not write the dead-letter record for %s", task_id)
