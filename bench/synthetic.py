"""Synthetic espionage-news articles for throughput benchmarks.

Realistic in the ways that cost time: a large vocabulary with a Zipf-like word
distribution, events covered by several outlets, actor aliases and countries
in the text, and a share of reprints. Deterministic for a seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

SYLLABLES = ("ka", "lo", "mi", "ren", "sa", "tor", "vel", "dun", "ar", "est", "ion", "pra", "qu", "bri",
             "cor", "dal", "fen", "gra", "hol", "jun", "kel", "lun", "mor", "nar", "ost", "pel", "rat", "sim")
ACTORS = ("APT28", "Fancy Bear", "APT29", "Cozy Bear", "Turla", "Sandworm", "Volt Typhoon", "Lazarus Group",
          "Kimsuky", "APT41", "Charming Kitten", "MuddyWater", "Salt Typhoon", "Mustang Panda", "APT40")
COUNTRIES = ("Denmark", "Poland", "Latvia", "Germany", "Japan", "Ukraine", "Taiwan", "Norway", "Israel",
             "South Korea", "Italy", "Spain", "Canada", "Australia", "France", "Estonia")
THREAT_WORDS = ("hackers", "espionage", "intrusion", "breach", "malware", "backdoor", "state-sponsored",
                "intelligence", "attributed", "campaign", "phishing", "investigators", "officials")


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic_articles(count: int, seed: int = 7, duplicate_share: float = 0.05,
                       articles_per_event: int = 6) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, 8000)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for number in range(max(count // articles_per_event, 1)):
        events.append({"actor": rng.choice(ACTORS), "country": rng.choice(COUNTRIES),
                       "words": rng.sample(vocabulary[2000:], 15), "start": start + timedelta(hours=number * 3)})
    articles: list[dict[str, Any]] = []
    for number in range(count):
        if articles and rng.random() < duplicate_share:
            original = rng.choice(articles)
            body = original["body"].replace(" said ", " told reporters ", 1)
            articles.append({**original, "url": f"https://reprints.example.com/{number}", "body": body,
                             "source": "reprint-desk"})
            continue
        event = rng.choice(events)
        sentences = [f"{event['actor']} hackers breached a ministry in {event['country']}, officials said."]
        for _ in range(rng.randint(8, 14)):
            words = rng.choices(vocabulary, weights=weights, k=rng.randint(9, 16))
            words += [*rng.sample(event["words"], 3), rng.choice(THREAT_WORDS)]
            rng.shuffle(words)
            sentences.append(" ".join(words).capitalize() + ".")
        articles.append({
            "url": f"https://outlet{number % 40}.example.com/news/{number}",
            "title": f"{event['actor']} {' '.join(event['words'][:3])} in {event['country']} (report {number})",
            "body": " ".join(sentences),
            "source": f"outlet-{number % 40}",
            "published_at": (event["start"] + timedelta(minutes=rng.randint(0, 2880))).isoformat(),
            "language": "en",
        })
    return articles
