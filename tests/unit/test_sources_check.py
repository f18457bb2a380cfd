"""``sources check`` against a local server: a feed, a sitemap, a 404, an HTML page, a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from console.main import main
from crawlers.source_check import Verdict, check_sources, dead_sources, judge, looks_like
from crawlers.sources import SourceKind, parse_sources

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title></channel></rss>'
SITEMAP = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
PAGE = b"<!doctype html><html><body>Subscribe to our newsletter</body></html>"
SLOW_SECONDS = 3.0


class _Handler(BaseHTTPRequestHandler):
    seen_agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen_agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/slow.xml":
            time.sleep(SLOW_SECONDS)
        answers = {"/feed.xml": (200, FEED), "/sitemap.xml": (200, SITEMAP), "/page.html": (200, PAGE),
                   "/moved.xml": (301, b""), "/slow.xml": (200, FEED)}
        status, body = answers.get(self.path, (404, b"not here"))
        self.send_response(status)
        if status == 301:
            self.send_header("Location", "/feed.xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # the check opens several connections at once; the default backlog is 5
    block_on_close = False  # do not wait out the hanging handler at teardown

    def handle_error(self, request: object, client_address: object) -> None:
        """The hanging answer is written after the check gave up on it: expected, not worth a traceback."""


@pytest.fixture()
def site() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _sources_file(base: str) -> str:
    return f"""
sources:
  - {{name: good-feed, urls: "{base}/feed.xml", country: GB, tags: [wire]}}
  - {{name: good-sitemap, kind: sitemap, urls: "{base}/sitemap.xml", country: US, tags: [wire]}}
  - {{name: moved-feed, urls: "{base}/moved.xml", country: US, tags: [wire]}}
  - {{name: gone-feed, urls: "{base}/gone.xml", country: US, tags: [wire]}}
  - {{name: html-instead, urls: "{base}/page.html", country: US, tags: [wire]}}
  - {{name: hanging-feed, urls: "{base}/slow.xml", country: US, tags: [wire]}}
  - {{name: half-dead, urls: ["{base}/gone.xml", "{base}/feed.xml"], country: US, tags: [wire]}}
  - {{name: nobody-home, urls: "http://127.0.0.1:1/feed.xml", country: US, tags: [wire]}}
"""


def test_each_address_is_judged_and_the_dead_are_named(site: str) -> None:
    sources = parse_sources(_sources_file(site))
    started = time.monotonic()
    checks = check_sources(sources, "CoverwatchBot/test", timeout=0.5, concurrency=8)
    elapsed = time.monotonic() - started
    verdicts = {(check.source, check.url.rsplit("/", 1)[1]): check.verdict for check in checks}
    assert verdicts == {
        ("good-feed", "feed.xml"): Verdict.ANSWERS,
        ("good-sitemap", "sitemap.xml"): Verdict.ANSWERS,
        ("moved-feed", "moved.xml"): Verdict.ANSWERS,
        ("gone-feed", "gone.xml"): Verdict.HTTP_ERROR,
        ("html-instead", "page.html"): Verdict.NOT_A_FEED,
        ("hanging-feed", "slow.xml"): Verdict.TIMEOUT,
        ("half-dead", "gone.xml"): Verdict.HTTP_ERROR,
        ("half-dead", "feed.xml"): Verdict.ANSWERS,
        ("nobody-home", "feed.xml"): Verdict.UNREACHABLE,
    }
    assert next(c for c in checks if c.source == "gone-feed").status == 404
    assert dead_sources(checks) == ["gone-feed", "hanging-feed", "html-instead", "nobody-home"]
    assert elapsed < SLOW_SECONDS, "the hanging server held the check past its timeout"
    assert set(_Handler.seen_agents) == {"CoverwatchBot/test"}


def test_command_prints_a_line_per_address_and_fails_on_dead_sources(
        site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sources.yml"
    path.write_text(_sources_file(site), encoding="utf-8")
    assert main(["sources", "check", "--sources", str(path), "--timeout", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "4 of 8 sources answer; not answering: gone-feed, hanging-feed, html-instead, nobody-home" in out
    assert main(["sources", "check", "good-feed", "half-dead", "--sources", str(path), "--timeout", "0.5"]) == 0
    assert "2 of 2 sources answer" in capsys.readouterr().out


@pytest.mark.parametrize(("kind", "head", "expected"), [
    (SourceKind.FEED, b"<?xml version='1.0'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>", True),
    (SourceKind.FEED, b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>", True),
    (SourceKind.FEED, PAGE, False),
    (SourceKind.SITEMAP, b"<sitemapindex>", True),
    (SourceKind.SITEMAP, FEED, False),
    (SourceKind.LISTING, PAGE, True),
])
def test_looks_like(kind: SourceKind, head: bytes, expected: bool) -> None:
    assert looks_like(kind, head) is expected


def test_judge_reports_the_status() -> None:
    assert judge(SourceKind.FEED, 410, b"") == (Verdict.HTTP_ERROR, "HTTP 410")
    assert judge(SourceKind.FEED, 200, FEED) == (Verdict.ANSWERS, "")
    assert judge(SourceKind.FEED, 302, b"")[0] is Verdict.HTTP_ERROR
