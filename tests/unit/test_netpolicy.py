"""The SSRF rule: every spelling of an internal address is refused by default,
allowed ranges open exactly those, names are judged by all their answers."""

from __future__ import annotations

import ipaddress
from typing import cast

import pytest
from pydantic import ValidationError

from coverwatch.netpolicy import NetPolicy, URLRefused, numeric_ipv4
from coverwatch.networks import parse_networks
from coverwatch.settings import Settings


def _resolving(answers: dict[str, list[str]]) -> NetPolicy:
    return NetPolicy(resolver=lambda host: answers.get(host, []))


STRICT = _resolving({})

REFUSED = [
    "http://127.0.0.1/", "http://127.9.9.9:8080/feed.xml", "https://10.1.2.3/", "http://172.16.0.1/",
    "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://169.254.1.1/",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://255.255.255.255/", "http://[::1]/", "http://[::]/", "http://[fc00::1]/", "http://[fd12:3456::1]/",
    "http://[fe80::1]/", "http://[fe80::1%25eth0]/", "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::a00:1]/", "http://[2002:c0a8:101::1]/",
    "http://[fd00:ec2::254]/", "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/", "http://0177.0.0.1/",
    "http://127.1/", "http://017700000001/", "http://3232235777/", "http://localhost/", "http://LOCALHOST:9200/",
    "http://localhost./", "http://api.localhost/", "http://127.0.0.1./", "http://user:pw@127.0.0.1/",
    "ftp://example.com/feed", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)",
    "data:text/html,hi", "http:///nohost",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_and_non_http_urls_are_refused_by_default(url: str) -> None:
    with pytest.raises(URLRefused):
        STRICT.check(url)


@pytest.mark.parametrize("url", ["https://example.com/feed", "http://93.184.215.14/", "https://[2606:4700::1111]/",
                                 "http://8.8.8.8:8080/x", "http://1.1.1.1/"])
def test_public_urls_pass(url: str) -> None:
    STRICT.check(url)


def test_the_metadata_address_is_named_in_the_reason() -> None:
    assert "cloud metadata" in (STRICT.refusal("http://169.254.169.254/") or "")
    assert "carries 127.0.0.1" in (STRICT.refusal("http://[::ffff:127.0.0.1]/") or "")


@pytest.mark.parametrize(("spelling", "address"), [
    ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.01", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("10.0x10.1", "10.16.0.1"), ("192.168.257", "192.168.1.1"), ("0", "0.0.0.0"), ("1.2.3.4", "1.2.3.4"),
])
def test_numeric_spellings_mean_what_inet_aton_says(spelling: str, address: str) -> None:
    assert numeric_ipv4(spelling) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("name", ["example.com", "1.2.3.4.5", "256.1.1.1", "0xg1", "08.1.1.1", "4294967296", "1e3", ""])
def test_names_and_out_of_range_numbers_are_not_addresses(name: str) -> None:
    assert numeric_ipv4(name) is None


def test_a_name_is_refused_when_any_of_its_answers_is_internal() -> None:
    policy = _resolving({"news.example": ["93.184.215.14", "10.0.0.7"], "fine.example": ["93.184.215.14"],
                         "v6.example": ["2606:4700::1", "::1"]})
    assert "news.example resolves to 10.0.0.7" in (policy.refusal("https://news.example/feed") or "")
    assert policy.refusal("https://fine.example/feed") is None
    assert policy.refusal("https://v6.example/") is not None


def test_a_name_that_does_not_resolve_is_left_to_the_fetch() -> None:
    assert STRICT.refusal("https://no-such-host.invalid/") is None


def test_allowed_ranges_open_exactly_those_addresses() -> None:
    answers = {"internal.example": ["10.20.3.4"], "localhost": ["127.0.0.1"], "ip6-localhost": ["::1"]}
    policy = NetPolicy(parse_networks("127.0.0.0/8, 10.20.0.0/16"), resolver=lambda host: answers.get(host, []))
    assert policy.refusal("http://127.0.0.1:8765/feed.xml") is None
    assert policy.refusal("http://[::ffff:127.0.0.1]/") is None
    assert policy.refusal("http://localhost:8765/") is None
    assert policy.refusal("http://ip6-localhost:8765/") is not None  # answers ::1, which is not allowed
    assert policy.refusal("http://internal.example/") is None
    assert policy.refusal("http://10.21.0.1/") is not None
    assert policy.refusal("http://169.254.169.254/") is not None
    assert policy.refusal("http://[::1]/") is not None  # IPv6 loopback was not allowed


def test_static_refusal_needs_no_dns() -> None:
    def no_dns(host: str) -> list[str]:
        raise AssertionError("static_refusal must not resolve")

    policy = NetPolicy(resolver=no_dns)
    assert policy.static_refusal("http://0x7f.1/") is not None
    assert policy.static_refusal("https://example.com/") is None


def test_the_setting_is_validated_and_read() -> None:
    with pytest.raises(ValidationError, match="not a network"):
        Settings(allowed_private_networks="127.0.0.0/8, nonsense")
    assert NetPolicy.from_settings(Settings(allowed_private_networks="127.0.0.0/8")).allowed == (
        ipaddress.IPv4Network("127.0.0.0/8"),)
    assert NetPolicy.from_settings(Settings(allowed_private_networks="")).allowed == ()


def test_a_source_url_into_the_internal_network_is_a_clear_load_error() -> None:
    from crawlers.sources import SourceFileError, parse_sources

    for url in ("http://169.254.169.254/latest/meta-data/", "http://0x7f.1/feed.xml", "http://[::1]/feed"):
        with pytest.raises(SourceFileError, match=r"entry 1 \('inside'\): url .* refused by the network policy"):
            parse_sources(f"sources:\n  - name: inside\n    urls: {url}\n", policy=NetPolicy())
    allowed = parse_sources("sources:\n  - name: inside\n    urls: http://127.0.0.1:8765/feed.xml\n",
                            policy=NetPolicy(parse_networks("127.0.0.0/8")))
    assert allowed[0].start_urls == ["http://127.0.0.1:8765/feed.xml"]


def test_a_refused_webhook_is_a_failed_delivery_and_no_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from alerts.channels import WebhookRefused
    from alerts.channels.webhook import WebhookChannel
    from alerts.transports import TransportError

    def no_request(*args: object, **kwargs: object) -> None:
        raise AssertionError("a refused webhook must not be requested")

    monkeypatch.setattr(httpx, "post", no_request)
    channel = WebhookChannel(b"secret", 5, _resolving({"hooks.example": ["10.0.0.5"]}))
    for target in ("https://hooks.example/x", "http://127.0.0.1:9/hook", "https://[::ffff:169.254.169.254]/"):
        with pytest.raises(WebhookRefused, match="refused by the network policy") as refused:
            channel.send(b"{}", target, "delivery-1")
        assert isinstance(refused.value, TransportError)  # so the delivery claim is released


def test_the_crawl_middleware_refuses_counts_per_source_and_lets_the_rest_through() -> None:
    import asyncio
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings as ScrapySettings
    from scrapy.statscollectors import MemoryStatsCollector

    from crawlers.middlewares import NetPolicyMiddleware, RequestRefused

    stats = MemoryStatsCollector(cast(Crawler, SimpleNamespace(settings=ScrapySettings({"STATS_DUMP": False}))))
    crawler = cast(Crawler, SimpleNamespace(stats=stats, spider=SimpleNamespace(source=SimpleNamespace(name="outlet"))))
    middleware = NetPolicyMiddleware(_resolving({"rebound.example": ["192.168.0.9"]}), crawler)
    for url in ("http://rebound.example/a", "http://2130706433/", "http://169.254.169.254/"):
        with pytest.raises(RequestRefused):
            asyncio.run(middleware.process_request(Request(url)))
    assert asyncio.run(middleware.process_request(Request("https://93.184.215.14/a"))) is None
    assert stats.get_value("coverwatch/outlet/rejected/ssrf") == 3
    assert stats.get_value("coverwatch/rejected/ssrf") == 3
