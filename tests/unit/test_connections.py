"""Connections for real clusters: engine nodes, TLS and credentials; Redis password,
TLS and Sentinel for the app's clients and for Celery. Local defaults unchanged."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from redis.sentinel import SentinelConnectionPool

from coverwatch.connections import celery_connection, parse_sentinels, redis_client_for
from coverwatch.settings import Settings, get_settings
from search.engine import ElasticsearchEngine, EngineUnavailable, OpenSearchEngine, detect_distribution
from search.engine_options import EngineOptions, split_hosts
from tests.fixtures.engine_root import EngineRoot

# A port nothing listens on: connection refused at once.
DEAD_NODE = "http://127.0.0.1:1"


def _settings(**values: object) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


def test_local_defaults_are_one_plain_node_and_one_redis_url() -> None:
    settings = _settings()
    options = EngineOptions.from_settings(settings)
    assert options.hosts == ("http://127.0.0.1:9200",) and options.headers() == {}
    assert options.ssl_verify() is True
    connection = celery_connection(settings)
    assert connection.broker_url == connection.backend_url == "redis://127.0.0.1:6379/0"
    assert connection.broker_transport_options == {} and connection.conf == {}
    client = redis_client_for(settings)
    assert client.connection_pool.connection_kwargs["port"] == 6379
    assert "password" not in client.connection_pool.connection_kwargs


def test_several_engine_nodes_with_basic_auth_and_a_ca_file(tmp_path: Path) -> None:
    settings = _settings(search_url="https://es-a:9200, https://es-b:9200/", search_username="coverwatch",
                         search_password="s3cret", search_ca_file=tmp_path / "ca.pem", search_max_retries=5)
    options = EngineOptions.from_settings(settings)
    assert options.hosts == ("https://es-a:9200", "https://es-b:9200")
    assert options.headers() == {"Authorization": "Basic Y292ZXJ3YXRjaDpzM2NyZXQ="}
    elastic = options.elasticsearch_arguments()
    assert elastic["basic_auth"] == ("coverwatch", "s3cret") and elastic["ca_certs"] == str(tmp_path / "ca.pem")
    assert elastic["max_retries"] == 5 and elastic["retry_on_timeout"] is True
    assert 503 in elastic["retry_on_status"]
    opensearch = options.opensearch_arguments()
    assert opensearch["http_auth"] == ("coverwatch", "s3cret") and opensearch["hosts"] == list(options.hosts)
    assert "s3cret" not in repr(options)


def test_api_key_and_credential_mistakes() -> None:
    keyed = EngineOptions.from_settings(_settings(search_api_key="a2V5OnNlY3JldA=="))
    assert keyed.headers() == {"Authorization": "ApiKey a2V5OnNlY3JldA=="}
    assert keyed.elasticsearch_arguments()["api_key"] == "a2V5OnNlY3JldA=="
    assert keyed.opensearch_arguments()["headers"] == keyed.headers()
    with pytest.raises(ValueError, match="not both"):
        EngineOptions.from_settings(_settings(search_username="u", search_password="p", search_api_key="k"))
    with pytest.raises(ValueError, match="without COVERWATCH_SEARCH_USERNAME"):
        EngineOptions.from_settings(_settings(search_password="p"))
    with pytest.raises(ValueError, match="no search engine URL"):
        split_hosts(" , ")


def test_unverified_tls_is_an_explicit_choice(tmp_path: Path) -> None:
    assert EngineOptions(verify_certs=False).ssl_verify() is False
    plain = EngineOptions(hosts=("http://a:9200",)).elasticsearch_arguments()
    assert "verify_certs" not in plain and "ca_certs" not in plain


def test_each_client_gets_every_node() -> None:
    options = EngineOptions(hosts=("http://node-a:9200", "http://node-b:9200"), basic_auth=("u", "p"))
    opensearch = OpenSearchEngine(",".join(options.hosts), "2.19.0", options)
    elastic = ElasticsearchEngine(",".join(options.hosts), "8.15.0", options)
    try:
        assert len(opensearch._client.transport.hosts) == 2
        assert len(elastic._client.transport.node_pool.all()) == 2
    finally:
        opensearch.close()
        elastic.close()


@pytest.fixture()
def live_node() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EngineRoot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_detection_passes_over_a_dead_node_and_sends_credentials(live_node: str) -> None:
    options = EngineOptions(hosts=(DEAD_NODE, live_node), basic_auth=("reader", "pw"))
    assert detect_distribution(DEAD_NODE, timeout=2, options=options) == ("opensearch", "2.19.4")
    assert EngineRoot.authorizations[-1] == options.headers()["Authorization"]
    with pytest.raises(EngineUnavailable, match=r"127\.0\.0\.1:1"):
        detect_distribution(DEAD_NODE, timeout=2, options=EngineOptions(hosts=(DEAD_NODE,)))


@pytest.mark.parametrize("engine_class", [OpenSearchEngine, ElasticsearchEngine])
def test_a_dead_node_costs_a_retry_not_an_error(
        live_node: str, engine_class: type[OpenSearchEngine] | type[ElasticsearchEngine]) -> None:
    options = EngineOptions(hosts=(DEAD_NODE, live_node), max_retries=2, timeout=5)
    engine = engine_class(",".join(options.hosts), "test", options)
    try:
        answers = [engine.request("GET", "/")["version"]["number"] for _ in range(4)]
    finally:
        engine.close()
    assert answers == ["2.19.4"] * 4
    alone = engine_class(DEAD_NODE, "test", EngineOptions(hosts=(DEAD_NODE,), max_retries=1, timeout=5))
    with pytest.raises(EngineUnavailable):
        alone.request("GET", "/")
    alone.close()


def test_sentinel_addresses() -> None:
    assert parse_sentinels("") == []
    assert parse_sentinels("s1:26379, s2:26380,s3") == [("s1", 26379), ("s2", 26380), ("s3", 26379)]
    with pytest.raises(ValueError, match="bad sentinel address"):
        parse_sentinels("s1:port")


def test_redis_password_and_tls_for_the_app_client(tmp_path: Path) -> None:
    client = redis_client_for(_settings(redis_url="redis://cache:6379/2", redis_password="pw"))
    assert client.connection_pool.connection_kwargs["password"] == "pw"
    assert client.connection_pool.connection_kwargs["db"] == 2
    in_url = redis_client_for(_settings(redis_url="redis://:fromurl@cache:6379/0", redis_password="pw"))
    assert in_url.connection_pool.connection_kwargs["password"] == "fromurl"
    tls = redis_client_for(_settings(redis_url="rediss://cache:6380/0", redis_ca_file=tmp_path / "ca.pem"))
    assert tls.connection_pool.connection_class is redis.SSLConnection
    assert tls.connection_pool.connection_kwargs["ssl_ca_certs"] == str(tmp_path / "ca.pem")


def test_redis_through_sentinel_for_the_app_client() -> None:
    settings = _settings(redis_url="redis://ignored:6379/3", redis_sentinels="s1:26379,s2:26379",
                         redis_sentinel_master="cw-master", redis_password="pw")
    client = redis_client_for(settings)
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "cw-master" and pool.connection_kwargs["db"] == 3
    assert pool.connection_kwargs["password"] == "pw"


def test_celery_broker_and_backend_for_password_tls_and_sentinel(tmp_path: Path) -> None:
    with_password = celery_connection(_settings(redis_url="redis://cache:6379/1", redis_password="p@ss"))
    assert with_password.broker_url == "redis://:p%40ss@cache:6379/1"
    tls = celery_connection(_settings(redis_url="rediss://cache:6380/0", redis_ca_file=tmp_path / "ca.pem"))
    assert tls.conf["broker_use_ssl"] == {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": str(tmp_path / "ca.pem")}
    assert tls.conf["redis_backend_use_ssl"] == tls.conf["broker_use_ssl"]
    sentinel = celery_connection(_settings(redis_url="redis://x/4", redis_sentinels="s1:26379,s2:26380",
                                           redis_sentinel_master="cw", redis_password="pw",
                                           redis_sentinel_password="spw"))
    assert sentinel.broker_url == "sentinel://:pw@s1:26379/4;sentinel://:pw@s2:26380/4"
    assert sentinel.backend_url == sentinel.broker_url
    assert sentinel.broker_transport_options == {"master_name": "cw", "sentinel_kwargs": {"password": "spw"}}
    assert sentinel.conf["result_backend_transport_options"] == sentinel.broker_transport_options


def test_the_celery_app_takes_the_sentinel_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.runtime.app import app as deployment_app
    from workers.runtime.app import make_app

    monkeypatch.setenv("COVERWATCH_REDIS_SENTINELS", "s1:26379")
    monkeypatch.setenv("COVERWATCH_REDIS_SENTINEL_MASTER", "cw")
    get_settings.cache_clear()
    try:
        app = make_app()
        assert app.conf.broker_url == "sentinel://s1:26379/0"
        assert app.conf.broker_transport_options == {"visibility_timeout": 3600, "master_name": "cw"}
        assert app.conf.result_backend_transport_options == {"master_name": "cw"}
    finally:
        get_settings.cache_clear()
        deployment_app.set_current()  # a new Celery app makes itself current: later tests get ours back
