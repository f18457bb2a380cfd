"""Quality on real coverage, every figure in one run: extraction on
../shared/extraction-dev (old pages by token F1, today's pages in modern/ by
snippet F1, publication dates and bylines there), story clustering on ../shared/story-dev through the
real pipeline, entities and claims on our own gold set, relevance on
../shared/relevance-dev, indicators of compromise on our own labels of its
articles (bench/data/indicators_gold.jsonl), and coverage beyond English (cross-language story
linking, relevance per language) on our own written corpus; each against its
baseline computed in the same run.

Stories go the way a new user's archive goes: ``coverwatch backfill --all``
(real Celery workers, Redis and the OpenSearch node, started if they are down)
then ``coverwatch export``, under a prefix of their own that is wiped after.
ECB+ has no dates, as in the held-out evaluation. Tuned splits and held-back
splits are reported side by side; the held-back ones were never tuned on.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import story_dev  # noqa: E402

COVERWATCH = str(ROOT / ".venv" / "bin" / "coverwatch")


def _run_cli(arguments: Sequence[str], prefix: str) -> str:
    env = {**os.environ, "COVERWATCH_INDEX_PREFIX": prefix}
    done = subprocess.run([COVERWATCH, *arguments], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"coverwatch {arguments[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def pipeline_stories(records: Sequence[dict[str, Any]]) -> tuple[dict[str, str], float]:
    """Story of each record after backfill and export through the real services,
    and articles/s of the backfill. Records the pipeline did not keep come back
    as stories of their own (scored, not skipped)."""
    prefix = f"quality-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        archive, export = Path(folder) / "archive.jsonl", Path(folder) / "export.jsonl"
        with archive.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps({"url": f"https://story-dev.invalid/{record['id']}", "title": record["title"],
                                      "body": record["body"], "published_at": record.get("published_at"),
                                      "language": record.get("language") or "en", "source": "story-dev"}) + "\n")
        started = time.perf_counter()
        try:
            _run_cli(["backfill", str(archive), "--all"], prefix)
            rate = len(records) / (time.perf_counter() - started)
            _run_cli(["export", "--output", str(export)], prefix)
            rows = [json.loads(line) for line in export.open(encoding="utf-8") if line.strip()]
        finally:
            _reset(prefix)
    story_by_url = {row["url"]: row.get("story_id") for row in rows}
    predicted = {}
    for record in records:
        story = story_by_url.get(f"https://story-dev.invalid/{record['id']}")
        predicted[record["id"]] = story or f"missing-{record['id']}"
    return predicted, rate


def _reset(prefix: str) -> None:
    from console.demo import reset_deployment
    from coverwatch.settings import Settings

    reset_deployment(Settings(index_prefix=prefix))


def story_figures(gva_articles: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    ecb = story_dev.load("ecbplus")
    predicted, rate = pipeline_stories(ecb)  # all topics at once, as the held-out run does
    figures["pipeline_articles_per_s"] = round(rate, 1)
    for split in ("tune", "heldout"):
        part = [r for r in ecb if story_dev.split_of(r) == split]
        figures[f"ecbplus_{split}_pipeline"] = story_dev.score(part, {r["id"]: predicted[r["id"]] for r in part})
        figures[f"ecbplus_{split}_tfidf_average_link"] = story_dev.score(part, story_dev.tfidf_average_link(part, 0.8))
    figures["ecbplus_all_pipeline"] = story_dev.score(ecb, predicted)
    figures["ecbplus_all_tfidf_average_link"] = story_dev.score(ecb, story_dev.tfidf_average_link(ecb, 0.8))
    gva = sorted(story_dev.load("gva"), key=lambda r: (r["published_at"] or "", r["id"]))[:gva_articles]
    if gva:
        predicted, _ = pipeline_stories(gva)
        for split in ("tune", "heldout"):
            part = [r for r in gva if story_dev.split_of(r) == split]
            figures[f"gva_{split}_pipeline"] = story_dev.score(part, {r["id"]: predicted[r["id"]] for r in part})
            figures[f"gva_{split}_tfidf_online"] = story_dev.score(part, story_dev.tfidf_online_window(part))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gva-articles", type=int, default=1500, help="GVA articles through the pipeline (0: none)")
    parser.add_argument("--skip", action="append", default=[], choices=["extraction", "stories", "entities",
                                                                          "relevance", "multilingual", "indicators"])
    args = parser.parse_args()
    summary: dict[str, Any] = {}
    if "extraction" not in args.skip:
        from bench import extraction_dev

        for split in ("tune", "heldout"):
            figures = extraction_dev.evaluate(split, runs=1, with_readability=False)
            print(f"extraction {split}: {json.dumps(figures)}", flush=True)
            summary[f"extraction_{split}"] = figures
        every = extraction_dev.evaluate("all")
        print(f"extraction all: {json.dumps(every)}", flush=True)
        summary.update(extraction_f1=every["extraction_f1"], trafilatura_f1=every["trafilatura_f1"],
                       pages_per_s=every["pages_per_s"])
        from bench import extraction as fixture_extraction

        fixtures = fixture_extraction.measure(runs=3)
        print(f"extraction on our recorded fixtures and demo pages: {json.dumps(fixtures)}", flush=True)
        summary["extraction_fixtures"] = fixtures
        # Today's pages (../shared/extraction-dev/modern, snippet F1), trafilatura's defaults and
        # favor_precision measured in the same run; then dates and bylines on those pages.
        from bench import dates_dev, extraction_modern

        modern = extraction_modern.evaluate()
        for split in ("tune", "heldout"):
            row = {name: modern[f"{name}_{split}"]["f1"] for name in extraction_modern.EXTRACTORS}
            print(f"extraction modern {split} snippet F1: {json.dumps(row)}", flush=True)
            summary[f"extraction_modern_{split}"] = row
        summary["extraction_modern_cpu_ms_per_page"] = modern["cpu_ms_per_page"]
        dates = dates_dev.evaluate()
        for split in ("tune", "heldout"):
            print(f"dates and bylines {split}: {json.dumps(dates[split])}", flush=True)
            summary[f"dates_{split}"] = dates[split]
    if "stories" not in args.skip:
        figures = story_figures(args.gva_articles)
        for name, values in figures.items():
            print(f"stories {name}: {values}", flush=True)
        summary.update(story_bcubed_f1=figures["ecbplus_all_pipeline"]["f1"],
                       tfidf_baseline_f1=figures["ecbplus_all_tfidf_average_link"]["f1"],
                       story_heldout_f1=figures["ecbplus_heldout_pipeline"]["f1"],
                       story_pipeline_articles_per_s=figures["pipeline_articles_per_s"],
                       gva_heldout_f1=figures.get("gva_heldout_pipeline", {}).get("f1"))
    if "entities" not in args.skip:
        from bench import entities_gold

        for split in ("tune", "held"):
            figures = entities_gold.evaluate(split)
            print(f"entities {split}: {json.dumps(figures)}", flush=True)
            summary[f"entities_{split}"] = figures
    if "relevance" not in args.skip:
        from bench import relevance_dev

        for split in ("tune", "heldout", "all"):
            figures = relevance_dev.evaluate(split)
            print(f"relevance {split}: {json.dumps(figures)}", flush=True)
            summary[f"relevance_{split}"] = figures
        print(f"relevance precision-recall curve: {relevance_dev.plot_pr_curve()}", flush=True)
    if "indicators" not in args.skip:
        # Our labels of relevance-dev articles (docs/indicators-gold.md): per split, type and form.
        from bench import indicators_dev

        try:
            for split in ("tune", "held"):
                figures = indicators_dev.evaluate(split)
                print(f"indicators {split}: {json.dumps(figures)}", flush=True)
                summary[f"indicators_{split}"] = figures
        except indicators_dev.ExtractorMissing as missing:
            print(f"indicators: not measured: {missing}", flush=True)
            summary["indicators_missing"] = str(missing)
    if "multilingual" not in args.skip:
        # Our own written corpus (tests/fixtures/multilingual): cross-language story
        # linking and per-language relevance, tune and held-back incidents.
        from bench import multilingual

        figures = multilingual.evaluate()
        for split in ("tune", "held", "all"):
            print(f"multilingual {split}: {json.dumps(figures[split])}", flush=True)
            summary[f"multilingual_{split}"] = figures[split]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
