"""Learn the relevance weights on the tune split of ../shared/relevance-dev and
write them, readable, to workers/relevance_weights.json. The held-back split is
never read here. Needs scikit-learn (dev extra); the pipeline itself only reads
the JSON.

    .venv/bin/python bench/train_relevance.py [--c 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.relevance_dev import UNTITLED, articles_in, found_actors, prf  # noqa: E402
from workers.relevance import (  # noqa: E402
    FEATURES,
    WEIGHTS_FILE,
    RelevanceModel,
    RelevanceThresholds,
    relevance_features,
)

# Strong regularisation: about a hundred articles for sixteen features.
DEFAULT_C = 1.0
# Which way each feature may move the score; what speaks against a state operation must not raise it.
AGAINST = ("state_only_hypothetical", "negated_state", "crime_in_lead", "crime_share", "patch_in_lead",
           "patch_share", "title_crime_or_patch")
EXPECTED_SIGN = {name: -1 if name in AGAINST else 1 for name in FEATURES}
CV_SHUFFLES = 6
KEPT_RECALL_FLOOR = 0.95
PRECISION_GOAL = 0.85
CV_THRESHOLDS = (0.03, 0.05, 0.06, 0.08, 0.1, 0.2, 0.3, 0.33, 0.35, 0.38, 0.4, 0.45, 0.5)


def training_rows() -> tuple[list[list[float]], list[int]]:
    rows, labels = [], []
    for item in articles_in("tune"):
        features = relevance_features(item.title or UNTITLED, "", item.body, found_actors(item))
        rows.append([features[name] for name in FEATURES])
        labels.append(int(item.on_topic))
    return rows, labels


def _fit(rows: list[list[float]], labels: list[int], c: float, used: list[str]) -> tuple[float, dict[str, float]]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    columns = [FEATURES.index(name) for name in used]
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit([[row[i] for i in columns] for row in rows], labels)
    return float(model.intercept_[0]), {name: float(w) for name, w in zip(used, model.coef_[0], strict=True)}


def fit_with_signs(rows: list[list[float]], labels: list[int], c: float) -> tuple[float, dict[str, float]]:
    """(intercept, weight per feature; 0 for a feature dropped for its sign)."""
    intercept, weights, _ = fit_dropping_wrong_signs(rows, labels, c)
    return intercept, weights


def fit_dropping_wrong_signs(rows: list[list[float]], labels: list[int],
                             c: float) -> tuple[float, dict[str, float], list[str]]:
    """A feature whose learned weight has the wrong sign (crime raising the score,
    say) is fitting noise in a hundred articles: drop it and fit again."""
    used, dropped = list(FEATURES), list[str]()
    while True:
        intercept, weights = _fit(rows, labels, c, used)
        wrong = [name for name, weight in weights.items() if weight * EXPECTED_SIGN[name] < 0]
        if not wrong:
            return intercept, {name: weights.get(name, 0.0) for name in FEATURES}, dropped
        dropped += wrong
        used = [name for name in used if name not in wrong]


def cross_validated(rows: list[list[float]], labels: list[int], c: float, seed: int,
                    folds: int = 5) -> list[float]:
    """Out-of-fold scores within the tune split: how a feature change or a threshold
    generalises, judged without the held-back split."""
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    scores = [0.0] * len(rows)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, labels):
        intercept, weights = fit_with_signs([rows[i] for i in train], [labels[i] for i in train], c)
        model = RelevanceModel(intercept, weights)
        for i in test:
            scores[i] = model.score(dict(zip(FEATURES, rows[i], strict=True)))
    return scores


def _report_cross_validation(rows: list[list[float]], labels: list[int], c: float) -> None:
    runs = [list(zip(cross_validated(rows, labels, c, seed), map(bool, labels), strict=True))
            for seed in range(CV_SHUFFLES)]
    settings = RelevanceThresholds.from_settings()
    print(f"5-fold out-of-fold on tune, mean of {CV_SHUFFLES} shuffles (settings: on-topic {settings.on_topic}, "
          f"possible {settings.possible}):")
    table = {}
    for threshold in CV_THRESHOLDS:
        figures = [prf(pairs, threshold) for pairs in runs]
        table[threshold] = {name: sum(f[name] for f in figures) / len(runs) for name in ("precision", "recall", "f1")}
        kept = sum(sum(1 for score, _ in pairs if score >= threshold) for pairs in runs) / len(runs)
        print(f"  at {threshold:.2f}: P {table[threshold]['precision']:.3f} R {table[threshold]['recall']:.3f} "
              f"F1 {table[threshold]['f1']:.3f}  kept {kept:.1f} of {len(rows)}")
    # The rule the settings follow: drop what carries no cue at all (the shipped model's
    # score with every feature 0) and nothing that costs the recall floor; alert at the
    # best F1 that still meets the precision goal.
    no_cue = RelevanceModel(*fit_with_signs(rows, labels, c)).score(dict.fromkeys(FEATURES, 0.0))
    possible = min((t for t, f in table.items() if t > no_cue and f["recall"] >= KEPT_RECALL_FLOOR),
                   default=min(table))
    precise = [t for t, f in table.items() if f["precision"] >= PRECISION_GOAL and t > possible]
    on_topic = max(precise or list(table), key=lambda t: table[t]["f1"])
    print(f"an article with no cue scores {no_cue:.3f}; by the rule (above that, kept recall >= "
          f"{KEPT_RECALL_FLOOR}; precision >= {PRECISION_GOAL} at best F1): possible {possible}, on-topic {on_topic}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 strength")
    parser.add_argument("--cv", action="store_true", help="also report 5-fold scores within the tune split")
    options = parser.parse_args()
    rows, labels = training_rows()
    if options.cv:
        _report_cross_validation(rows, labels, options.c)
    intercept, weights, dropped = fit_dropping_wrong_signs(rows, labels, options.c)
    document = {
        "about": "logistic relevance model over workers/relevance.py features; trained by "
                 "bench/train_relevance.py on the relevance-dev tune split only",
        "tune_items": len(labels), "tune_on_topic": sum(labels), "c": options.c,
        "intercept": round(intercept, 3),
        "weights": {name: round(weight, 3) for name, weight in weights.items()},
        "dropped_for_sign": dropped,
        "dropped_note": "learned with the wrong sign on the tune split (too few examples), so refitted without: "
                        "their weight is 0; hypothetical and denied state links still count through the state "
                        "features, which leave such sentences out",
    }
    WEIGHTS_FILE.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    for name, weight in sorted(document["weights"].items(), key=lambda item: -abs(item[1])):
        print(f"{weight:+7.3f}  {name}")
    print(f"intercept {document['intercept']:+.3f}; written to {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
