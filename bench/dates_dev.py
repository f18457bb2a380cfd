"""Publication dates and bylines on today's pages (../shared/extraction-dev/modern).

Expected values come from each page's own markup: the schema.org article
object's ``datePublished`` (else ``article:published_time`` and kin in
<meta>) and its ``author`` (else a <meta name="author">). Our extractor reads
that markup too, so agreement with it is partly circular: it shows the
extractor picks the publication stamp over "updated" stamps, <time> elements
of comments and teasers and dates in scripts, not that the markup is right.
The set's annotated year (``year_source == "ann"``, from trafilatura's
hand-made annotations) is the one independent check, at year granularity.

Measured on the same pages: Coverwatch (``extract_article``), htmldate's
``find_date(html, original_date=True)`` and trafilatura's metadata
(``extract_metadata``) for authors. Splits are those of
bench/extraction_modern.py (30% held back by the hash of ``modern:<file>``).
The last line is the JSON of the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.extraction_modern import ModernPage, load_pages, split_of  # noqa: E402
from crawlers.extraction import json_ld_nodes  # noqa: E402

_META_DATES = ("article:published_time", "og:article:published_time", "datePublished", "date", "DC.date.issued",
               "dc.date", "pubdate", "publishdate", "parsely-pub-date", "sailthru.date")
_META_AUTHORS = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Stated:
    """What a page's markup says of itself."""

    published: date | None
    authors: tuple[str, ...]


def _day(value: Any) -> date | None:
    match = _DAY.search(str(value)) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip() and "://" not in name:
            names.append(" ".join(name.split()))
    return tuple(names)


def stated(html: str) -> Stated:
    """The page's own publication day and authors, JSON-LD first, then <meta>."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", html))
    published: date | None = None
    authors: tuple[str, ...] = ()
    for node in json_ld_nodes(tree):
        published = published or _day(node.get("datePublished"))
        authors = authors or _names(node.get("author"))
    metas: dict[str, str] = {}
    for element in tree.iter("meta"):
        for attribute in ("property", "name", "itemprop"):
            key = element.get(attribute)
            if key and element.get("content") and key not in metas:
                metas[key] = element.get("content") or ""
    published = published or next((d for d in (_day(metas.get(k)) for k in _META_DATES) if d), None)
    authors = authors or next((n for n in (_names(metas.get(k)) for k in _META_AUTHORS) if n), ())
    return Stated(published, authors)


def name_key(name: str) -> str:
    """A name compared without case, accents, punctuation or a leading "By"."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"^(by|von|por|par)\s+", "", folded.strip())
    return " ".join(re.findall(r"[a-z]+", folded))


def author_found(expected: tuple[str, ...], found: list[str] | tuple[str, ...] | None) -> bool:
    """The first stated author is among the found ones (either name holding the other)."""
    if not expected or not found:
        return False
    wanted = name_key(expected[0])
    keys = [name_key(name) for name in found]
    return any(key and (key == wanted or key in wanted or wanted in key) for key in keys)


def _ours(page: ModernPage) -> tuple[date | None, list[str]]:
    from crawlers.extraction import ExtractionError, extract_article

    try:
        extracted = extract_article(page.raw, page.url or "https://unknown.example/")
    except ExtractionError:
        return None, []
    return (extracted.published_at.date() if extracted.published_at else None), extracted.authors


def _htmldate(html: str) -> date | None:
    from htmldate import find_date

    try:
        return _day(find_date(html, original_date=True))
    except ValueError:
        return None


def _trafilatura_authors(html: str) -> list[str]:
    from trafilatura import extract_metadata

    document = extract_metadata(html)
    author = getattr(document, "author", None) if document is not None else None
    return [name.strip() for name in str(author).split(";")] if author else []


def evaluate(splits: tuple[str, ...] = ("tune", "heldout")) -> dict[str, Any]:
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    pages = load_pages("all" if "heldout" in splits else "tune")
    rows: list[dict[str, Any]] = []
    for page in pages:
        html = page.raw.decode("utf-8", errors="replace")
        truth = stated(html)
        our_day, our_authors = _ours(page)
        rows.append({"split": split_of(page.file), "stated": truth, "ours": our_day, "our_authors": our_authors,
                     "htmldate": _htmldate(html), "trafilatura_authors": _trafilatura_authors(html),
                     "year": page.truth.get("year") if page.truth.get("year_source") == "ann" else None})
    figures: dict[str, Any] = {}
    for split in (*splits, "all"):
        chosen = [row for row in rows if split == "all" or row["split"] == split]
        dated = [row for row in chosen if row["stated"].published]
        bylined = [row for row in chosen if row["stated"].authors]
        annotated = [row for row in chosen if row["year"]]
        figures[split] = {
            "pages": len(chosen),
            "pages_stating_date": len(dated),
            "date_same_day_coverwatch": _share(dated, lambda r: r["ours"] == r["stated"].published),
            "date_same_day_htmldate": _share(dated, lambda r: r["htmldate"] == r["stated"].published),
            "pages_with_annotated_year": len(annotated),
            "year_coverwatch": _share(annotated, lambda r: r["ours"] is not None and r["ours"].year == r["year"]),
            "year_htmldate": _share(annotated, lambda r: r["htmldate"] is not None and r["htmldate"].year == r["year"]),
            # How far the markup itself can be trusted: its year against the annotation, where it states one.
            "year_markup_right_where_stated": _share([r for r in annotated if r["stated"].published],
                                                     lambda r: r["stated"].published.year == r["year"]),
            "pages_stating_author": len(bylined),
            "author_coverwatch": _share(bylined, lambda r: author_found(r["stated"].authors, r["our_authors"])),
            "author_trafilatura": _share(bylined, lambda r: author_found(r["stated"].authors,
                                                                        r["trafilatura_authors"])),
        }
    return figures


def _share(rows: list[dict[str, Any]], test: Any) -> float:
    return round(sum(1 for row in rows if test(row)) / len(rows), 4) if rows else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune-only", action="store_true", help="the tune split only (the tuning loop)")
    args = parser.parse_args()
    figures = evaluate(("tune",) if args.tune_only else ("tune", "heldout"))
    for split, values in figures.items():
        print(f"{split}: {json.dumps(values)}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
