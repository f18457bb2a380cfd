"""Story clustering quality on the labelled fixture corpus (two similar incidents
per topic), online and without the number of stories, over several seeds; and
articles/s of the pure assignment step. The last line is JSON."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()

    from coverwatch.models import Article
    from coverwatch.taxonomy import default_taxonomy
    from tests.fixtures.story_corpus import build_corpus
    from workers.clustering import OnlineClusterer
    from workers.enrichment import enrich
    from workers.entities import default_matcher
    from workers.evaluation import bcubed
    from workers.stories import item_from_article, vectorise

    taxonomy, matcher = default_taxonomy(), default_matcher()
    f1s, precisions, recalls, rates = [], [], [], []
    for seed in range(args.seeds):
        records, gold = build_corpus(seed=seed)
        articles = sorted((enrich(Article.model_validate(r), taxonomy, matcher) for r in records),
                          key=lambda a: a.published_at or a.crawled_at)
        clusterer = OnlineClusterer()
        started = time.perf_counter()
        vectorise(articles)
        predicted = {article.url: clusterer.assign(item_from_article(article), []).story_id for article in articles}
        rates.append(len(articles) / (time.perf_counter() - started))
        precision, recall, f1 = bcubed(gold, predicted)
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(f1)
        print(f"seed {seed}: {len(articles)} articles, {len(set(gold.values()))} incidents, "
              f"{len(set(predicted.values()))} stories, BCubed F1 {f1:.3f}", flush=True)
    print(json.dumps({"seeds": args.seeds, "bcubed_f1_mean": round(statistics.mean(f1s), 4),
                      "bcubed_f1_min": round(min(f1s), 4), "bcubed_precision": round(statistics.mean(precisions), 4),
                      "bcubed_recall": round(statistics.mean(recalls), 4),
                      "assignments_per_s": round(statistics.median(rates), 1)}))


if __name__ == "__main__":
    main()
