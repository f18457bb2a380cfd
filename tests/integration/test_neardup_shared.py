"""The near-duplicate index on the real Redis: shared by two workers' connections,
a handful of keys however many articles, and copies found across an epoch change."""

from __future__ import annotations

import random
import time
import uuid
from typing import cast

import pytest
import redis

from coverwatch.settings import Settings
from workers.neardup import EPOCH_SECONDS, MAX_BUCKET_BYTES, NearDuplicateIndex, fingerprint

pytestmark = pytest.mark.integration
# Expiry is absolute (EXPIREAT against Redis's own clock), so the fake clocks start now.
START = time.time()


def _report(seed: int, words: int = 180) -> str:
    rng = random.Random(seed)
    vocabulary = [f"{rng.choice('bcdfgklmnprst')}{rng.choice('aeiou')}{rng.choice('lmnrst')}{n}" for n in range(900)]
    return " ".join(rng.choice(vocabulary) for _ in range(words)) + "."


def _edited(text: str) -> str:
    words = text.split()
    words[10:12] = ["officials", "told", "reporters"]
    return " ".join(words[:-15]) + " Additional reporting by the wire desk."


def test_two_workers_share_copies_with_few_keys(redis_client: redis.Redis, settings: Settings) -> None:
    prefix = settings.redis_key("test-neardup", uuid.uuid4().hex)
    first_worker = NearDuplicateIndex(redis_client, prefix, clock=lambda: START)
    second_worker = NearDuplicateIndex(redis.Redis.from_url(settings.redis_url), prefix, clock=lambda: START)
    originals = [(f"orig-{n}", START + n, fingerprint(_report(n))) for n in range(300)]
    assert first_worker.add_and_match(originals) == [[] for _ in originals]

    copy_text, unrelated_text = _edited(_report(7)), _report(10_007)
    found = second_worker.add_and_match([("copy-7", START + 900, fingerprint(copy_text)),
                                         ("other", START + 901, fingerprint(unrelated_text))])
    assert [c.article_id for c in found[0]] == ["orig-7"]
    assert found[1] == []
    keys = list(redis_client.scan_iter(match=f"{prefix}:*"))
    assert len(keys) == 1  # one epoch so far, not fifty keys per article
    assert 0 < int(redis_client.ttl(keys[0])) <= 3 * EPOCH_SECONDS  # type: ignore[arg-type]


def test_copy_found_in_the_next_epoch_but_not_two_later(redis_client: redis.Redis, settings: Settings) -> None:
    prefix = settings.redis_key("test-neardup", uuid.uuid4().hex)
    text = _report(42)
    NearDuplicateIndex(redis_client, prefix, clock=lambda: START).add_and_match(
        [("orig", START, fingerprint(text))])
    next_epoch = NearDuplicateIndex(redis_client, prefix, clock=lambda: START + EPOCH_SECONDS)
    assert [c.article_id for c in next_epoch.add_and_match([("copy-a", START, fingerprint(_edited(text)))])[0]] \
        == ["orig"]
    much_later = NearDuplicateIndex(redis_client, prefix, clock=lambda: START + 3 * EPOCH_SECONDS)
    assert much_later.add_and_match([("copy-b", START, fingerprint(_edited(text)))]) == [[]]


def test_a_crowded_bucket_keeps_its_newest_members(redis_client: redis.Redis, settings: Settings) -> None:
    prefix = settings.redis_key("test-neardup", uuid.uuid4().hex)
    index = NearDuplicateIndex(redis_client, prefix, clock=lambda: START)
    boilerplate = fingerprint(_report(99))  # every page of a site carrying only its template
    for start in range(0, 400, 100):
        index.add_and_match([(f"page-{n:03d}", START + n, boilerplate) for n in range(start, start + 100)])
    key = next(redis_client.scan_iter(match=f"{prefix}:*"))
    stored = cast(dict[bytes, bytes], redis_client.hgetall(key))
    bucket_sizes = [len(value) for field, value in stored.items() if not field.startswith(b"mh:")]
    assert max(bucket_sizes) <= MAX_BUCKET_BYTES
    found = {c.article_id for c in index.add_and_match([("page-new", START + 500, boilerplate)])[0]}
    assert "page-399" in found and "page-000" not in found and len(found) < 400
