"""Ten thousand feeds on loopback for bench/sources.py: one asyncio server in
its own process, listening on one address per simulated outlet (127.1.x.y, all
loopback on Linux), so the crawler's per-host politeness applies per outlet as
it would on the internet.

Every feed starts at version 0 and lists the articles of its last three
versions. When the bench starts a round, a few feeds (chosen by a hash of the
feed and the round) move to the next version: one new article. Most feeds send
an ETag and answer a matching If-None-Match with 304; a share send no
validators, so every poll is a full 200 listing nothing new. The texts are made
up here; nothing comes from the shared data sets."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from typing import Any

NEW_ARTICLE_PERCENT = 5  # of feeds, per round
NO_VALIDATOR_PERCENT = 10  # of feeds: always 200, listing nothing new
KEEP_ALIVE_SECONDS = 5.0
STATUS_NAMES = ("robots", "not_modified", "feed_200", "article", "missing")
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PARAGRAPHS = (
    "Investigators at the national cyber agency said the intrusion began with a phishing message "
    "sent to a procurement officer and spread to the ministry's document servers within days.",
    "The agency attributed the campaign to a state-backed espionage group it has tracked for years, "
    "citing shared infrastructure and tooling seen in earlier operations against defence suppliers.",
    "Officials said classified systems were not reached, but planning files and email archives were "
    "copied over several weeks before the activity was detected and the accounts were disabled.",
    "Allied governments were briefed, and the ministry said it had replaced remote access software "
    "and started a review of contractors with privileged access to its networks.",
)


def _hash_percent(*parts: int) -> int:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 100


def has_validators(feed: int) -> bool:
    return _hash_percent(feed, 7) >= NO_VALIDATOR_PERCENT


def publishes(feed: int, round_number: int) -> bool:
    return round_number > 0 and _hash_percent(feed, round_number) < NEW_ARTICLE_PERCENT


def feed_host(feed: int) -> str:
    return f"127.1.{feed // 250}.{feed % 250 + 1}"


def feed_url(feed: int, port: int) -> str:
    return f"http://{feed_host(feed)}:{port}/feed.xml"


def article_url(feed: int, version: int, port: int) -> str:
    return f"http://{feed_host(feed)}:{port}/a/{version}.html"


def etag(feed: int, version: int) -> str:
    return f'"{feed}-{version}"'


@dataclass
class _Feed:
    version: int = 0
    round_seen: int = 0


class _Farm:
    def __init__(self, port: int, round_number: Synchronized[int], counts: Any) -> None:
        self.port = port
        self.round = round_number
        self.counts = counts
        self.feeds: dict[str, tuple[int, _Feed]] = {}

    def add(self, feed: int) -> None:
        self.feeds[feed_host(feed)] = (feed, _Feed())

    def version(self, state: _Feed, feed: int) -> int:
        current = self.round.value
        while state.round_seen < current:
            state.round_seen += 1
            state.version += publishes(feed, state.round_seen)
        return state.version

    def answer(self, host: str, path: str, if_none_match: str | None) -> bytes:
        feed, state = self.feeds[host]
        version = self.version(state, feed)
        if path == "/robots.txt":
            return self._count("robots", _response(200, ROBOTS, "text/plain"))
        if path == "/feed.xml":
            tag = etag(feed, version) if has_validators(feed) else None
            if tag is not None and if_none_match == tag:
                return self._count("not_modified", _response(304, b"", None, tag))
            return self._count("feed_200", _response(200, self._rss(feed, version), "application/rss+xml", tag))
        if path.startswith("/a/") and path.endswith(".html"):
            return self._count("article", _response(200, self._article(feed, path), "text/html; charset=utf-8"))
        return self._count("missing", _response(404, b"not found", "text/plain"))

    def _count(self, name: str, response: bytes) -> bytes:
        self.counts[STATUS_NAMES.index(name)] += 1
        return response

    def _rss(self, feed: int, version: int) -> bytes:
        items = "".join(
            f"<item><title>Outlet {feed} report {v}</title><link>{article_url(feed, v, self.port)}</link>"
            f"<pubDate>Tue, 01 Dec 2026 0{v % 10}:00:00 GMT</pubDate></item>"
            for v in range(version, max(-1, version - 3), -1))
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {feed}</title>'
                f"<link>http://{feed_host(feed)}/</link><description>bench</description>{items}"
                "</channel></rss>").encode()

    def _article(self, feed: int, path: str) -> bytes:
        body = "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
        title = f"Outlet {feed}: ministry breach report {path[3:-5]}"
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
                f"<body><article><h1>{title}</h1>{body}</article></body></html>").encode()


def _response(status: int, body: bytes, content_type: str | None, tag: str | None = None) -> bytes:
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    if tag:
        head.append(f"ETag: {tag}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _Connection(asyncio.Protocol):
    def __init__(self, farm: _Farm) -> None:
        self.farm = farm
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._rearm()

    def _rearm(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        # Servers close idle keep-alive connections after seconds: at the real
        # 15-minute rate every poll opens a new connection, and so it does here.
        self.idle = asyncio.get_running_loop().call_later(KEEP_ALIVE_SECONDS, self._close)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.idle is not None:
            self.idle.cancel()

    def data_received(self, chunk: bytes) -> None:
        self.buffer += chunk
        while b"\r\n\r\n" in self.buffer and self.transport is not None:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            host = self.transport.get_extra_info("sockname")[0]
            self.transport.write(self.farm.answer(host, path, headers.get("if-none-match")))
            self._rearm()


async def _serve(feeds: int, port: int, round_number: Synchronized[int], counts: Any,
                 ready: Any) -> None:
    farm = _Farm(port, round_number, counts)
    loop = asyncio.get_running_loop()
    servers = []
    for feed in range(feeds):
        farm.add(feed)
        servers.append(await loop.create_server(lambda: _Connection(farm), feed_host(feed), port,
                                                backlog=64, reuse_address=True))
    ready.set()
    await asyncio.Event().wait()


def _run(feeds: int, port: int, round_number: Synchronized[int], counts: Any, ready: Any) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(_serve(feeds, port, round_number, counts, ready))


class FeedFarm:
    """The server process; ``next_round()`` lets a few feeds publish."""

    def __init__(self, feeds: int, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.feeds = feeds
        self.port = port
        self.round: Synchronized[int] = context.Value("i", 0)
        self.counts = context.Array("q", len(STATUS_NAMES))
        self._ready = context.Event()
        self._process = context.Process(target=_run, args=(feeds, port, self.round, self.counts, self._ready),
                                        daemon=True)

    def start(self, timeout: float = 120) -> None:
        self._process.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the feed server did not start")

    def next_round(self) -> int:
        with self.round.get_lock():
            self.round.value += 1
            return int(self.round.value)

    def answered(self) -> dict[str, int]:
        return {name: int(self.counts[index]) for index, name in enumerate(STATUS_NAMES)}

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(timeout=10)
