"""``coverwatch sources check``: fetch each source's addresses once and say which answer.

For an operator with internet before a deployment relies on the source list. It
is a probe, not a crawl: one GET per address with the project's user agent,
robots.txt not consulted (a single request to a published feed address is what
any feed reader does), and only the first bytes read, enough to tell a feed or
sitemap from an error page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import httpx

from crawlers.sources import Source, SourceKind

SNIFF_BYTES = 4096


class Verdict(StrEnum):
    ANSWERS = "answers"  # 2xx and the start of the body is what the kind expects
    NOT_A_FEED = "not_a_feed"  # 2xx, but HTML or something else
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class AddressCheck:
    source: str
    url: str
    verdict: Verdict
    status: int | None
    seconds: float
    detail: str = ""

    @property
    def answers(self) -> bool:
        return self.verdict is Verdict.ANSWERS


_FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf ")
_SITEMAP_MARKERS = (b"<urlset", b"<sitemapindex")


def looks_like(kind: SourceKind, head: bytes) -> bool:
    """Whether the first bytes of a body are the document this kind of source serves."""
    lowered = head.lower()
    if kind is SourceKind.FEED:
        return any(marker in lowered for marker in _FEED_MARKERS)
    if kind is SourceKind.SITEMAP:
        return any(marker in lowered for marker in _SITEMAP_MARKERS)
    return b"<html" in lowered or b"<!doctype html" in lowered


def judge(kind: SourceKind, status: int, head: bytes) -> tuple[Verdict, str]:
    if status >= 400:
        return Verdict.HTTP_ERROR, f"HTTP {status}"
    if status >= 300:  # redirects are followed; one left over is a loop or a bad Location
        return Verdict.HTTP_ERROR, f"HTTP {status} not followed"
    if looks_like(kind, head):
        return Verdict.ANSWERS, ""
    return Verdict.NOT_A_FEED, f"HTTP {status} but no {kind.value} markup in the first {len(head)} bytes"


async def _check_address(client: httpx.AsyncClient, source: Source, url: str) -> AddressCheck:
    started = time.monotonic()
    try:
        async with client.stream("GET", url) as response:
            head = b""
            async for chunk in response.aiter_bytes():
                head += chunk
                if len(head) >= SNIFF_BYTES:
                    break
            verdict, detail = judge(source.kind, response.status_code, head[:SNIFF_BYTES])
            return AddressCheck(source.name, url, verdict, response.status_code,
                                round(time.monotonic() - started, 3), detail)
    except httpx.TimeoutException as failure:
        return AddressCheck(source.name, url, Verdict.TIMEOUT, None, round(time.monotonic() - started, 3),
                            type(failure).__name__)
    except httpx.HTTPError as failure:
        return AddressCheck(source.name, url, Verdict.UNREACHABLE, None, round(time.monotonic() - started, 3),
                            f"{type(failure).__name__}: {failure}"[:200])


async def _check_all(sources: Sequence[Source], user_agent: str, timeout: float,
                     concurrency: int) -> list[AddressCheck]:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)

    async with httpx.AsyncClient(headers={"User-Agent": user_agent}, timeout=timeout, follow_redirects=True,
                                 limits=limits) as client:

        async def one(source: Source, url: str) -> AddressCheck:
            async with gate:
                # The whole exchange, not each read, is bounded: a server that trickles
                # bytes forever would otherwise pass every per-read timeout.
                try:
                    return await asyncio.wait_for(_check_address(client, source, url), timeout * 2)
                except TimeoutError:
                    return AddressCheck(source.name, url, Verdict.TIMEOUT, None, timeout * 2, "no complete answer")

        return list(await asyncio.gather(*(one(source, url) for source in sources for url in source.start_urls)))


def check_sources(sources: Sequence[Source], user_agent: str, timeout: float = 10.0,
                  concurrency: int = 16) -> list[AddressCheck]:
    """One check per address of every source, in the order given."""
    return asyncio.run(_check_all(sources, user_agent, timeout, concurrency))


def dead_sources(checks: Sequence[AddressCheck]) -> list[str]:
    """Sources none of whose addresses answered."""
    answering = {check.source for check in checks if check.answers}
    return sorted({check.source for check in checks} - answering)
