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

from bench.relevance_dev import UNTITLED, articles_in, found_actors  # noqa: E402
from workers.relevance import FEATURES, WEIGHTS_FILE, relevance_features  # noqa: E402

# Strong regularisation: about a hundred articles for sixteen features.
DEFAULT_C = 1.0
# Which way each feature may move the score; what speaks against a state operation must not raise it.
AGAINST = ("state_only_hypothetical", "negated_state", "crime_in_lead", "crime_share", "patch_in_lead",
           "patch_share")
EXPECTED_SIGN = {name: -1 if name in AGAINST else 1 for name in FEATURES}


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
    """A feature whose learned weight has the wrong sign (crime raising the score,
    say) is fitting noise in a hundred articles: drop it and fit again."""
    used = list(FEATURES)
    while True:
        intercept, weights = _fit(rows, labels, c, used)
        wrong = [name for name, weight in weights.items() if weight * EXPECTED_SIGN[name] < 0]
        if not wrong:
            return intercept, {name: weights.get(name, 0.0) for name in FEATURES}
        used = [name for name in used if name not in wrong]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 strength")
    options = parser.parse_args()
    rows, labels = training_rows()
    intercept, weights = fit_with_signs(rows, labels, options.c)
    document = {
        "about": "logistic relevance model over workers/relevance.py features; trained by "
                 "bench/train_relevance.py on the relevance-dev tune split only",
        "tune_items": len(labels), "tune_on_topic": sum(labels), "c": options.c,
        "intercept": round(intercept, 3),
        "weights": {name: round(weight, 3) for name, weight in weights.items()},
    }
    WEIGHTS_FILE.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    for name, weight in sorted(document["weights"].items(), key=lambda item: -abs(item[1])):
        print(f"{weight:+7.3f}  {name}")
    print(f"intercept {document['intercept']:+.3f}; written to {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
