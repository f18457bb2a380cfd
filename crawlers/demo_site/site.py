"""Build the demo site's pages: each outlet's front page, RSS feed and articles,
in three markup styles real outlets use (wire with JSON-LD, newspaper div soup
with a related-stories rail and comments, trade press with share bars)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import yaml

from crawlers.demo_site.server import Page

HERE = Path(__file__).parent
# The seed case of issue 22 (story G of articles.yml), in the order it was reported:
# unnamed former US officials accuse, Japan's defence minister will not confirm a
# leak, China denies, the US and Japanese governments formally attribute.
SEED_STORY = (
    "capitol-observer/chinese-military-hackers-japan-defence-network",
    "tokyo-net-shimpo/defence-minister-leak-unconfirmed",
    "northgate-wire/china-rejects-japan-defence-network-hacking-report",
    "packet-signal/us-japan-attribute-defence-network-intrusions-blacktech",
)


@dataclass(frozen=True)
class DemoArticle:
    outlet: str
    slug: str
    title: str
    published: datetime
    author: str
    lead: str
    paragraphs: tuple[str, ...]

    @property
    def key(self) -> str:
        """"outlet/slug", as ``copy_of`` names an article."""
        return f"{self.outlet}/{self.slug}"

    @property
    def path(self) -> str:
        return f"/{self.outlet}/{self.published:%Y/%m}/{self.slug}.html"


def load_demo_articles() -> tuple[list[dict[str, Any]], list[DemoArticle]]:
    outlets = yaml.safe_load((HERE / "outlets.yml").read_text(encoding="utf-8"))["outlets"]
    entries = yaml.safe_load((HERE / "articles.yml").read_text(encoding="utf-8"))["articles"]
    by_key = {f"{entry['outlet']}/{entry['slug']}": entry for entry in entries}
    articles = []
    for entry in entries:
        original = by_key[entry["copy_of"]] if "copy_of" in entry else entry
        published = entry["published"]
        if isinstance(published, str):
            published = datetime.fromisoformat(published.replace("Z", "+00:00"))
        articles.append(DemoArticle(
            outlet=entry["outlet"], slug=entry["slug"], title=entry["title"],
            published=published, author=entry["author"], lead=original["lead"],
            paragraphs=tuple(original["paragraphs"])))
    return outlets, articles


def _paragraphs(article: DemoArticle) -> str:
    return "\n".join(f"<p>{escape(text)}</p>" for text in article.paragraphs)


def _wire(article: DemoArticle, outlet: dict[str, Any], base_url: str, related: str) -> str:
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": article.title, "datePublished": article.published.isoformat(),
                     "author": {"@type": "Person", "name": article.author},
                     "publisher": {"@type": "Organization", "name": outlet["name"]}})
    return f"""<!doctype html><html lang="{outlet.get('language', 'en')}"><head><meta charset="utf-8">
<title>{escape(article.title)} | {escape(outlet['name'])}</title>
<link rel="canonical" href="{base_url}{article.path}">
<meta name="description" content="{escape(article.lead)}">
<script type="application/ld+json">{ld}</script></head>
<body><header><a href="/{outlet['slug']}/">{escape(outlet['name'])}</a> <nav><a href="#">World</a> <a href="#">Business</a> <a href="#">Technology</a></nav></header>
<main><article><h1>{escape(article.title)}</h1>
<p class="byline">By {escape(article.author)} · <time datetime="{article.published.isoformat()}">{article.published:%d %B %Y}</time></p>
{_paragraphs(article)}
</article></main>
<footer><p>© {escape(outlet['name'])}. Fictional demo content.</p></footer></body></html>"""


def _newspaper(article: DemoArticle, outlet: dict[str, Any], base_url: str, related: str) -> str:
    return f"""<!doctype html><html lang="{outlet.get('language', 'en')}"><head><meta charset="utf-8">
<title>{escape(article.title)}</title>
<meta property="og:url" content="{base_url}{article.path}">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:description" content="{escape(article.lead)}">
<meta name="author" content="{escape(article.author)}">
<meta property="article:published_time" content="{article.published.isoformat()}"></head>
<body><div id="masthead"><div class="logo">{escape(outlet['name'])}</div><div class="menu"><a href="#">News</a> | <a href="#">Opinion</a> | <a href="#">Sport</a></div></div>
<div class="wrap"><div class="col-main"><div class="headline"><h1>{escape(article.title)}</h1></div>
<div class="standfirst">{escape(article.lead)}</div>
<div class="meta">{escape(article.author)} — {article.published:%A %d %B %Y %H:%M}</div>
<div class="story-body">{_paragraphs(article)}</div>
<div class="comments"><h3>Comments (2)</h3><div class="comment">Reader42: Who could have seen this coming?</div><div class="comment">Oslo_watcher: Old news to anyone paying attention.</div></div></div>
<div class="col-side"><h3>Most read</h3><ul>{related}</ul></div></div>
<div class="footer">Fictional demo content. Subscribe for £1 a week.</div></body></html>"""


def _tradepress(article: DemoArticle, outlet: dict[str, Any], base_url: str, related: str) -> str:
    return f"""<!doctype html><html lang="{outlet.get('language', 'en')}"><head><meta charset="utf-8">
<title>{escape(article.title)} - {escape(outlet['name'])}</title>
<link rel="canonical" href="{base_url}{article.path}">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:description" content="{escape(article.lead)}">
<meta property="article:published_time" content="{article.published.isoformat()}"></head>
<body><nav class="top"><a href="/{outlet['slug']}/">{escape(outlet['name'])}</a><a href="#">Threats</a><a href="#">Vulnerabilities</a><a href="#">Podcasts</a></nav>
<div class="share">Share: <a href="#">X</a> <a href="#">LinkedIn</a> <a href="#">Email</a></div>
<article class="post"><h1 class="entry-title">{escape(article.title)}</h1>
<span class="author vcard">{escape(article.author)}</span> <time class="published" datetime="{article.published.isoformat()}">{article.published:%b %d, %Y}</time>
<div class="entry-content">{_paragraphs(article)}</div></article>
<aside class="related"><h4>Related</h4><ul>{related}</ul></aside>
<div class="newsletter">Get the daily briefing in your inbox. <button>Sign up</button></div>
<footer>Fictional demo content.</footer></body></html>"""


LAYOUTS = {"wire": _wire, "newspaper": _newspaper, "tradepress": _tradepress}


def _rss(outlet: dict[str, Any], articles: list[DemoArticle], base_url: str) -> str:
    items = "\n".join(
        f"""<item><title>{escape(a.title)}</title><link>{base_url}{a.path}?utm_source=rss&amp;utm_medium=feed</link>
<guid isPermaLink="false">{a.outlet}-{a.slug}</guid><pubDate>{format_datetime(a.published)}</pubDate>
<description>{escape(a.lead)}</description></item>"""
        for a in sorted(articles, key=lambda a: a.published, reverse=True))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{escape(outlet['name'])}</title><link>{base_url}/{outlet['slug']}/</link>
<description>Latest from {escape(outlet['name'])}</description>
{items}
</channel></rss>"""


def build_pages(base_url: str, only: Collection[str] | None = None) -> dict[str, Page]:
    """All pages of the demo site, keyed by path, for a site served at base_url;
    with ``only`` (article keys, "outlet/slug"), a site of those articles alone."""
    outlets, articles = load_demo_articles()
    if only is not None:
        articles = [article for article in articles if article.key in only]
        outlets = [outlet for outlet in outlets if any(a.outlet == outlet["slug"] for a in articles)]
    pages: dict[str, Page] = {"/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n",
                                                   "text/plain")}
    for outlet in outlets:
        own = [a for a in articles if a.outlet == outlet["slug"]]
        related = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in own[:4])
        render = LAYOUTS[outlet["layout"]]
        for article in own:
            pages[article.path] = Page(render(article, outlet, base_url, related).encode("utf-8"))
        pages[f"/{outlet['slug']}/feed.xml"] = Page(
            _rss(outlet, own, base_url).encode("utf-8"), "application/rss+xml; charset=utf-8")
        listing = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in own)
        pages[f"/{outlet['slug']}/"] = Page(
            f"<html><body><h1>{escape(outlet['name'])}</h1><ul>{listing}</ul></body></html>"
            .encode())
    return pages


def demo_sources_yaml(base_url: str, only: Collection[str] | None = None) -> str:
    """A sources.yml that points at the demo site's feeds (with ``only``: at the
    feeds of the outlets those articles are in)."""
    outlets, articles = load_demo_articles()
    if only is not None:
        outlets = [outlet for outlet in outlets if any(a.outlet == outlet["slug"] and a.key in only
                                                       for a in articles)]
    sources = [{"name": outlet["slug"], "kind": "feed",
                "urls": [f"{base_url}/{outlet['slug']}/feed.xml"],
                "language": outlet.get("language", "en"), "country": outlet["country"], "tags": ["demo"]}
               for outlet in outlets]
    return yaml.safe_dump({"sources": sources}, sort_keys=False)
