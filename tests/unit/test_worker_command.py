"""The worker command line is built from the stage list, so deployment files never
list queues by hand (they once missed the enrich and cluster queues)."""

from __future__ import annotations

import pytest

from coverwatch.settings import Settings
from workers.process import worker_command
from workers.runtime.queues import STAGES


def _queues(command: list[str]) -> list[str]:
    return command[command.index("-Q") + 1].split(",")


def test_every_stage_queue_is_consumed_by_default() -> None:
    settings = Settings(index_prefix="acme")
    queues = _queues(worker_command(settings, concurrency=3))
    assert queues == [f"acme.{stage}" for stage in STAGES]
    assert {"acme.enrich", "acme.cluster", "acme.alerts"} <= set(queues)


def test_named_stages_only_and_unknown_stage_refused() -> None:
    settings = Settings(index_prefix="acme")
    assert _queues(worker_command(settings, 1, stages=["crawl"])) == ["acme.crawl"]
    with pytest.raises(ValueError, match=r"unknown stage.*indx"):
        worker_command(settings, 1, stages=["indx"])
