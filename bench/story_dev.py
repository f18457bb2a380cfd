"""Story clustering on real news: ../shared/story-dev (ECB+ training and
development topics, no dates; GVA incident coverage, day dates).

Runs the pure online assignment (workers.clustering) the way the cluster stage
does, one batch at a time with no number of stories given, against the
set's own TF-IDF baselines computed in the same run: offline average-link, and
for GVA the online single pass in a 3-day window. ECB+ has no dates, so its
articles come in several shuffled orders; GVA comes in date order.

Splits: ECB+ by its own train/dev topics (tuned on train only); GVA by a hash of
the story id (70 % tune, 30 % held back). As a script: figures per set and split,
and one JSON line last.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dev_sets import shared_dir  # noqa: E402
from coverwatch.models import Article, parse_timestamp  # noqa: E402
from workers.clustering import ClusterItem, OnlineClusterer  # noqa: E402
from workers.evaluation import bcubed  # noqa: E402
from workers.stories import item_from_article, vectorise  # noqa: E402

Record = dict[str, Any]
BATCH = 50
NO_DATE = datetime(2026, 1, 1, tzinfo=UTC)



def load(name: str) -> list[Record]:
    with open(shared_dir() / "story-dev" / name / "articles.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def split_of(record: Record) -> str:
    if "split" in record:
        return "tune" if record["split"] == "train" else "heldout"
    digest = int(hashlib.sha1(record["story"].encode()).hexdigest()[:8], 16)
    return "heldout" if digest % 100 < 30 else "tune"


def item_of(record: Record) -> ClusterItem:
    """The cluster item the pipeline makes of the record (``vectorise`` and
    ``item_from_article``), named by the record's id."""
    article = Article(url=f"https://story-dev.invalid/{record['id']}", title=record["title"], body=record["body"],
                      source="story-dev", language=record.get("language") or "en",
                      published_at=parse_timestamp(record.get("published_at")) or NO_DATE)
    vectorise([article])
    return replace(item_from_article(article), id=record["id"])


def online_stories(records: Sequence[Record], threshold: float | None = None) -> dict[str, str]:
    """Assign in arrival order, BATCH at a time; each batch sees every earlier
    article, as the cluster stage does through the engine."""
    clusterer = OnlineClusterer() if threshold is None else OnlineClusterer(threshold=threshold)
    predicted = {}
    for start in range(0, len(records), BATCH):
        batch = [item_of(record) for record in records[start:start + BATCH]]
        for item in sorted(batch, key=lambda i: (i.published, i.id)):
            predicted[item.id] = clusterer.assign(item, []).story_id
    return predicted


def tfidf_matrix(records: Sequence[Record]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [f"{r['title']}\n{r['body']}" for r in records])


def tfidf_average_link(records: Sequence[Record], distance: float) -> dict[str, str]:
    """The set's offline baseline: average-link on cosine distance, cut at ``distance``."""
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                     distance_threshold=distance).fit_predict(tfidf_matrix(records).toarray())
    return {r["id"]: str(label) for r, label in zip(records, labels, strict=True)}


def tfidf_online_window(records: Sequence[Record], days: float = 3, threshold: float = 0.2) -> dict[str, str]:
    """The set's online baseline: single pass in date order, nearest story member
    within ``days``, joined at cosine >= ``threshold``."""
    matrix = tfidf_matrix(records)
    times = [(parse_timestamp(r.get("published_at")) or NO_DATE).timestamp() for r in records]
    story: list[str] = []
    for position, record in enumerate(records):
        earlier = [k for k in range(position) if times[position] - times[k] <= days * 86400]
        best, best_score = None, 0.0
        if earlier:
            scores = (matrix[earlier] @ matrix[position].T).toarray().ravel()
            top = int(scores.argmax())
            best, best_score = story[earlier[top]], float(scores[top])
        story.append(best if best is not None and best_score >= threshold else record["id"])
    return {r["id"]: s for r, s in zip(records, story, strict=True)}


def score(records: Sequence[Record], predicted: dict[str, str]) -> dict[str, float]:
    precision, recall, f1 = bcubed({r["id"]: r["story"] for r in records}, predicted)
    return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4)}


def over_orders(records: Sequence[Record], cluster: Callable[[Sequence[Record]], dict[str, str]],
                orders: int) -> dict[str, float]:
    """Mean figures over shuffled arrival orders (for a set without dates)."""
    runs = []
    for seed in range(orders):
        shuffled = list(records)
        random.Random(seed).shuffle(shuffled)
        runs.append(score(records, cluster(shuffled)))
    summary = {name: round(statistics.mean(run[name] for run in runs), 4) for name in runs[0]}
    summary["f1_min"] = min(run["f1"] for run in runs)
    return summary


def evaluate(orders: int = 3, gva_articles: int = 5000) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    ecb = load("ecbplus")
    for split in ("tune", "heldout"):
        part = [r for r in ecb if split_of(r) == split]
        started = time.perf_counter()
        figures[f"ecbplus_{split}"] = over_orders(part, online_stories, orders)
        figures[f"ecbplus_{split}"]["articles_per_s"] = round(len(part) * orders / (time.perf_counter() - started))
        figures[f"ecbplus_{split}_tfidf_average_link"] = score(part, tfidf_average_link(part, 0.8))
    gva = sorted(load("gva")[:gva_articles], key=lambda r: (r["published_at"] or "", r["id"]))
    for split in ("tune", "heldout"):
        part = [r for r in gva if split_of(r) == split]
        figures[f"gva_{split}"] = score(part, online_stories(part))
        figures[f"gva_{split}_tfidf_online"] = score(part, tfidf_online_window(part))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=3)
    parser.add_argument("--gva-articles", type=int, default=5000)
    args = parser.parse_args()
    figures = evaluate(args.orders, args.gva_articles)
    for name, values in figures.items():
        print(f"{name:42s} " + "  ".join(f"{key} {value}" for key, value in values.items()), flush=True)
    print(json.dumps({name: values["f1"] for name, values in figures.items()}))


if __name__ == "__main__":
    main()
