"""CPU per article of topic-relevance scoring (``score_relevance``: cue
features, then the model, then the evidence), the learned English model beside
the cue model it replaced, measured in the same run on the same articles.

Two sets of articles: the real news of ../shared/relevance-dev (when present;
median 450 words) and the synthetic articles of bench/ingest.py. The actors are
found once beforehand, as the enrich stage finds them for its entities anyway,
so only scoring is timed. Each figure is the median of ``--rounds`` rounds;
the last line is JSON.

    flock /tmp/coverwatch-bench.lock .venv/bin/python bench/relevance_cost.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coverwatch.taxonomy import Actor, default_taxonomy
from workers.entities import default_matcher
from workers.relevance import CUE_OPERATING_POINT, RelevanceThresholds, score_relevance, shipped_model
from workers.relevance_data import LabelledDataError, dev_articles
from workers.relevance_model import shipped_learned_model

Text = tuple[str, str, str, list[Actor]]


def _with_actors(texts: Sequence[tuple[str, str, str]]) -> list[Text]:
    taxonomy, matcher = default_taxonomy(), default_matcher()
    return [(title, lead, body,
             [taxonomy.by_id[actor_id] for actor_id in matcher.actor_ids(f"{title}\n{lead}\n{body}")])
            for title, lead, body in texts]


def _cpu_ms_per_article(texts: Sequence[Text], score: Callable[[Text], object], rounds: int) -> float:
    for text in texts[:20]:
        score(text)  # caches and the model file, before the clock
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        for text in texts:
            score(text)
        timings.append((time.process_time() - started) * 1000 / len(texts))
    return round(statistics.median(timings), 3)


def measure(texts: Sequence[tuple[str, str, str]], rounds: int) -> dict[str, float]:
    prepared = _with_actors(texts)
    learned, cue_model = shipped_learned_model(), shipped_model()
    cue_thresholds = RelevanceThresholds(*CUE_OPERATING_POINT)
    after = _cpu_ms_per_article(prepared, lambda t: score_relevance(*t, learned=learned), rounds)
    before = _cpu_ms_per_article(prepared, lambda t: score_relevance(*t, model=cue_model, thresholds=cue_thresholds),
                                 rounds)
    return {"articles": len(prepared), "learned_cpu_ms": after, "cue_model_cpu_ms": before,
            "ratio_learned_to_cue": round(after / before, 2) if before else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=1000, help="synthetic articles to score")
    args = parser.parse_args()
    from bench.synthetic import synthetic_articles

    figures = {"model_version": shipped_learned_model().version, "rounds": args.rounds}
    try:
        figures["relevance_dev"] = measure([(a.title, a.lead, a.body) for a in dev_articles()], args.rounds)
    except LabelledDataError as error:
        print(f"relevance-dev skipped: {error}")
    synthetic = synthetic_articles(args.synthetic)
    figures["synthetic"] = measure([(a["title"], a.get("lead", ""), a["body"]) for a in synthetic], args.rounds)
    for name in ("relevance_dev", "synthetic"):
        if name in figures:
            part = figures[name]
            print(f"{name:14s} {part['articles']:5d} articles: learned {part['learned_cpu_ms']:.3f} ms CPU/article, "
                  f"cue model {part['cue_model_cpu_ms']:.3f} (x{part['ratio_learned_to_cue']})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
