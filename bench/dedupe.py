"""Dedupe decisions per second on one core (exact body hash + MinHash/LSH in Redis),
and near-duplicate precision/recall on synthetic copies, rewrites and distinct
reports of the same events. Medians over --runs; the last line is JSON."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _edit(text: str, rng: random.Random) -> str:
    """A reprint: new opening line, a sentence dropped, a few words changed, the end trimmed."""
    sentences = text.split(". ")
    if len(sentences) > 4:
        del sentences[rng.randrange(1, len(sentences) - 1)]
    words = ". ".join(sentences).split()
    for _ in range(max(1, len(words) // 40)):
        words[rng.randrange(len(words))] = rng.choice(["reportedly", "officials", "the", "new"])
    kept = words[: int(len(words) * rng.uniform(0.8, 1.0))]
    return "Reprinted with permission. " + " ".join(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    import redis

    from bench.synthetic import synthetic_articles
    from coverwatch.models import Article
    from coverwatch.settings import get_settings
    from deploy.services import up
    from workers.dedupe import BodyHashRegistry
    from workers.evaluation import pair_scores
    from workers.neardup import NearDuplicateIndex, fingerprint

    settings = get_settings()
    up(settings)
    client = redis.Redis.from_url(settings.redis_url)
    rng = random.Random(5)
    originals = [r for r in synthetic_articles(args.articles, duplicate_share=0.0)]
    records, gold = [], set()
    for number, record in enumerate(originals):
        records.append(record)
        if number % 10 == 0:  # a tenth of the articles get an edited reprint elsewhere
            copy = {**record, "url": f"https://reprint.example.com/{number}", "body": _edit(record["body"], rng)}
            records.append(copy)
            gold.add(frozenset({Article.model_validate(record).id, Article.model_validate(copy).id}))
    articles = [Article.model_validate(r) for r in records]

    rates, scores = [], (0.0, 0.0)
    for _ in range(args.runs):
        prefix = f"bench-dedupe-{uuid.uuid4().hex[:6]}"
        registry = BodyHashRegistry(client, f"{prefix}:body-hash")
        near = NearDuplicateIndex(client, f"{prefix}:neardup")
        found: set[frozenset[str]] = set()
        started = time.perf_counter()
        for i in range(0, len(articles), args.batch):
            batch = articles[i:i + args.batch]
            registry.claim(batch)
            matches = near.add_and_match([(a.id, (a.published_at or a.crawled_at).timestamp(), fingerprint(a.body))
                                          for a in batch])
            for article, copies in zip(batch, matches, strict=True):
                found.update(frozenset({article.id, copy.article_id}) for copy in copies)
        rates.append(len(articles) / (time.perf_counter() - started))
        scores = pair_scores(gold, found)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    figures = {"articles": len(articles), "runs": args.runs,
               "dedupe_decisions_per_s": round(statistics.median(rates), 1),
               "near_duplicate_precision": round(scores[0], 4), "near_duplicate_recall": round(scores[1], 4)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
