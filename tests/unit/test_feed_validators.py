"""Feed validators (ETag, Last-Modified) on an in-memory Redis (fakeredis): a
run stages them, and only a run that handed over every article commits them,
so a crawl that dies before its hand-off is not answered 304 next time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fakeredis
import pytest
import redis

from coverwatch.settings import Settings
from crawlers import pipelines
from crawlers.pipelines import HandOffPipeline
from crawlers.seen import Validators

FEED = "https://wire.example/feed.xml"


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    fake = fakeredis.FakeRedis()
    yield fake
    fake.close()


@pytest.fixture
def validators(client: redis.Redis) -> Validators:
    return Validators(client, Settings(index_prefix="validators-test"))


def test_staged_validators_are_sent_only_once_committed(validators: Validators) -> None:
    validators.stage("wire", FEED, '"v2"', "Mon, 30 Nov 2026 08:00:00 GMT")
    assert validators.get(FEED) == (None, None)
    assert validators.commit("wire") == 1
    assert validators.get(FEED) == ('"v2"', "Mon, 30 Nov 2026 08:00:00 GMT")
    assert validators.commit("wire") == 0  # nothing staged is left to commit twice


def test_a_source_commits_only_its_own_staged_validators(validators: Validators) -> None:
    validators.stage("wire", FEED, '"a"', None)
    validators.stage("other", "https://other.example/rss", '"b"', None)
    validators.commit("wire")
    assert validators.get("https://other.example/rss") == (None, None)


class _Crawler:
    stats = None
    spider = None


class _Source:
    name = "wire"
    keep_off_topic = False


class _Spider:
    source = _Source()


class _Pipeline(HandOffPipeline):
    def __init__(self, validators: Validators) -> None:
        super().__init__(batch_size=10, crawler=_Crawler())  # type: ignore[arg-type]
        self.own_validators = validators

    def _validators(self) -> Validators:
        return self.own_validators


def _item() -> Any:
    item: Any = {"source": "wire", "url": "https://wire.example/a"}
    return type("Item", (dict,), {"seen_as": []})(item)


@pytest.mark.parametrize(("reason", "committed"), [("finished", True), ("closespider_timeout", False),
                                                    ("time limit", False), ("shutdown", False)])
def test_only_a_run_that_finished_commits(validators: Validators, reason: str, committed: bool) -> None:
    validators.stage("wire", FEED, '"v3"', None)
    pipeline = _Pipeline(validators)
    pipeline.spider_closed(_Spider(), reason)
    assert (validators.get(FEED)[0] == '"v3"') is committed


def test_a_failed_hand_off_keeps_the_old_validators(validators: Validators,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(batch: Any, keep_off_topic: bool = False) -> str:
        raise redis.ConnectionError("broker gone")

    monkeypatch.setattr(pipelines, "submit_batch", refuse)
    validators.stage("wire", FEED, '"v4"', None)
    pipeline = _Pipeline(validators)
    pipeline.process_item(_item())
    with pytest.raises(redis.ConnectionError):
        pipeline.source_finished("wire", "finished")
    pipeline.spider_closed(_Spider(), "finished")
    assert validators.get(FEED) == (None, None)
