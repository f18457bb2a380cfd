"""Faults injected on purpose while a corpus flows crawl -> workers -> alerts,
on a private Redis and OpenSearch node (tests/e2e/faults.py): afterwards every
article is indexed once with its incident's story, every expected alert was
received once, and nothing waits in a queue."""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterator

import pytest

import tests.e2e.fault_kinds  # noqa: F401 - registers the faults
from coverwatch.settings import get_settings
from tests.e2e.faults import FAULTS, Deployment, FaultOutcome, outcomes_json, run_fault

pytestmark = pytest.mark.e2e

@pytest.fixture(scope="module")
def outcomes() -> Iterator[list[FaultOutcome]]:
    collected: list[FaultOutcome] = []
    yield collected
    # bench/faults.py reads it beside the security suites' figures.
    figures = get_settings().var_dir / "figures" / "faults.json"
    figures.parent.mkdir(parents=True, exist_ok=True)
    figures.write_text(outcomes_json(collected), encoding="utf-8")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    own = Deployment(tmp_path_factory.mktemp("faults"), f"faults-{uuid.uuid4().hex[:8]}")
    try:
        own.start()
        yield own
    finally:
        own.stop()


@pytest.mark.parametrize("name", list(FAULTS))
def test_nothing_is_lost_or_sent_twice(name: str, deployment: Deployment, outcomes: list[FaultOutcome]) -> None:
    outcome = run_fault(deployment, name, seed=zlib.crc32(name.encode()) % 1000)
    outcomes.append(outcome)
    report = json.dumps(outcome.__dict__)
    assert outcome.lost == 0 and outcome.indexed == outcome.articles, report
    assert outcome.indexed_twice == 0 and outcome.wrong_story == 0, report
    assert outcome.emails_expected > 0, report
    assert outcome.duplicate_messages == 0 and outcome.missing_messages == 0, report
    assert outcome.unexpected_messages == 0, report
    assert outcome.still_queued == 0 and not outcome.notes.get("dead_letters_after_replay"), report
