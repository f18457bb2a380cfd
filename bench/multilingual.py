"""Coverage beyond English, on our own corpus (tests/fixtures/multilingual/corpus.yml:
invented incidents, each reported in English and in Japanese, German, Chinese,
Korean or Russian, plus unrelated same-week articles in each language).

Every article goes through the pipeline's own pure stages: ``enrich`` (language,
actors, states, victims, claim, relevance), ``vectorise`` and the online
assignment of ``workers.clustering``, in publication order. Figures:

- cross-language linking: pairwise precision and recall of "same story" over
  pairs of articles in different languages, beside the baseline of text
  similarity alone (what every article got before languages were read);
- relevance precision and recall per language (on-topic band against the label).

Split: by a hash of the incident id (a distractor by its own id); the "held"
incidents were never looked at while choosing vocabulary or the evidence
weights. As a script: the figures, then one JSON line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dev_sets import hash_percent  # noqa: E402
from coverwatch.models import Article, parse_timestamp  # noqa: E402
from coverwatch.taxonomy import default_taxonomy  # noqa: E402
from workers.clustering import ClusterItem, OnlineClusterer  # noqa: E402
from workers.enrichment import enrich  # noqa: E402
from workers.entities import default_matcher  # noqa: E402
from workers.relevance import score_relevance  # noqa: E402
from workers.stories import item_from_article, vectorise  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "multilingual" / "corpus.yml"
HELD_PERCENT = 35  # share of incidents kept back from tuning
Record = dict[str, Any]


def load(path: Path = CORPUS) -> list[Record]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["articles"])


def split_of(record: Record) -> str:
    return "held" if hash_percent(str(record["incident"] or record["id"])) < HELD_PERCENT else "tune"


def enriched(record: Record) -> Article:
    """The article as the enrich and cluster stages leave it. The declared language
    is not given: the enrich stage has to find it, as for a source that says "en"."""
    article = Article(url=f"https://multilingual.invalid/{record['id']}", title=record["title"],
                      body=record["body"], source=f"outlet-{record['language']}",
                      published_at=parse_timestamp(str(record["published"]).replace(" ", "T")))
    enrich(article, default_taxonomy(), default_matcher())
    vectorise([article])
    return article


def stories(items: Sequence[ClusterItem]) -> dict[str, str]:
    clusterer = OnlineClusterer()
    return {item.id: clusterer.assign(item, []).story_id
            for item in sorted(items, key=lambda item: (item.published, item.id))}


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def linking(records: Sequence[Record], predicted: dict[str, str]) -> dict[str, float]:
    """Pairwise precision and recall of "same story" over pairs in different languages."""
    true_pairs = predicted_pairs = both = 0
    for a, b in combinations(records, 2):
        if a["language"] == b["language"]:
            continue
        same = a["incident"] is not None and a["incident"] == b["incident"]
        joined = predicted[a["id"]] == predicted[b["id"]]
        true_pairs += same
        predicted_pairs += joined
        both += same and joined
    precision, recall = _ratio(both, predicted_pairs), _ratio(both, true_pairs)
    f1 = round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0
    return {"pairs": true_pairs, "precision": precision, "recall": recall, "f1": f1}


def english_reading(record: Record) -> bool:
    """Whether the article is on topic read as English, as every article was before
    languages were profiled (actors found by their Latin-script names only)."""
    text = f"{record['title']}\n{record['body']}"
    taxonomy = default_taxonomy()
    actors = [taxonomy.by_id[actor_id] for actor_id in default_matcher().actor_ids(text)
              if any(alias.isascii() and alias.casefold() in text.casefold()
                     for alias in taxonomy.by_id[actor_id].names)]
    return score_relevance(record["title"], "", record["body"], actors).on_topic


def _precision_recall(records: Sequence[Record], kept: Iterable[bool]) -> tuple[float, float]:
    chosen = [record for record, keep in zip(records, kept, strict=True) if keep]
    right = sum(1 for record in chosen if record["on_topic"])
    return _ratio(right, len(chosen)), _ratio(right, sum(1 for record in records if record["on_topic"]))


def relevance(records: Sequence[Record], articles: dict[str, Article],
              english: dict[str, bool]) -> dict[str, dict[str, float]]:
    by_language: dict[str, dict[str, float]] = {}
    for language in sorted({record["language"] for record in records}):
        chosen = [r for r in records if r["language"] == language]
        precision, recall = _precision_recall(chosen, (bool(articles[r["id"]].on_topic) for r in chosen))
        before_precision, before_recall = _precision_recall(chosen, (english[r["id"]] for r in chosen))
        by_language[language] = {
            "items": len(chosen), "precision": precision, "recall": recall,
            "english_only_precision": before_precision, "english_only_recall": before_recall,
            "language_detected": _ratio(sum(1 for r in chosen if articles[r["id"]].language == language),
                                        len(chosen))}
    return by_language


def _in_split(records: Iterable[Record], split: str) -> list[Record]:
    return [record for record in records if split == "all" or split_of(record) == split]


def evaluate() -> dict[str, Any]:
    records = load()
    articles = {record["id"]: enriched(record) for record in records}
    english = {record["id"]: english_reading(record) for record in records}
    items = [replace(item_from_article(articles[r["id"]]), id=r["id"]) for r in records]
    predicted = stories(items)
    # Before: every article compared by its words, whatever its language.
    baseline = stories([replace(item, language="", story_id=None) for item in items])
    figures: dict[str, Any] = {}
    for split in ("tune", "held", "all"):
        chosen = _in_split(records, split)
        figures[split] = {"linking": linking(chosen, predicted), "linking_text_only": linking(chosen, baseline),
                          "relevance": relevance(chosen, articles, english),
                          "incidents": len({r["incident"] for r in chosen if r["incident"]})}
    return figures


def main() -> None:
    figures = evaluate()
    for split in ("tune", "held", "all"):
        part = figures[split]
        link, text = part["linking"], part["linking_text_only"]
        print(f"{split:5} incidents {part['incidents']:2}  cross-language pairs {link['pairs']:3}  "
              f"P {link['precision']:.3f} R {link['recall']:.3f} F1 {link['f1']:.3f}   "
              f"(text only: P {text['precision']:.3f} R {text['recall']:.3f})")
        for language, scores in part["relevance"].items():
            print(f"      relevance {language}  items {scores['items']:2}  P {scores['precision']:.3f} "
                  f"R {scores['recall']:.3f}  (English cues only: P {scores['english_only_precision']:.3f} "
                  f"R {scores['english_only_recall']:.3f})  language found {scores['language_detected']:.2f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
