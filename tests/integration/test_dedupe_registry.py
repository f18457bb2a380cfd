"""The shared body registry on the real Redis: earliest publication wins, atomically."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis

from coverwatch.models import Article
from coverwatch.settings import Settings
from workers.dedupe import BodyHashRegistry, Demotions, Verdict
from workers.stages import reconcile_originals

pytestmark = pytest.mark.integration
DAY = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


def _registry(redis_client: redis.Redis, settings: Settings) -> BodyHashRegistry:
    return BodyHashRegistry(redis_client, settings.redis_key("test-body-hash", uuid.uuid4().hex))


def _copy(host: str, published: datetime, body: str = "Turla held access for months. " * 9) -> Article:
    return Article(url=f"https://{host}/story", title="t", body=body, source=host,
                   published_at=published)


def test_later_copy_is_a_duplicate_and_earlier_one_takes_over(redis_client: redis.Redis,
                                                              settings: Settings) -> None:
    registry = _registry(redis_client, settings)
    reprint = _copy("reprint.example", DAY + timedelta(hours=2))
    wire = _copy("wire.example", DAY)
    late = _copy("late.example", DAY + timedelta(days=1))
    assert [d.verdict for d in registry.claim([reprint])] == [Verdict.NEW]
    takeover = registry.claim([wire])[0]
    assert (takeover.verdict, takeover.original_id) == (Verdict.TAKEOVER, reprint.id)
    duplicate = registry.claim([late])[0]
    assert (duplicate.verdict, duplicate.original_id) == (Verdict.DUPLICATE, wire.id)
    assert registry.claim([wire])[0].verdict is Verdict.SEEN
    assert registry.owners([reprint, late]) == [wire.id, wire.id]


def test_concurrent_claims_leave_exactly_one_original(redis_client: redis.Redis,
                                                      settings: Settings) -> None:
    registry = _registry(redis_client, settings)
    copies = [_copy(f"outlet{n}.example", DAY) for n in range(16)]
    verdicts: list[Verdict] = []
    lock = threading.Lock()

    def claim(article: Article) -> None:
        own = BodyHashRegistry(redis.Redis.from_url(settings.redis_url), registry._key)
        decision = own.claim([article])[0]
        with lock:
            verdicts.append(decision.verdict)

    threads = [threading.Thread(target=claim, args=(article,)) for article in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts.count(Verdict.NEW) == 1
    assert verdicts.count(Verdict.DUPLICATE) == 15
    assert len(set(registry.owners(copies))) == 1


def test_demotions_reach_copies_not_yet_written(redis_client: redis.Redis, settings: Settings) -> None:
    demotions = Demotions(redis_client, settings.redis_key("test-demoted", uuid.uuid4().hex))
    late, early, unrelated = (_copy(host, DAY) for host in ("late.example", "early.example", "other.example"))
    demotions.record({late.id: early.id})
    assert demotions.originals([late, unrelated]) == [early.id, None]
    reconciled = reconcile_originals([late, unrelated], demotions.originals([late, unrelated]))
    assert [a.duplicate_of for a in reconciled] == [early.id, None]
