"""The faults the suite injects, one function each (registered in ``FAULTS``).
Each is called right after its scenario's crawl started."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Collection

from tests.e2e.faults import Deployment, Scenario, fault

MOMENT_TIMEOUT = 120.0


def _held_by(deployment: Deployment, worker: str, stages: Collection[str]) -> bool:
    from workers.runtime.recovery import held_messages

    pid = deployment.workers[worker].pid
    return any(message.worker_pid == pid and message.owner.stage in stages
               for message in held_messages(deployment.redis(), deployment.settings))


def _wait_until_held(deployment: Deployment, worker: str, stages: Collection[str]) -> None:
    deadline = time.monotonic() + MOMENT_TIMEOUT
    while not _held_by(deployment, worker, stages):
        if time.monotonic() > deadline:
            raise AssertionError(f"worker {worker} never held a message of {', '.join(stages)}")
        time.sleep(0.01)


@fault("stage_worker_killed")
def kill_stage_worker(deployment: Deployment, scenario: Scenario) -> None:
    """SIGKILL the pipeline worker while it holds an enrich or cluster message; a
    supervisor starts it again at once."""
    _wait_until_held(deployment, "stages", ("enrich", "cluster"))
    deployment.kill_worker("stages")
    scenario.notes["killed_at"] = time.time()
    deployment.restart_worker("stages")


@fault("crawler_killed")
def kill_crawler(deployment: Deployment, scenario: Scenario) -> None:
    """SIGKILL the crawl once it has handed over its first batch; then crawl the
    source again: the next crawl takes over the dead crawl's lock at once (its
    holder's process is gone), so not one crawl is skipped."""
    first = scenario.crawls[0]
    log = deployment.crawl_log(scenario, 0)
    deadline = time.monotonic() + MOMENT_TIMEOUT
    while b"handed" not in log.read_bytes():
        if first.poll() is not None or time.monotonic() > deadline:
            raise AssertionError("the crawl ended before it handed over a batch")
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    scenario.notes["handed_before_kill"] = log.read_bytes().count(b"handed")
    skipped = 0
    limit = deployment.settings.crawl_time_limit + 60 + 30
    while time.monotonic() - killed_at < limit:
        crawl = deployment.start_crawl(scenario)
        crawl.wait(timeout=limit)
        report = json.loads(deployment.crawl_log(scenario).read_text().strip().splitlines()[-1])["sources"][0]
        if not str(report.get("finish_reason", "")).startswith("skipped"):
            scenario.notes["next_crawl_blocked_s"] = round(time.monotonic() - killed_at, 1)
            scenario.notes["skipped_crawls"] = skipped
            assert skipped == 0, f"the killed crawl's lock made {skipped} crawl(s) skip the source"
            return
        skipped += 1
        time.sleep(2)
    raise AssertionError(f"the source stayed locked {limit}s after its crawl was killed")


@fault("sender_killed_mid_send")
def kill_sender(deployment: Deployment, scenario: Scenario) -> None:
    """SIGKILL the delivering worker while its SMTP conversation is open and the
    message not yet handed over (the server holds its RCPT)."""
    deployment.smtp.stall_next_recipient(5.0)
    if not deployment.smtp.stalled.wait(MOMENT_TIMEOUT):
        raise AssertionError("no alert was sent")
    deployment.kill_worker("sender")
    deployment.restart_worker("sender")


@fault("redis_restarted")
def restart_redis(deployment: Deployment, scenario: Scenario) -> None:
    """SIGKILL the broker (AOF on) while a batch is in the pipeline; start it again."""
    _wait_until_held(deployment, "stages", ("dedupe", "enrich", "cluster"))
    deployment.kill_redis()
    time.sleep(1)
    deployment.start_redis()


@fault("search_stopped")
def stop_search(deployment: Deployment, scenario: Scenario) -> None:
    """Stop the search engine for about half a minute while batches are indexed
    (the node takes a quarter minute or more to start again on this machine)."""
    _wait_until_held(deployment, "stages", ("cluster",))
    stopped_at = time.monotonic()
    deployment.stop_search()
    time.sleep(max(0.0, 15 - (time.monotonic() - stopped_at)))
    deployment.start_search()
    scenario.notes["engine_down_s"] = round(time.monotonic() - stopped_at, 1)
