"""Body extraction on today's pages: ../shared/extraction-dev/modern (780 news and blog
pages, 2015-2023) scored with that set's own snippet rule (its score.py is imported,
not re-typed), Coverwatch against trafilatura's defaults and ``favor_precision``.

The held-back split is a fixed 30% of pages, by the hash of ``modern:<file>``
(bench.dev_sets.hash_percent, the rule every dev-set split here shares); nothing is
tuned on it. ``--per-page`` writes per-page counts of the tune split only, so held
pages are never looked at one by one. The last line is the JSON of the figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dev_sets import hash_percent, load_scorer, shared_dir  # noqa: E402

HELDOUT_PERCENT = 30
SPLITS = ("tune", "heldout", "all")


def modern_dir() -> Path:
    return shared_dir() / "extraction-dev" / "modern"


def split_of(file_name: str) -> str:
    """"heldout" for a fixed ~30% of pages, "tune" for the rest."""
    return "heldout" if hash_percent(f"modern:{file_name}") < HELDOUT_PERCENT else "tune"


@dataclass(frozen=True)
class ModernPage:
    file: str
    url: str
    truth: dict[str, Any]  # the scorer's row: with / without snippets
    raw: bytes


def load_pages(split: str) -> list[ModernPage]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    directory = modern_dir()
    pages = []
    for row in scorer().load_truth(str(directory / "truth.jsonl")):
        if split != "all" and split_of(row["file"]) != split:
            continue
        raw = gzip.decompress((directory / "pages" / row["file"]).read_bytes())
        pages.append(ModernPage(row["file"], row.get("url") or "", row, raw))
    return pages


@cache
def scorer() -> ModuleType:
    """The modern set's own score.py, loaded from the shared folder."""
    return load_scorer(modern_dir() / "score.py", "extraction_modern_score")


def page_counts(page: ModernPage, body: str | None) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one page by the set's rule."""
    counts = scorer().count_page(page.truth, body)
    return int(counts[0]), int(counts[1]), int(counts[2]), int(counts[3])


def score(pages: list[ModernPage], bodies: dict[str, str | None]) -> dict[str, float]:
    totals = [0, 0, 0, 0]
    for page in pages:
        totals = [a + b for a, b in zip(totals, page_counts(page, bodies.get(page.file)), strict=True)]
    return {name: round(value, 4) for name, value in scorer().scores(*totals).items()}


BodyExtractor = Callable[[ModernPage], "str | None"]


def coverwatch_body(page: ModernPage) -> str | None:
    """Our extractor on the raw bytes, as the crawler calls it; a rejected page has no output."""
    from crawlers.extraction import ExtractionError, extract_article

    try:
        return extract_article(page.raw, page.url or "https://unknown.example/").body
    except ExtractionError:
        return None


def trafilatura_body(favor_precision: bool) -> BodyExtractor:
    def extract(page: ModernPage) -> str | None:
        import trafilatura

        result: str | None = trafilatura.extract(page.raw, favor_precision=favor_precision)
        return result

    return extract


EXTRACTORS: dict[str, Callable[[], BodyExtractor]] = {
    "coverwatch": lambda: coverwatch_body,
    "trafilatura_default": lambda: trafilatura_body(False),
    "trafilatura_precision": lambda: trafilatura_body(True),
}


def run(extractor: BodyExtractor, pages: list[ModernPage]) -> tuple[dict[str, str | None], float]:
    """Bodies by file, and CPU seconds per page (this process, one core)."""
    started = time.process_time()
    bodies = {page.file: extractor(page) for page in pages}
    return bodies, (time.process_time() - started) / max(1, len(pages))


def evaluate(splits: tuple[str, ...] = ("tune", "heldout"), names: tuple[str, ...] = tuple(EXTRACTORS),
             per_page: Path | None = None) -> dict[str, Any]:
    """Figures of each extractor on each split, every one measured in this run."""
    pages = load_pages("all" if "heldout" in splits else "tune")
    outputs = {name: run(EXTRACTORS[name](), pages) for name in names}
    figures: dict[str, Any] = {"pages": {split: sum(1 for p in pages if split_of(p.file) == split)
                                         for split in ("tune", "heldout")}}
    for split in splits:
        chosen = [page for page in pages if split == "all" or split_of(page.file) == split]
        for name, (bodies, _) in outputs.items():
            figures[f"{name}_{split}"] = score(chosen, bodies)
    figures["all"] = {name: score(pages, bodies) for name, (bodies, _) in outputs.items()} \
        if "heldout" in splits else {}
    figures["cpu_ms_per_page"] = {name: round(cost * 1000, 1) for name, (_, cost) in outputs.items()}
    if per_page is not None:
        _write_per_page(per_page, [p for p in pages if split_of(p.file) == "tune"], outputs)
    return figures


def _write_per_page(path: Path, pages: list[ModernPage],
                    outputs: dict[str, tuple[dict[str, str | None], float]]) -> None:
    """Tune pages only: tp/fp/fn of each extractor side by side."""
    names = list(outputs)
    with path.open("w", encoding="utf-8") as out:
        out.write("file\t" + "\t".join(f"{n}_tp\t{n}_fp\t{n}_fn" for n in names) + "\n")
        for page in pages:
            cells = []
            for name in names:
                tp, fp, fn, _ = page_counts(page, outputs[name][0].get(page.file))
                cells += [str(tp), str(fp), str(fn)]
            out.write(page.file + "\t" + "\t".join(cells) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune-only", action="store_true", help="score the tune split only (the tuning loop)")
    parser.add_argument("--only", choices=list(EXTRACTORS), action="append", help="extractors to run (default all)")
    parser.add_argument("--per-page", type=Path, help="write tune-split per-page counts to this TSV")
    args = parser.parse_args()
    splits = ("tune",) if args.tune_only else ("tune", "heldout")
    figures = evaluate(splits, tuple(args.only or EXTRACTORS), args.per_page)
    for key, value in figures.items():
        print(f"{key}: {value}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
