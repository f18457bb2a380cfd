"""Body extraction on real pages: Coverwatch's extractor against stock trafilatura
(and readability-lxml) on ../shared/extraction-dev, scored with that set's own
`shingle` rule (its score.py is imported, not re-typed, so the figures agree).

The held-back split is a fixed ~30% of page ids chosen by hash; nothing is tuned
on it. As a script: per-dataset figures for each split, and the JSON of
`evaluate(split)` as the last line. Speed is ours on one core, median of runs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dev_sets import hash_percent, load_scorer, shared_dir  # noqa: E402

SPLITS = ("tune", "heldout", "all")
HELDOUT_PERCENT = 30



def dev_set_dir() -> Path:
    return shared_dir() / "extraction-dev"


def split_of(page_id: str) -> str:
    """"heldout" for a fixed ~30% of ids, "tune" for the rest; stable across runs and machines."""
    return "heldout" if hash_percent(page_id) < HELDOUT_PERCENT else "tune"


@dataclass(frozen=True)
class DevPage:
    page_id: str
    dataset: str
    url: str
    truth: str
    raw: bytes

    @property
    def html(self) -> str:
        # The set stores every page as UTF-8 (see its README), whatever the page declares.
        return self.raw.decode("utf-8", errors="replace")


def load_pages(split: str) -> list[DevPage]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    directory = dev_set_dir()
    pages = []
    with (directory / "ground-truth.jsonl").open(encoding="utf-8") as truth_file:
        for line in truth_file:
            if not line.strip():
                continue
            row = json.loads(line)
            if split != "all" and split_of(row["id"]) != split:
                continue
            raw = gzip.decompress((directory / "pages" / f"{row['id']}.html.gz").read_bytes())
            pages.append(DevPage(row["id"], row["dataset"], row.get("url") or "", row.get("body") or "", raw))
    return pages


@cache
def scorer() -> ModuleType:
    """The dev set's own score.py, loaded from the shared folder."""
    return load_scorer(dev_set_dir() / "score.py", "extraction_dev_score")


def score(pages: Iterable[DevPage], bodies: dict[str, str]) -> dict[str, float]:
    """Precision, recall and F1 by the shingle rule over these pages."""
    rule = scorer()
    rows = [rule.shingle_page(page.truth, bodies.get(page.page_id, "")) for page in pages]
    figures = rule.shingle_aggregate(rows) or {"precision": 0.0, "recall": 0.0, "f1": 0.0, "pages": 0}
    return {key: float(value) for key, value in figures.items()}


BodyExtractor = Callable[[DevPage], str]


def coverwatch_extractor() -> tuple[BodyExtractor, list[str]]:
    """Our extractor on the raw bytes (so decoding is measured too); ids of pages it rejects."""
    from crawlers.extraction import ExtractionError, extract_article

    failures: list[str] = []

    def extract(page: DevPage) -> str:
        try:
            return extract_article(page.raw, page.url or "https://unknown.example/").body
        except ExtractionError:
            failures.append(page.page_id)
            return ""

    return extract, failures


def trafilatura_extractor(page: DevPage) -> str:
    import trafilatura

    return trafilatura.extract(page.html) or ""


def readability_extractor(page: DevPage) -> str:
    """readability-lxml's summary as text, one line per block (the same conversion our extractor uses)."""
    from lxml import html as lxml_html
    from readability import Document

    from crawlers.body_text import block_text

    try:
        return block_text(lxml_html.fromstring(Document(page.html).summary(html_partial=True)))
    except Exception:  # noqa: BLE001 - readability raises bare Exception on pages it cannot read
        return ""


def run(extractor: BodyExtractor, pages: list[DevPage]) -> tuple[dict[str, str], float]:
    """Bodies by id and pages per second of this process's CPU time: one core, and not skewed by
    the other jobs sharing the machine (wall-clock rates swing by half under their load)."""
    started = time.process_time()
    bodies = {page.page_id: extractor(page) for page in pages}
    return bodies, len(pages) / max(time.process_time() - started, 1e-9)


def evaluate(split: str, runs: int = 3, with_readability: bool = True) -> dict[str, Any]:
    """Our figures and the baselines' on one split of the dev set ("tune", "heldout" or "all")."""
    pages = load_pages(split)
    rates = []
    failures: list[str] = []
    ours: dict[str, str] = {}
    for _ in range(max(1, runs)):
        extractor, failures = coverwatch_extractor()
        ours, rate = run(extractor, pages)
        rates.append(rate)
    baseline, baseline_rate = run(trafilatura_extractor, pages)
    mine = score(pages, ours)
    figures: dict[str, Any] = {
        "split": split,
        "extraction_f1": round(mine["f1"], 4),
        "extraction_precision": round(mine["precision"], 4),
        "extraction_recall": round(mine["recall"], 4),
        "trafilatura_f1": round(score(pages, baseline)["f1"], 4),
        "pages_per_s": round(statistics.median(rates), 1),
        "trafilatura_pages_per_s": round(baseline_rate, 1),
        "pages": len(pages),
        "failures": len(failures),
    }
    if with_readability:
        figures["readability_f1"] = round(score(pages, run(readability_extractor, pages)[0])["f1"], 4)
    return figures


def per_dataset(pages: list[DevPage], bodies: dict[str, str]) -> dict[str, float]:
    datasets = sorted({page.dataset for page in pages})
    return {dataset: score([p for p in pages if p.dataset == dataset], bodies)["f1"] for dataset in datasets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=SPLITS, default="all", help="the split of the JSON line")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of our extractor (median)")
    parser.add_argument("--no-readability", action="store_true", help="skip the readability-lxml baseline")
    args = parser.parse_args()

    pages = load_pages("all")
    extractor, failures = coverwatch_extractor()
    candidates = {"coverwatch": run(extractor, pages)[0], "trafilatura": run(trafilatura_extractor, pages)[0]}
    if not args.no_readability:
        candidates["readability"] = run(readability_extractor, pages)[0]
    print(f"{'split':<8} {'extractor':<12}" + "".join(f"{d:>16}" for d in sorted({p.dataset for p in pages}))
          + f"{'ALL':>8}")
    for split in SPLITS:
        chosen = [page for page in pages if split == "all" or split_of(page.page_id) == split]
        for name, bodies in candidates.items():
            line = "".join(f"{f1:>16.4f}" for f1 in per_dataset(chosen, bodies).values())
            print(f"{split:<8} {name:<12}{line}{score(chosen, bodies)['f1']:>8.4f}")
    print(f"failures: {len(failures)} {sorted(failures)}", flush=True)
    print(json.dumps(evaluate(args.split, runs=args.runs, with_readability=not args.no_readability)))


if __name__ == "__main__":
    main()
