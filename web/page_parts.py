"""Pieces of the analyst pages that are plain logic: facet links that add or
remove one choice, links that can only lead to the web, and coverage bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from web.workspace import CoverageBar

_KEPT_WHEN_FILTERING = ("page",)  # a new choice starts again at the first page
# The media types of the CSV and JSON-lines downloads (articles, claim ledgers).
DOWNLOAD_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def filename_part(name: str) -> str:
    """A name as it may stand in a download's file name: letters, digits, - and _, at most 60."""
    return "".join(char if char.isalnum() or char in "-_" else "-" for char in name)[:60]


def toggle_link(path: str, params: Sequence[tuple[str, str]], name: str, value: str) -> str:
    """The URL of the current page with ``name=value`` added, or removed when
    already chosen; the page number is dropped so results start at the top."""
    kept = [(key, item) for key, item in params if key not in _KEPT_WHEN_FILTERING]
    if (name, value) in kept:
        kept = [pair for pair in kept if pair != (name, value)]
    else:
        kept.append((name, value))
    return f"{path}?{urlencode(kept)}" if kept else path


def replaced_link(path: str, params: Sequence[tuple[str, str]], name: str, value: str | None) -> str:
    """The current page with one single-valued parameter (sort, page) set or cleared."""
    kept = [(key, item) for key, item in params if key != name]
    if value is not None:
        kept.append((name, value))
    return f"{path}?{urlencode(kept)}" if kept else path


def web_href(url: str) -> str:
    """An article link only when it is http(s): a crawled ``javascript:`` or
    ``data:`` URL must not become something an analyst can click."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("http", "https") else "#"


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    label: str  # "2026-11-18: 4 articles" (the bar's tooltip)


def chart_bars(bars: Sequence[CoverageBar], width: float = 600, height: float = 80, gap: float = 1) -> list[ChartBar]:
    """Coverage over time as SVG rectangles scaled to the busiest bar; an empty
    bucket keeps its place (a gap in coverage is worth seeing) with no height."""
    if not bars:
        return []
    busiest = max(bar.articles for bar in bars) or 1
    step = width / len(bars)
    drawn = []
    for position, bar in enumerate(bars):
        tall = height * bar.articles / busiest
        noun = "article" if bar.articles == 1 else "articles"
        drawn.append(ChartBar(round(position * step, 2), round(height - tall, 2), round(max(step - gap, 1), 2),
                              round(tall, 2), f"{bar.start[:16].replace('T', ' ')}: {bar.articles} {noun}"))
    return drawn
