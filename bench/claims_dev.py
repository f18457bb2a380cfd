"""Attribution claims, many per article, on ../shared/claims-dev (README there).

Each annotated article's text is read from ../shared/relevance-dev/cybernews.jsonl
(joined on id, never copied into the repository), its actors found by the enrich
stage's matcher, and its claims extracted by ``workers.attribution.extract_claims``.
The predictions are scored by the dev set's own rule (``score.py`` there, imported
from the shared folder, not copied): strict claim-level precision, recall and F1
on (claimant kind, stance, subject state), and stance accuracy on claims paired
on (claimant kind, subject state); then, per part, F1 with each part of that key
left out and F1 per claimant kind.

The split: an article is held back when ``hash_percent("claims-dev:" + id) < 30``
(bench/dev_sets.py), about 30% of the ids, the same on every run; nothing is tuned
on it. Beside the figures, the dev set's reference points. Then the extractor's
CPU per article (median of three rounds over all dev articles), and, last, one
JSON line. ``--errors`` prints the tune split's misses and extras (to the
terminal only: the evidence is article text).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dev_sets import hash_percent, load_scorer, shared_dir  # noqa: E402
from coverwatch.fields import ARTICLE_FIELDS  # noqa: E402
from coverwatch.models import Article  # noqa: E402
from coverwatch.taxonomy import Actor, default_taxonomy  # noqa: E402
from workers.attribution import extract_claims  # noqa: E402
from workers.enrichment import enrich  # noqa: E402
from workers.entities import default_matcher  # noqa: E402
from workers.phrases import forget_texts  # noqa: E402

HELDOUT_PERCENT = 30
REFERENCE = {"one vendor-attributes claim per article (gold's most common state)": {"f1": 0.20,
                                                                                    "stance_accuracy": 0.68},
             "two annotators, blind, 16 articles": {"f1": 0.85, "stance_accuracy": 1.0}}
GOAL = {"f1": 0.75, "stance_accuracy": 0.85}
OUTLETS = {"thehackernews": "The Hacker News", "bleepingcomputer": "BleepingComputer"}


def split_of(article_id: str) -> str:
    return "heldout" if hash_percent(f"claims-dev:{article_id}") < HELDOUT_PERCENT else "tune"


@cache
def scorer() -> ModuleType:
    return load_scorer(shared_dir() / "claims-dev" / "score.py", "claims_dev_score")


@cache
def gold() -> dict[str, list[dict[str, Any]]]:
    loaded: dict[str, list[dict[str, Any]]] = scorer().load(shared_dir() / "claims-dev" / "claims.jsonl")
    return loaded


@cache
def texts() -> dict[str, dict[str, Any]]:
    wanted = gold()
    found = {}
    with open(shared_dir() / "relevance-dev" / "cybernews.jsonl", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            if item["id"] in wanted:
                found[item["id"]] = item
    return found


@cache
def article_actors() -> dict[str, tuple[Actor, ...]]:
    taxonomy, matcher = default_taxonomy(), default_matcher()
    found = {}
    for article_id, item in texts().items():
        text = f"{item['title']}\n{item['body']}"
        found[article_id] = tuple(taxonomy.by_id[actor_id] for actor_id in matcher.actor_ids(text))
    return found


def outlet_of(item: dict[str, Any]) -> str:
    """The outlet's name, as the pipeline knows its sources."""
    return OUTLETS.get(item["source"], item["source"])


def predict(article_id: str) -> list[dict[str, str | None]]:
    item = texts()[article_id]
    return [claim.to_dict() for claim in extract_claims(item["title"], item["body"], outlet=outlet_of(item),
                                                        actors=article_actors()[article_id])]


def evaluate(split: str) -> dict[str, Any]:
    ids = [article_id for article_id in gold() if split == "all" or split_of(article_id) == split]
    figures: dict[str, Any] = scorer().score({i: gold()[i] for i in ids}, {i: predict(i) for i in ids})
    figures["articles"] = len(ids)
    return figures


# Each part of the scored key left out in turn (the same value on both sides), to show which part costs most.
PARTS = {"kind": ("claimant_kind", "any"), "stance": ("stance", "any"), "state": ("subject_state", None)}


def part_figures(split: str) -> dict[str, Any]:
    """F1 with each part of the key left out, and F1 per claimant kind (gold and
    predictions both cut to that kind), by the dev set's own scorer."""
    ids = [article_id for article_id in gold() if split == "all" or split_of(article_id) == split]
    predicted = {i: predict(i) for i in ids}
    wanted = {i: gold()[i] for i in ids}

    def f1(gold_claims: dict[str, list[dict[str, Any]]], predictions: dict[str, list[dict[str, Any]]]) -> float:
        return float(scorer().score(gold_claims, predictions)["f1"])

    without = {part: f1({i: [{**c, field: value} for c in claims] for i, claims in wanted.items()},
                        {i: [{**c, field: value} for c in claims] for i, claims in predicted.items()})
               for part, (field, value) in PARTS.items()}
    kinds = sorted({c["claimant_kind"] for claims in wanted.values() for c in claims})
    by_kind = {kind: f1({i: [c for c in claims if c["claimant_kind"] == kind] for i, claims in wanted.items()},
                        {i: [c for c in claims if c["claimant_kind"] == kind] for i, claims in predicted.items()})
               for kind in kinds}
    return {"f1_without": without, "f1_by_kind": by_kind}


def cpu_ms_per_article(rounds: int = 3) -> float:
    """The extractor alone, on texts read afresh each round (its sentence and word caches emptied)."""
    ids = list(gold())
    actors = article_actors()
    items = texts()
    times = []
    for _ in range(rounds):
        forget_texts()
        start = time.process_time()
        for article_id in ids:
            item = items[article_id]
            # The call predict() makes, timed.
            extract_claims(item["title"], item["body"], outlet=outlet_of(item), actors=actors[article_id])
        times.append((time.process_time() - start) * 1000 / len(ids))
    return round(statistics.median(times), 3)


def enrich_ms_per_article(rounds: int = 3) -> dict[str, float]:
    """The whole enrich stage per article, with and without the claims enricher (its row
    left out of the table), median of ``rounds``, texts read afresh each round."""
    taxonomy, matcher = default_taxonomy(), default_matcher()
    without = tuple(row for row in ARTICLE_FIELDS if row.name != "claims")
    articles = [Article(url=f"https://claims-dev.invalid/{n}", title=item["title"] or "untitled", body=item["body"],
                        source=item["source"]) for n, item in enumerate(texts().values())]
    figures: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(rounds):
        for name, table in (("without", without), ("with", ARTICLE_FIELDS)):
            forget_texts()
            start = time.process_time()
            for article in articles:
                enrich(article.model_copy(deep=True), taxonomy, matcher, table)
            figures[name].append((time.process_time() - start) * 1000 / len(articles))
    medians = {name: round(statistics.median(values), 3) for name, values in figures.items()}
    return {**medians, "added": round(medians["with"] - medians["without"], 3)}


def print_errors() -> None:
    key = lambda c: (c["claimant_kind"], c["stance"], c.get("subject_state"))  # noqa: E731
    for article_id, wanted in gold().items():
        if split_of(article_id) != "tune":
            continue
        got = predict(article_id)
        missing = Counter(map(key, wanted)) - Counter(map(key, got))
        extra = Counter(map(key, got)) - Counter(map(key, wanted))
        if not (missing or extra):
            continue
        print(f"## {article_id}")
        for claim in wanted:
            if missing[key(claim)]:
                print(f"  MISS {key(claim)} {claim['claimant']} | {claim['subject']} | {claim['evidence'][:150]}")
        for claim in got:
            if extra[key(claim)]:
                print(f"  XTRA {key(claim)} {claim['claimant']} | {claim['subject']} | {str(claim['evidence'])[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print the tune split's misses and extras")
    arguments = parser.parse_args()
    if arguments.errors:
        print_errors()
    results = {split: evaluate(split) for split in ("tune", "heldout")}
    for split, figures in results.items():
        print(f"{split:8} {figures['articles']:3} articles  claims gold {figures['claims_gold']:3} "
              f"predicted {figures['claims_predicted']:3}  P {figures['precision']:.3f} R {figures['recall']:.3f} "
              f"F1 {figures['f1']:.3f}  stance accuracy {figures['stance_accuracy']} "
              f"({figures['paired']} paired)")
    parts = {split: part_figures(split) for split in results}
    for split, figures in parts.items():
        without = ", ".join(f"{part} {value:.3f}" for part, value in figures["f1_without"].items())
        by_kind = ", ".join(f"{kind} {value:.2f}" for kind, value in figures["f1_by_kind"].items())
        print(f"{split:8} F1 without {without}; by claimant kind {by_kind}")
    for name, reference in REFERENCE.items():
        print(f"reference: {name}: F1 {reference['f1']:.2f}, stance accuracy {reference['stance_accuracy']:.2f}")
    print(f"goal (issue 22): F1 >= {GOAL['f1']}, stance accuracy >= {GOAL['stance_accuracy']}")
    cpu = cpu_ms_per_article()
    print(f"extractor CPU per article: {cpu} ms (median of 3 rounds, {len(gold())} articles, cold caches; "
          f"budget 1 ms)")
    stage = enrich_ms_per_article()
    print(f"enrich stage CPU per article: {stage['without']} ms without the claims enricher, {stage['with']} ms "
          f"with it: +{stage['added']} ms")
    print(json.dumps({"bench": "claims_dev",
                      **{split: {**figures, **parts[split]} for split, figures in results.items()},
                      "reference": REFERENCE, "goal": GOAL, "cpu_ms_per_article": cpu, "enrich_ms_per_article": stage}))


if __name__ == "__main__":
    main()
