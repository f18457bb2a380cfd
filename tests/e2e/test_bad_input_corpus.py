"""A corpus of bad sources and pages on 127.0.0.1: each gives a logged, counted
error for that item or source, and the crawl of everything else goes on."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from coverwatch.settings import Settings
from crawlers.demo_site.server import Page, SiteServer
from search.engine import SearchEngine
from search.service import run_search
from tests.e2e.conftest import run_crawl_process
from tests.e2e.pages import article_page, rss

pytestmark = pytest.mark.e2e

STORY = ["Corpus check: officials said a state-sponsored espionage group breached a defence ministry network "
         "and copied planning files over several weeks.",
         "Responders removed the implant after noticing encrypted traffic leaving a logistics server at night.",
         "The ministry said it had informed its allies and replaced the remote access system of a contractor."]


def _sitemap_index(base: str, child: str) -> Page:
    body = (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}{child}</loc></sitemap></sitemapindex>")
    return Page(body.encode(), "application/xml")


def test_bad_input_corpus(settings: Settings, engine: SearchEngine, worker: None, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (60 * 1024 * 1024))
    cafe = ("<html><head><meta charset='utf-8'><title>Corpus check: attaque contre le ministère</title></head>"
            "<body><article><h1>Corpus check: attaque contre le ministère</h1>"
            + "<p>Les enquêteurs ont découvert qu'un groupe lié à un État a pénétré le réseau du ministère "
              "de la Défense et copié des plans pendant plusieurs semaines.</p>"
              "<p>Les intrus sont entrés par le compte de maintenance d'un sous-traitant, selon deux sources.</p>"
              "<p>Le ministère a déclaré avoir prévenu ses alliés et remplacé l'accès à distance du prestataire.</p>"
            + "</article></body></html>").encode("cp1252")
    with SiteServer({}) as site:
        base = site.base_url
        links = [("<b>Bold</b> &amp; fine", "/a/good.html"), ("pdf", "/a/report.pdf"), ("png", "/a/chart.png"),
                 ("shell", "/a/app.html"), ("huge", "/a/huge.html"), ("bomb", "/a/bomb.html"),
                 ("loop", "/a/loop1.html"), ("missing", "/a/gone.html"), ("cafe", "/a/cafe.html")]
        site.pages.update({
            "/a/feed.xml": rss(base, links),
            "/a/good.html": article_page("Corpus check: the good article", STORY),
            "/a/report.pdf": Page(b"%PDF-1.7\n" + b"0" * 5000, "application/pdf"),
            "/a/chart.png": Page(b"\x89PNG\r\n\x1a\n" + b"0" * 5000, "image/png"),
            "/a/app.html": Page(b"<html><head><title>App</title><script src='/app.js'></script></head>"
                                b"<body><div id='root'></div></body></html>"),
            "/a/huge.html": Page(b"<html><body>" + b"<p>filler</p>" * (50 * 1024 * 1024 // 13) + b"</body></html>"),
            "/a/bomb.html": Page(bomb, headers=(("Content-Encoding", "gzip"),)),
            "/a/loop1.html": Page(b"", status=302, headers=(("Location", f"{base}/a/loop2.html"),)),
            "/a/loop2.html": Page(b"", status=302, headers=(("Location", f"{base}/a/loop1.html"),)),
            "/a/cafe.html": Page(cafe, "text/html; charset=utf-8"),
            "/empty/feed.xml": Page(b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
                                    b"</channel></rss>", "application/rss+xml"),
            "/broken/feed.xml": Page(b"<?xml version='1.0'?><rss><channel><item><title>cut", "application/rss+xml"),
            "/slow/feed.xml": Page(b"<rss/>", "application/rss+xml", delay=4.0),
            "/maps/index-a.xml": _sitemap_index(base, "/maps/index-b.xml"),
            "/maps/index-b.xml": _sitemap_index(base, "/maps/index-a.xml"),
        })
        sources = (
            "sources:\n"
            # kept whatever its relevance: the French page must arrive, and relevance is scored in English
            f"  - name: corpus\n    urls: {base}/a/feed.xml\n    keep_off_topic: true\n"
            f"  - name: empty\n    urls: {base}/empty/feed.xml\n"
            f"  - name: broken\n    urls: {base}/broken/feed.xml\n"
            f"  - name: gone\n    urls: {base}/nothing/feed.xml\n"
            f"  - name: slow\n    urls: {base}/slow/feed.xml\n"
            f"  - name: maps\n    kind: sitemap\n    urls: {base}/maps/index-a.xml\n"
        )
        outcome = run_crawl_process(sources, tmp_path, extra_env={"COVERWATCH_DOWNLOAD_TIMEOUT": "1"})

    reports = {report["source"]: report for report in outcome["sources"]}
    corpus = reports["corpus"]
    assert corpus["articles"] == 2  # the good article and the mislabelled French one
    assert corpus["rejected"] == {"not_html": 2, "NoArticleBody": 1}
    assert corpus["errors"] == {"article_too_large": 2, "article_redirect_loop": 1, "article_http_404": 1}
    assert reports["empty"]["entries"] == 0 and reports["empty"]["errors"] == {}
    assert reports["broken"]["rejected"] == {"feed_malformed": 1}
    assert reports["gone"]["errors"] == {"feed_http_404": 1}
    assert reports["slow"]["errors"] == {"feed_timeout": 1}
    assert reports["maps"]["rejected"] == {"sitemap_loop": 1}
    assert outcome["workers"]["batches_failed"] == 0

    titles = {hit.title for hit in run_search(engine, settings, '"Corpus check"').hits}
    assert titles == {"Corpus check: the good article", "Corpus check: attaque contre le ministère"}
