"""Training the learned relevance model (``workers.relevance_model``) from
labelled articles: the tune split of ``relevance-dev`` and, when asked, the
analysts' marks. Needs scikit-learn (the ``train`` extra); scoring does not.

The procedure, fixed before the held-back split was ever scored:

1. Vocabulary: every term in at least ``min_df`` training articles, idf from them.
2. A logistic regression (L2, ``c``) over the weighted terms and the cue
   features (times ``cue_scale``), balanced class weights.
3. Out-of-fold raw scores: five folds that keep duplicate groups together and
   are stratified by label, over several shuffles.
4. A Platt sigmoid fitted on those scores turns the full model's raw score
   into a probability.
5. The operating point, by this rule on the out-of-fold probabilities (mean over
   the shuffles): ``on_topic`` is the threshold of best F1 (a tie goes to the
   higher one); ``possible`` is the highest threshold below it that keeps
   ``KEPT_RECALL_GOAL`` of the on-topic articles.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from workers.relevance_data import LabelledArticle
from workers.relevance_model import LearnedRelevanceModel
from workers.relevance_text import (
    FieldWeights,
    document_frequencies,
    field_terms,
    smooth_idf,
    split_name,
    weighted_terms,
)

KEPT_RECALL_GOAL = 0.98
THRESHOLDS = tuple(round(0.02 * step, 2) for step in range(1, 50))


@dataclass(frozen=True)
class TrainingOptions:
    c: float = 16.0
    min_df: int = 3
    cue_scale: float = 0.25
    folds: int = 5
    shuffles: int = 3


@dataclass(frozen=True)
class Example:
    counts: dict[str, dict[str, int]]
    cues: dict[str, float]
    label: bool
    group: str


class TrainingUnavailable(RuntimeError):
    """scikit-learn is missing: training needs the ``train`` extra."""


def examples(items: Sequence[LabelledArticle]) -> list[Example]:
    """Terms and cue features of each labelled article, as the enrich stage reads it."""
    from coverwatch.taxonomy import default_taxonomy
    from workers.entities import default_matcher
    from workers.relevance import relevance_features

    taxonomy, matcher = default_taxonomy(), default_matcher()
    built = []
    for item in items:
        text = f"{item.title}\n{item.lead}\n{item.body}"
        actors = [taxonomy.by_id[actor_id] for actor_id in matcher.actor_ids(text)]
        built.append(Example(field_terms(item.title, item.lead, item.body),
                             relevance_features(item.title, item.lead, item.body, actors),
                             item.on_topic, item.group or item.id))
    return built


def _sklearn() -> Any:
    try:
        import sklearn.linear_model
        import sklearn.model_selection
    except ImportError as error:
        raise TrainingUnavailable("training needs scikit-learn: pip install 'coverwatch[train]'") from error
    return sklearn


def fit(training: Sequence[Example], options: TrainingOptions, version: str = "untrained") -> LearnedRelevanceModel:
    """Steps 1 and 2: the model, with an identity calibration and no operating point."""
    import numpy
    from scipy.sparse import csr_matrix

    sklearn = _sklearn()
    frequencies = document_frequencies(example.counts for example in training)
    idf: FieldWeights = {}
    for name, count in frequencies.items():
        if count >= options.min_df:
            field_name, term = split_name(name)
            idf.setdefault(field_name, {})[term] = smooth_idf(len(training), count)
    columns = {(field_name, term): index for index, (field_name, term) in enumerate(
        sorted((f, t) for f, terms in idf.items() for t in terms))}
    cue_names = sorted(training[0].cues) if training else []
    for name in cue_names:
        columns[("cue", name)] = len(columns)
    rows, cols, values = [], [], []
    for row, example in enumerate(training):
        features = weighted_terms(example.counts, idf)
        features["cue"] = {name: value * options.cue_scale for name, value in example.cues.items()}
        for field_name, weighted in features.items():
            for term, value in weighted.items():
                if value:
                    rows.append(row)
                    cols.append(columns[(field_name, term)])
                    values.append(value)
    matrix = csr_matrix((values, (rows, cols)), shape=(len(training), len(columns)))
    labels = numpy.array([example.label for example in training], dtype=int)
    classifier = sklearn.linear_model.LogisticRegression(C=options.c, class_weight="balanced", max_iter=5000)
    classifier.fit(matrix, labels)
    weights = classifier.coef_[0]
    # Every term of the vocabulary stays, even one of weight ~0: it still counts
    # toward its field's length, as it did in training.
    term_weights = {field_name: {term: float(weights[columns[(field_name, term)]]) for term in terms}
                    for field_name, terms in idf.items()}
    return LearnedRelevanceModel(
        version=version, intercept=float(classifier.intercept_[0]), idf=idf, term_weights=term_weights,
        cue_weights={name: round(float(weights[columns[("cue", name)]]), 5) for name in cue_names},
        cue_scale=options.cue_scale, calibration=(1.0, 0.0), on_topic=0.5, possible=0.5)


def _raw(model: LearnedRelevanceModel, example: Example) -> float:
    return model.raw_score(weighted_terms(example.counts, model.idf), example.cues).probability


def out_of_fold(training: Sequence[Example], options: TrainingOptions, seed: int) -> list[float]:
    """Step 3 for one shuffle: each example's raw score from a model that never saw its group."""
    sklearn = _sklearn()
    labels = [int(example.label) for example in training]
    groups = [example.group for example in training]
    splitter = sklearn.model_selection.StratifiedGroupKFold(options.folds, shuffle=True, random_state=seed)
    scores = [0.0] * len(training)
    for train_rows, test_rows in splitter.split(list(range(len(training))), labels, groups):
        model = fit([training[i] for i in train_rows], options)
        for i in test_rows:
            scores[i] = _raw(model, training[i])
    return scores


def platt(raw_scores: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """Step 4: (a, b) of p = 1 / (1 + exp(-(a * raw + b)))."""
    sklearn = _sklearn()
    classifier = sklearn.linear_model.LogisticRegression(C=1e6, max_iter=5000)
    classifier.fit([[score] for score in raw_scores], [int(label) for label in labels])
    return float(classifier.coef_[0][0]), float(classifier.intercept_[0])


def figures_at(pairs: Sequence[tuple[float, bool]], threshold: float) -> dict[str, float]:
    true_pos = sum(1 for score, label in pairs if score >= threshold and label)
    false_pos = sum(1 for score, label in pairs if score >= threshold and not label)
    false_neg = sum(1 for score, label in pairs if score < threshold and label)
    negatives = sum(1 for _, label in pairs if not label)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "off_topic_kept": false_pos / negatives if negatives else 0.0}


def operating_point(runs: Sequence[Sequence[tuple[float, bool]]]) -> tuple[float, float, dict[float, dict[str, float]]]:
    """Step 5: (on_topic, possible, mean figures per threshold)."""
    table = {threshold: {name: sum(figures_at(pairs, threshold)[name] for pairs in runs) / len(runs)
                         for name in ("precision", "recall", "f1", "off_topic_kept")}
             for threshold in THRESHOLDS}
    on_topic = max(THRESHOLDS, key=lambda t: (round(table[t]["f1"], 6), t))
    kept = [t for t in THRESHOLDS if t < on_topic and table[t]["recall"] >= KEPT_RECALL_GOAL]
    possible = max(kept) if kept else THRESHOLDS[0]
    return on_topic, possible, table


def version_of(model: LearnedRelevanceModel) -> str:
    """A name for the file's contents: the same training gives the same version."""
    digest = hashlib.sha256(json.dumps(model.to_document() | {"version": ""}, sort_keys=True).encode())
    return f"lr-{digest.hexdigest()[:10]}"


def train(training_items: Sequence[LabelledArticle], options: TrainingOptions,
          card: dict[str, Any]) -> tuple[LearnedRelevanceModel, dict[float, dict[str, float]]]:
    """Steps 1-5 on ``training_items``; the card records what it was trained on."""
    training = examples(training_items)
    runs = []
    raw_runs = []
    for seed in range(options.shuffles):
        raw = out_of_fold(training, options, seed)
        raw_runs.append(raw)
    labels = [example.label for example in training]
    a, b = platt([score for raw in raw_runs for score in raw], labels * options.shuffles)
    for raw in raw_runs:
        runs.append([(1 / (1 + math.exp(-(a * score + b))), label) for score, label in zip(raw, labels, strict=True)])
    on_topic, possible, table = operating_point(runs)
    model = fit(training, options)
    card = card | {"options": asdict(options), "training_items": len(training),
                   "training_on_topic": sum(labels), "rule": __doc__.split("5. ", 1)[1].strip() if __doc__ else "",
                   "out_of_fold_at_operating_point": {name: round(value, 3) for name, value
                                                      in table[on_topic].items()},
                   "out_of_fold_kept_recall": round(table[possible]["recall"], 3),
                   "out_of_fold_off_topic_kept": round(table[possible]["off_topic_kept"], 3)}
    calibrated = LearnedRelevanceModel(
        version="", intercept=model.intercept, idf=model.idf, term_weights=model.term_weights,
        cue_weights=model.cue_weights, cue_scale=options.cue_scale, calibration=(round(a, 5), round(b, 5)),
        on_topic=on_topic, possible=possible, card=card)
    return LearnedRelevanceModel(**{**calibrated.__dict__, "version": version_of(calibrated)}), table
