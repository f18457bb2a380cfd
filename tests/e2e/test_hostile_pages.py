"""Hostile pages crawled end to end (crawl -> workers -> index), then shown in
the UI in headless Chromium, rendered in an alert email and posted as a webhook:
nothing crashes and no markup runs. The same crawl tries internal addresses
through feed entries, redirects and sitemap children; each is refused and
counted. Figures go to var/figures/security-hostile_pages.json and
security-ssrf.json (tests/fixtures/hostile_figures.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from alerts.channels import WebhookRefused
from alerts.channels.webhook import WebhookChannel
from alerts.email import render_alert_email
from alerts.messages import alert_context
from coverwatch.models import Article
from coverwatch.netpolicy import NetPolicy
from coverwatch.networks import parse_networks
from coverwatch.settings import PROJECT_ROOT, Settings
from crawlers.demo_site.server import Page, SiteServer
from search.engine import SearchEngine
from search.indexes import ARTICLES
from tests.e2e.conftest import run_crawl_process
from tests.fixtures.hostile import (
    MARKER,
    assert_inert,
    billion_laughs_feed,
    external_entity_feed,
    hostile_feed,
    script_pages,
    structural_pages,
)
from tests.fixtures.hostile_figures import record_figures

pytestmark = pytest.mark.e2e

SECRET_TEXT = "contents-an-entity-must-never-read"
# The fixture site is on 127.0.0.1 and stays reachable; every other internal
# address (127.0.0.2 included) must be refused before a connection is made.
CRAWL_ALLOWANCE = {"COVERWATCH_ALLOWED_PRIVATE_NETWORKS": "127.0.0.1/32"}


def _internal_targets(port: int) -> list[str]:
    return [f"http://127.0.0.2:{port}/a.html", f"http://2130706434:{port}/b.html", f"http://0x7f.0.0.2:{port}/c",
            f"http://[::1]:{port}/d.html", f"http://[::ffff:127.0.0.2]:{port}/e.html",
            "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/f.html", "http://192.168.0.1/g.html",
            "http://100.64.0.1/h.html"]


def _ssrf_pages(base: str, port: int) -> dict[str, Page]:
    def redirect(target: str) -> Page:
        return Page(b"", status=302, headers=(("Location", target),))

    entries = "".join(f"<item><title>internal</title><link>{url}</link></item>" for url in _internal_targets(port))
    entries += "".join(f"<item><title>redirect</title><link>{base}/r/{name}</link></item>"
                       for name in ("meta", "loop", "v6"))
    sitemap_index = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in
                            (f"http://127.0.0.2:{port}/child.xml", f"http://[::1]:{port}/child2.xml", f"{base}/m/urls"))
    return {
        "/s/feed.xml": Page(f'<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>{entries}'
                            "</channel></rss>".encode(), "application/rss+xml"),
        "/r/meta": redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
        "/r/loop": redirect(f"http://127.0.0.2:{port}/secret"),
        "/r/v6": redirect(f"http://[::1]:{port}/secret"),
        "/m/index.xml": Page(f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                             f"{sitemap_index}</sitemapindex>".encode(), "application/xml"),
        "/m/urls": Page(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        b"<url><loc>http://10.1.1.1/x.html</loc></url></urlset>", "application/xml"),
    }


SSRF_TRIED = 9 + 3 + 3  # feed entries, redirect hops, sitemap children


class Receiver:
    """A webhook endpoint on 127.0.0.1 that keeps the bodies it is sent."""

    def __init__(self) -> None:
        bodies: list[bytes] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def test_a_source_url_into_the_internal_network_stops_the_crawl_command(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yml"
    sources.write_text("sources:\n  - name: metadata\n    urls: http://169.254.169.254/latest/\n", encoding="utf-8")
    finished = subprocess.run([sys.executable, "-m", "console.main", "crawl", "--sources", str(sources)],
                              capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120, check=False)
    assert finished.returncode == 2
    assert "refused by the network policy" in finished.stderr and "metadata" in finished.stderr


def _stored_hostile_articles(engine: SearchEngine, settings: Settings) -> list[dict[str, Any]]:
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                            {"query": {"match_phrase": {"title": MARKER}}, "size": 100})
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def test_hostile_corpus_end_to_end(settings: Settings, engine: SearchEngine, worker: None, api_url: str,
                                   analyst_login: tuple[str, str], receiver: Receiver, tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_TEXT, encoding="utf-8")
    carriers, structural = script_pages(), structural_pages()
    with SiteServer({}) as site:
        base, port = site.base_url, int(site.base_url.rsplit(":", 1)[1])
        site.pages.update({page.path: page.page for page in carriers + structural})
        site.pages.update({"/h/feed.xml": hostile_feed(base, carriers + structural),
                           "/h/laughs.xml": billion_laughs_feed(base),
                           "/h/xxe.xml": external_entity_feed(base, str(secret)), **_ssrf_pages(base, port)})
        sources = (f"sources:\n  - name: hostile\n    urls: {base}/h/feed.xml\n    keep_off_topic: true\n"
                   f"  - name: laughs\n    urls: {base}/h/laughs.xml\n"
                   f"  - name: xxe\n    urls: {base}/h/xxe.xml\n"
                   f"  - name: inward\n    urls: {base}/s/feed.xml\n"
                   f"  - name: inward-map\n    kind: sitemap\n    urls: {base}/m/index.xml\n")
        outcome = run_crawl_process(sources, tmp_path, extra_env=CRAWL_ALLOWANCE)
    counts["hostile_inputs"] += len(carriers) + len(structural) + 3 + 2  # pages, three feeds, two bad links

    reports = {report["source"]: report for report in outcome["sources"]}
    hostile = reports["hostile"]
    print("hostile source:", json.dumps({key: hostile[key] for key in ("articles", "rejected", "errors")}))
    assert hostile["rejected"].get("bad_link") == 2  # the javascript: and data: entries
    handled = hostile["articles"] + sum(v for k, v in hostile["rejected"].items() if k != "bad_link") \
        + sum(hostile["errors"].values())
    assert handled == len(carriers) + len(structural), hostile
    assert reports["laughs"]["rejected"] == {"feed_malformed": 1}
    assert reports["xxe"]["rejected"] == {"feed_malformed": 1}
    refused = reports["inward"]["rejected"].get("ssrf", 0) + reports["inward-map"]["rejected"].get("ssrf", 0)
    assert reports["inward"]["errors"] == {} and reports["inward-map"]["errors"] == {}
    counts["ssrf_tried"] += SSRF_TRIED
    counts["ssrf_refused"] += refused
    assert refused == SSRF_TRIED, (reports["inward"], reports["inward-map"])
    counts["unhandled"] += outcome["workers"]["batches_failed"]
    assert outcome["workers"]["batches_failed"] == 0

    stored = _stored_hostile_articles(engine, settings)
    stored_paths = {document["url"].removeprefix(base) for document in stored}
    assert {page.path for page in carriers} <= stored_paths
    assert not any(SECRET_TEXT in json.dumps(document) or "lollollol" in json.dumps(document) for document in stored)

    _render_alerts(stored, settings, receiver, counts)
    _view_in_browser(api_url, analyst_login, stored, counts)
    record_figures("hostile_pages", Counter({key: counts[key] for key in ("hostile_inputs", "unhandled")}))
    record_figures("ssrf", Counter({key: counts[key] for key in ("ssrf_tried", "ssrf_refused")}))


def _render_alerts(stored: list[dict[str, Any]], settings: Settings, receiver: Receiver,
                   counts: Counter[str]) -> None:
    """Each stored hostile article as an alert email and a webhook POST to a real receiver."""
    allowed = WebhookChannel(b"secret", 5, NetPolicy(parse_networks("127.0.0.1/32")))
    strict = WebhookChannel(b"secret", 5, NetPolicy())
    for number, document in enumerate(stored):
        article = Article.model_validate({key: value for key, value in document.items() if key in Article.model_fields})
        context = alert_context("hostile-rule", f"Rule for {article.title}", "match", '"Hostile corpus"', article,
                                settings, f"<hostile-{number}@coverwatch.local>")
        message = render_alert_email(context, "desk@example.org", settings)
        html_part = message.get_body(("html",))
        assert html_part is not None
        assert_inert(html_part.get_content())
        allowed.deliver(context, receiver.url, f"hostile-{number}")
        counts["hostile_inputs"] += 2
    assert len(receiver.bodies) == len(stored)
    for body in receiver.bodies:
        assert b"<" not in body and json.loads(body)["article"]["title"].startswith(MARKER)
    with pytest.raises(WebhookRefused):
        strict.send(b"{}", receiver.url, "refused-1")  # the same receiver without the allowance
    counts["ssrf_tried"] += 1
    counts["ssrf_refused"] += 1
    assert len(receiver.bodies) == len(stored)


PROBE = """() => ({
    flag: typeof window.__pwned !== 'undefined',
    injected: document.querySelectorAll('[data-pwned]').length,
    inline: [...document.scripts].filter(s => !s.src).length,
    handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => /^on/i.test(a.name))).length,
    urls: [...document.querySelectorAll('[href],[src]')].map(e => e.getAttribute('href') || e.getAttribute('src'))
        .filter(u => /^\\s*(javascript|data|vbscript):/i.test(u)).length,
})"""


def _view_in_browser(api_url: str, login: tuple[str, str], stored: list[dict[str, Any]],
                     counts: Counter[str]) -> None:
    from tests.browser.chromium import chromium_page, sign_in

    story_ids = sorted({document["story_id"] for document in stored if document.get("story_id")})
    pages = ['/?q="Hostile corpus"', '/?q="Hostile corpus"&duplicates=true', '/stories?q="Hostile corpus"',
             *(f"/stories/{story_id}" for story_id in story_ids[:5])]
    dialogs: list[str] = []
    with chromium_page() as page:
        def dismissed(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        # Listening before signing in: a dialog on any page, the login's too, fails the case.
        page.on("dialog", dismissed)
        sign_in(page, api_url, *login)
        for path in pages:
            answer = page.goto(api_url + path)
            assert answer is not None and answer.status == 200, path
            page.wait_for_timeout(300)  # let onerror/onload handlers fire if any got in
            probe = page.evaluate(PROBE)
            counts["hostile_inputs"] += 1
            assert probe == {"flag": False, "injected": 0, "inline": 0, "handlers": 0, "urls": 0}, (path, probe)
        page.goto(api_url + pages[0])
        shown = page.inner_text("body")
        # The payloads reached the page, as text: escaped, not dropped.
        assert MARKER in shown and "data-pwned" in shown
    assert dialogs == []
