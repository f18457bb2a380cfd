"""Figures of a relevance model on labelled articles, per file and split, as
the dev set's README scores them: precision, recall and F1 of the on-topic
band on all items and on the non-ambiguous ones, the recall of what is kept
(on-topic or possible) and the share of off-topic articles kept.

Articles are scored the way the enrich stage scores them (the taxonomy's actor
matcher, then ``score_relevance``), with a model given here or the deployed one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from workers.relevance import Relevance, RelevanceBand, RelevanceModel, RelevanceThresholds, score_relevance
from workers.relevance_data import LabelledArticle
from workers.relevance_model import LearnedRelevanceModel
from workers.relevance_training import figures_at

Scorer = Callable[[LabelledArticle], Relevance]


@dataclass(frozen=True)
class Verdict:
    item: LabelledArticle
    band: RelevanceBand
    score: float


def learned_scorer(model: LearnedRelevanceModel | None = None,
                   thresholds: RelevanceThresholds | None = None) -> Scorer:
    return _scorer(learned=model, thresholds=thresholds)


def cue_scorer(model: RelevanceModel | None = None, thresholds: RelevanceThresholds | None = None) -> Scorer:
    """The model English articles had before the learned one (and other languages still have)."""
    from workers.relevance import CUE_OPERATING_POINT, shipped_model

    return _scorer(cue_model=model or shipped_model(), thresholds=thresholds or RelevanceThresholds(
        *CUE_OPERATING_POINT))


def _scorer(learned: LearnedRelevanceModel | None = None, cue_model: RelevanceModel | None = None,
            thresholds: RelevanceThresholds | None = None) -> Scorer:
    from coverwatch.taxonomy import default_taxonomy
    from workers.entities import default_matcher

    taxonomy, matcher = default_taxonomy(), default_matcher()

    def score(item: LabelledArticle) -> Relevance:
        text = f"{item.title}\n{item.lead}\n{item.body}"
        actors = [taxonomy.by_id[actor_id] for actor_id in matcher.actor_ids(text)]
        return score_relevance(item.title, item.lead, item.body, actors, thresholds=thresholds,
                               model=cue_model, learned=learned)

    return score


def verdicts(items: Sequence[LabelledArticle], scorer: Scorer) -> tuple[list[Verdict], float]:
    """Each item's band and score, and the CPU milliseconds per article it took."""
    started = time.process_time()
    found = []
    for item in items:
        relevance = scorer(item)
        found.append(Verdict(item, relevance.band, relevance.score))
    return found, (time.process_time() - started) * 1000 / max(len(items), 1)


def _prf(chosen: Sequence[Verdict], predicted: Callable[[Verdict], bool]) -> dict[str, float]:
    """Precision, recall and F1 of a band decision, by the trainer's one counting rule."""
    counted = figures_at([(float(predicted(v)), v.item.on_topic) for v in chosen], 1.0)
    return {name: round(counted[name], 3) for name in ("precision", "recall", "f1")}


def figures(chosen: Sequence[Verdict]) -> dict[str, Any]:
    def on_topic(verdict: Verdict) -> bool:
        return verdict.band is RelevanceBand.ON_TOPIC

    def kept(verdict: Verdict) -> bool:
        return verdict.band is not RelevanceBand.OFF_TOPIC

    clear = [v for v in chosen if not v.item.ambiguous]
    negatives = [v for v in chosen if not v.item.on_topic]
    return {
        "items": len(chosen), "on_topic_items": sum(v.item.on_topic for v in chosen),
        "all": _prf(chosen, on_topic), "non_ambiguous": _prf(clear, on_topic),
        "kept_recall": _prf(chosen, kept)["recall"], "kept_recall_non_ambiguous": _prf(clear, kept)["recall"],
        "off_topic_kept_share": round(sum(kept(v) for v in negatives) / len(negatives), 3) if negatives else 0.0,
        "possible_items": sum(1 for v in chosen if v.band is RelevanceBand.POSSIBLE),
    }


def figures_by_file(found: Sequence[Verdict], splits: Sequence[str] = ("tune", "heldout")) -> dict[str, Any]:
    """{file: {split: figures}} over the dev files found."""
    table: dict[str, Any] = {}
    for corpus in sorted({v.item.corpus for v in found}):
        table[corpus] = {split: figures([v for v in found if v.item.corpus == corpus and v.item.split == split])
                         for split in splits}
    return table


def format_row(name: str, row: dict[str, Any]) -> str:
    return (f"{name:34s} n={row['items']:3d} on={row['on_topic_items']:3d}  "
            f"P {row['all']['precision']:.3f} R {row['all']['recall']:.3f} F1 {row['all']['f1']:.3f}  "
            f"clear P {row['non_ambiguous']['precision']:.3f} R {row['non_ambiguous']['recall']:.3f}  "
            f"kept R {row['kept_recall']:.3f} off-topic kept {row['off_topic_kept_share']:.3f}")
