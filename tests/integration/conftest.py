"""Fixtures shared by the integration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.indexes import drop_indices, ensure_indices
from tests.fixtures.fake_misp import FAKE_MISP_KEY, FakeMisp, forget_pushes


@pytest.fixture
def own_indices(settings: Settings, engine: SearchEngine) -> Iterator[Settings]:
    """A deployment prefix of the test's own, its indices made before and dropped
    after: for tests that restore, retire or drop indices, which must never be
    the run's shared ones."""
    deployment = settings.model_copy(update={"index_prefix": f"own-{uuid.uuid4().hex[:8]}"})
    ensure_indices(engine, deployment)
    try:
        yield deployment
    finally:
        drop_indices(engine, deployment)


@pytest.fixture
def fake_misp(redis_client: redis.Redis) -> Iterator[FakeMisp]:
    """A local stand-in for a MISP instance's event API (tests/fixtures/fake_misp.py);
    the push ledger it got in Redis is forgotten after."""
    endpoint = FakeMisp(FAKE_MISP_KEY).start()
    yield endpoint
    endpoint.stop()
    forget_pushes(redis_client, endpoint.url)
