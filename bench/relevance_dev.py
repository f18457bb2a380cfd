"""Topic relevance on real cyber news: both files of ../shared/relevance-dev
through the real enrich stage, scored against their hand labels (README there).

The split (``workers.relevance_data``): duplicate groups together, stratified
by file, outlet, year and label, about 30% held back; nothing is trained or
tuned on the held-back split. ``evaluate(split)`` gives, per file, precision,
recall and F1 of the on-topic band at the deployed model's operating point,
on all items and on the non-ambiguous ones, the recall of what is kept and the
share of off-topic articles kept, beside the same for the cue model English
articles had before (the "before" figures). As a script: the figures per file
and split, a precision-recall PNG under var/, and one JSON line, last.

The model, its training rule and its figures: docs/relevance-model-card.md.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coverwatch.models import Article  # noqa: E402
from coverwatch.settings import get_settings  # noqa: E402
from coverwatch.taxonomy import Actor, default_taxonomy  # noqa: E402
from workers.enrichment import enrich  # noqa: E402
from workers.entities import default_matcher  # noqa: E402
from workers.relevance import RelevanceBand, RelevanceThresholds  # noqa: E402
from workers.relevance_data import UNTITLED, LabelledArticle, dev_articles, in_split  # noqa: E402
from workers.relevance_model import shipped_learned_model  # noqa: E402
from workers.relevance_report import Verdict, cue_scorer, figures, format_row, verdicts  # noqa: E402
from workers.relevance_training import figures_at  # noqa: E402

SPLITS = ("tune", "heldout", "all")
__all__ = ["UNTITLED", "articles_in", "evaluate", "found_actors", "prf"]


@cache
def labelled_articles() -> tuple[LabelledArticle, ...]:
    return tuple(dev_articles())


def articles_in(split: str) -> list[LabelledArticle]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return in_split(labelled_articles(), split)


def as_article(item: LabelledArticle) -> Article:
    return Article(url=f"https://relevance-dev.invalid/{item.id.replace(':', '-')}", title=item.title,
                   lead=item.lead, body=item.body, source="relevance-dev")


def found_actors(item: LabelledArticle) -> list[Actor]:
    """The actors the enrich stage finds (bench/train_relevance.py's features)."""
    taxonomy = default_taxonomy()
    text = f"{item.title}\n{item.lead}\n{item.body}"
    return [taxonomy.by_id[actor_id] for actor_id in default_matcher().actor_ids(text)]


@cache
def _after() -> tuple[tuple[Verdict, ...], float]:
    """Every dev article through the real enrich stage (the deployed model), and
    the enrich stage's CPU ms per article."""
    taxonomy, matcher = default_taxonomy(), default_matcher()
    started = time.process_time()
    found = []
    for item in labelled_articles():
        article = enrich(as_article(item), taxonomy, matcher)
        found.append(Verdict(item, RelevanceBand(article.relevance_band or "off_topic"), article.relevance or 0.0))
    return tuple(found), (time.process_time() - started) * 1000 / len(found)


@cache
def _before() -> tuple[tuple[Verdict, ...], float]:
    found, cpu_ms = verdicts(labelled_articles(), cue_scorer())
    return tuple(found), cpu_ms


def prf(pairs: Sequence[tuple[float, bool]], threshold: float) -> dict[str, float]:
    """The trainer's counting rule (workers.relevance_training.figures_at), rounded for print."""
    counted = figures_at(pairs, threshold)
    return {name: round(counted[name], 3) for name in ("precision", "recall", "f1")}


def _per_file(found: Sequence[Verdict], split: str) -> dict[str, Any]:
    chosen = [v for v in found if split == "all" or v.item.split == split]
    return {corpus: figures([v for v in chosen if v.item.corpus == corpus])
            for corpus in sorted({v.item.corpus for v in chosen})}


def evaluate(split: str) -> dict[str, Any]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    after, enrich_ms = _after()
    before, cue_ms = _before()
    model = shipped_learned_model()
    thresholds = RelevanceThresholds.from_settings()
    return {
        "split": split, "model_version": model.version,
        "on_topic_threshold": thresholds.on_topic, "possible_threshold": thresholds.possible,
        "after": _per_file(after, split), "before_cue_model": _per_file(before, split),
        "enrich_cpu_ms_per_article": round(enrich_ms, 2), "cue_model_cpu_ms_per_article": round(cue_ms, 2),
    }


def plot_pr_curve(path: Path | None = None) -> Path:
    import matplotlib  # a dev extra: only the benchmark draws

    matplotlib.use("Agg")
    from matplotlib import pyplot

    path = path or get_settings().var_dir / "bench" / "relevance_pr.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axes = pyplot.subplots(figsize=(6, 5))
    after, _ = _after()
    thresholds = RelevanceThresholds.from_settings()
    for split in ("tune", "heldout"):
        pairs = [(v.score, v.item.on_topic) for v in after if v.item.split == split]
        curve = [prf(pairs, threshold) for threshold in sorted({score for score, _ in pairs})]
        (line,) = axes.plot([c["recall"] for c in curve], [c["precision"] for c in curve], marker=".",
                            label=f"{split} split")
        for threshold, marker in ((thresholds.on_topic, "o"), (thresholds.possible, "s")):
            point = prf(pairs, threshold)
            axes.scatter([point["recall"]], [point["precision"]], marker=marker, s=70, zorder=3,
                         color=line.get_color(), edgecolors="black")
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02),
             title="relevance-dev (both files): on-topic precision-recall\n"
                   "(circle: on-topic threshold, square: possible)")
    axes.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path


def main() -> None:
    results = {split: evaluate(split) for split in SPLITS}
    print(f"model {results['all']['model_version']}, on-topic >= {results['all']['on_topic_threshold']}, "
          f"possible >= {results['all']['possible_threshold']}")
    for split, figures_of_split in results.items():
        print(split)
        for corpus, row in figures_of_split["before_cue_model"].items():
            print("  " + format_row(f"{corpus} before (cue model)", row))
        for corpus, row in figures_of_split["after"].items():
            print("  " + format_row(f"{corpus} after", row))
    print(f"enrich: {results['all']['enrich_cpu_ms_per_article']:.2f} ms CPU/article (cue model alone "
          f"{results['all']['cue_model_cpu_ms_per_article']:.2f})")
    try:
        print(f"precision-recall curve: {plot_pr_curve()}")
    except ImportError:
        print("precision-recall curve skipped: matplotlib is in the dev extras")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
