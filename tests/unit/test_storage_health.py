"""search/health.py without services: a part that cannot be asked is an
unhealthy part with its name, never an exception, and no secret is shown."""

from __future__ import annotations

from pydantic import SecretStr

from coverwatch.settings import Settings
from search.engine_options import EngineOptions
from search.health import Health, PartHealth, redis_address, search_health, search_node_health


def test_a_bad_search_configuration_is_a_failing_part() -> None:
    settings = Settings(search_password=SecretStr("no user"))
    assert search_health(settings) == [PartHealth("search configuration", False,
                                                  "COVERWATCH_SEARCH_PASSWORD is set without "
                                                  "COVERWATCH_SEARCH_USERNAME")]


def test_an_unusable_node_url_is_named_and_keeps_its_credentials_out() -> None:
    part = search_node_health("http://ops:hunter2@127.0.0.1:notaport", EngineOptions(), timeout=0.5)
    assert not part.healthy and part.name == "search node http://127.0.0.1:notaport"
    assert "hunter2" not in part.detail


def test_redis_is_named_by_its_sentinels_or_its_url_without_password() -> None:
    assert redis_address(Settings(redis_url="redis://:s3cret@cache.internal:6380/2")) == "redis://cache.internal:6380/2"
    assert redis_address(Settings(redis_sentinels="s1:26379,s2", redis_sentinel_master="main")) == (
        "master main via sentinels s1:26379,s2:26379")


def test_the_answer_lists_what_fails() -> None:
    health = Health((PartHealth("redis", True, "answering"), PartHealth("search node http://b:9200", False, "down")))
    assert not health.healthy
    assert health.answer() == {"healthy": False, "failing": ["search node http://b:9200"], "services": {
        "redis": {"healthy": True, "detail": "answering"},
        "search node http://b:9200": {"healthy": False, "detail": "down"}}}
    assert health.lines()[1] == "search node http://b:9200: FAILING (down)"
