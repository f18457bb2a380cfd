"""Actor resolution, attribution roles and claim types on the hand-written gold set
(tests/fixtures/entity_gold.yml), per split; and enrichment cost in ms/article on
real article texts read from ../shared at run time. The last line is JSON.

The split is fixed by a hash of each item's id: about 70% "tune", 30% "held"
(never used to tune rules). `evaluate(split)` is what bench/quality.py imports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOLD_FILE = ROOT / "tests" / "fixtures" / "entity_gold.yml"
SPLITS = ("tune", "held", "all")


@dataclass(frozen=True)
class GoldItem:
    id: str
    title: str
    text: str
    actors: frozenset[str]
    states: frozenset[str]
    victims: frozenset[str]
    claim: str
    claimant: str | None
    trap: str | None

    @property
    def split(self) -> str:
        return split_of(self.id)


def split_of(item_id: str) -> str:
    bucket = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 10
    return "tune" if bucket < 7 else "held"


@lru_cache(maxsize=1)
def gold_items() -> tuple[GoldItem, ...]:
    import yaml

    document = yaml.safe_load(GOLD_FILE.read_text(encoding="utf-8"))
    return tuple(GoldItem(
        id=str(entry["id"]), title=str(entry.get("title", "")), text=str(entry["text"]),
        actors=frozenset(entry.get("actors", [])), states=frozenset(entry.get("states", [])),
        victims=frozenset(entry.get("victims", [])), claim=str(entry.get("claim", "none")),
        claimant=entry.get("claimant"), trap=entry.get("trap")) for entry in document["items"])


def items_in(split: str) -> list[GoldItem]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return [item for item in gold_items() if split == "all" or item.split == split]


@dataclass(frozen=True)
class Prediction:
    actors: frozenset[str]
    states: frozenset[str]
    victims: frozenset[str]
    claim: str
    claimant: str | None


def predict(item: GoldItem) -> Prediction:
    """The same calls, in the same order, as workers.enrichment.enrich."""
    from coverwatch.models import Article
    from coverwatch.taxonomy import default_taxonomy
    from workers.claims import classify_claim
    from workers.entities import country_mentions, default_matcher, sponsoring_states, victim_countries

    taxonomy, matcher = default_taxonomy(), default_matcher()
    article = Article(url=f"https://gold.invalid/{item.id}", title=item.title or item.text[:60],
                      body=item.text, source="gold")
    text = f"{item.title}\n{article.body}"
    actor_ids = matcher.actor_ids(text)
    countries = country_mentions(text)
    states = sponsoring_states(text, actor_ids, taxonomy, countries)
    victims = victim_countries(text, states, countries)
    claim = classify_claim(item.title, article.body)
    return Prediction(frozenset(actor_ids), frozenset(states), frozenset(victims),
                      claim.type.value if claim else "none", claim.claimant if claim else None)


def _f1(pairs: Iterable[tuple[frozenset[str], frozenset[str]]]) -> dict[str, float]:
    true_pos = false_pos = false_neg = 0
    for predicted, expected in pairs:
        true_pos += len(predicted & expected)
        false_pos += len(predicted - expected)
        false_neg += len(expected - predicted)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"p": round(precision, 3), "r": round(recall, 3), "f1": round(f1, 3)}


def _claimant_matches(predicted: str | None, expected: str) -> bool:
    if not predicted:
        return False
    got, want = predicted.casefold(), expected.casefold()
    if want in got or got in want:
        return True
    # "UK" and "Britain", "Danish authorities" and "Denmark" name the same claimant.
    from workers.entities import country_mentions

    return bool({m.code for m in country_mentions(predicted)} & {m.code for m in country_mentions(expected)})


def scored(split: str) -> Iterator[tuple[GoldItem, Prediction]]:
    for item in items_in(split):
        yield item, predict(item)


def evaluate(split: str) -> dict[str, Any]:
    """Figures for one split ("tune", "held" or "all")."""
    results = list(scored(split))
    actors = _f1((p.actors, g.actors) for g, p in results)
    with_claimant = [(g, p) for g, p in results if g.claimant and p.claim == g.claim]
    return {
        "split": split,
        "items": len(results),
        "actor_p": actors["p"], "actor_r": actors["r"], "actor_f1": actors["f1"],
        "claim_type_accuracy": round(sum(p.claim == g.claim for g, p in results) / max(len(results), 1), 3),
        "claimant_accuracy": round(sum(_claimant_matches(p.claimant, str(g.claimant)) for g, p in with_claimant)
                                   / max(len(with_claimant), 1), 3),
        "attributed_state_f1": _f1((p.states, g.states) for g, p in results)["f1"],
        "victim_country_f1": _f1((p.victims, g.victims) for g, p in results)["f1"],
        "trap_items": sum(1 for g, _ in results if g.trap),
        "trap_false_positives": sum(len(p.actors - g.actors) for g, p in results if g.trap),
    }


def mistakes(split: str) -> list[str]:
    """One line per wrong field, for reading while tuning (on the tune split only)."""
    lines = []
    for gold, got in scored(split):
        for field in ("actors", "states", "victims", "claim"):
            want, have = getattr(gold, field), getattr(got, field)
            if want != have:
                lines.append(f"{gold.id} {field}: want {sorted(want) if field != 'claim' else want} "
                             f"got {sorted(have) if field != 'claim' else have} | {gold.text[:90]}")
        if gold.claimant and got.claim == gold.claim and not _claimant_matches(got.claimant, gold.claimant):
            lines.append(f"{gold.id} claimant: want {gold.claimant!r} got {got.claimant!r}")
    return lines


def _shared_dir() -> Path:
    return Path(os.environ.get("COVERWATCH_SHARED_DIR", ROOT.parent / "shared"))


def enrichment_ms_per_article(limit: int = 300, rounds: int = 3) -> tuple[int, float, float]:
    """Median over rounds of the time of actors, countries, states, victims, claims
    (the calls this file's code owns), on real articles from the shared sets: texts
    read, wall-clock ms/article and this process's CPU ms/article (on a machine
    shared with other jobs the wall clock also counts their turns)."""
    from coverwatch.taxonomy import default_taxonomy
    from workers.claims import classify_claim
    from workers.entities import country_mentions, default_matcher, sponsoring_states, victim_countries
    from workers.phrases import forget_texts

    texts: list[tuple[str, str]] = []
    for name in ("relevance-dev/articles.jsonl", "story-dev/gva/articles.jsonl"):
        path = _shared_dir() / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if len(texts) >= limit:
                    break
                record = json.loads(line)
                texts.append((str(record.get("title", "")), str(record.get("body", ""))))
    taxonomy, matcher = default_taxonomy(), default_matcher()
    matcher.actor_ids("warm up APT28")
    timings: list[float] = []
    cpu_timings: list[float] = []
    for _ in range(rounds):
        forget_texts()  # each round reads the texts afresh, as the pipeline meets each article once
        started, cpu_started = time.perf_counter(), time.process_time()
        for title, body in texts:
            # A new string per round, so the per-text caches do not turn rounds 2+ into look-ups.
            text = f"{title}\n{body}\n{len(timings)}"
            actor_ids = matcher.actor_ids(text)
            countries = country_mentions(text)
            states = sponsoring_states(text, actor_ids, taxonomy, countries)
            victim_countries(text, states, countries)
            classify_claim(title, f"{body}\n{len(timings)}")
        timings.append((time.perf_counter() - started) * 1000 / max(len(texts), 1))
        cpu_timings.append((time.process_time() - cpu_started) * 1000 / max(len(texts), 1))
    return len(texts), sorted(timings)[rounds // 2], sorted(cpu_timings)[rounds // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mistakes", action="store_true", help="list the tune split's errors")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    if args.mistakes:
        print("\n".join(mistakes("tune")))
    summary: dict[str, Any] = {}
    for split in ("tune", "held"):
        figures = evaluate(split)
        print(" ".join(f"{key}={value}" for key, value in figures.items()))
        summary.update({f"{split}_{key}": value for key, value in figures.items() if key != "split"})
    if not args.no_timing:
        count, ms, cpu_ms = enrichment_ms_per_article()
        print(f"entities+claims: {ms:.3f} ms/article ({cpu_ms:.3f} ms of CPU) over {count} real articles")
        summary["entities_ms_per_article"] = round(ms, 3)
        summary["entities_cpu_ms_per_article"] = round(cpu_ms, 3)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
