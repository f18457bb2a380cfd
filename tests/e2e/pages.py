"""Pages for the end-to-end fixture sites."""

from __future__ import annotations

from html import escape

from crawlers.demo_site.server import Page


def article_page(title: str, paragraphs: list[str], canonical: str | None = None,
                 published: str = "2026-11-18T08:00:00+00:00") -> Page:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    link += f'<meta property="article:published_time" content="{published}">'
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"{link}</head><body><nav>Home | World</nav><article><h1>{escape(title)}</h1>"
            f"{body}</article><footer>© Fixture News</footer></body></html>")
    return Page(html.encode("utf-8"))


def rss(base: str, links: list[tuple[str, str]]) -> Page:
    items = "".join(f"<item><title>{escape(t)}</title><link>{base}{path}</link></item>"
                    for t, path in links)
    xml = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Fixture</title>'
           f"<link>{base}/</link><description>d</description>{items}</channel></rss>")
    return Page(xml.encode("utf-8"), "application/rss+xml")


TURLA = [
    "A Russian intelligence unit known as Turla held access to a classified network of the "
    "defence ministry for eighteen months, officials said on Tuesday.",
    "The intruders entered through a contractor's maintenance account and moved into the "
    "restricted network, where they copied planning documents every night.",
    "The ministry confirmed a serious security incident and informed its allies.",
]
VOLT = [
    "United States agencies warned that the Chinese state-sponsored group Volt Typhoon kept "
    "hidden access to operational networks at several water utilities.",
    "The group used built-in administration tools rather than malware, which makes it hard to "
    "detect, and entered through outdated VPN appliances.",
    "Officials said there was no sign that water treatment had been tampered with.",
]
