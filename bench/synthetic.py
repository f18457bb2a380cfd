"""Synthetic espionage-news articles for benchmarks: varied, unique, with a
share of syndicated copies, generated from a seed so runs are comparable."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

ACTORS = ["APT28", "Fancy Bear", "APT29", "Cozy Bear", "Turla", "Sandworm", "Volt Typhoon",
          "Lazarus Group", "Kimsuky", "APT41", "Charming Kitten", "MuddyWater", "Salt Typhoon"]
VICTIMS = ["defence ministry", "foreign ministry", "water utility", "telecom operator",
           "energy grid operator", "aerospace contractor", "parliament", "election commission"]
COUNTRIES = ["Denmark", "Poland", "Latvia", "Germany", "the United States", "Japan", "Ukraine",
             "Taiwan", "the United Kingdom", "Norway", "Israel", "South Korea"]
VERBS = ["breached", "spied on", "held access to", "targeted", "compromised", "infiltrated"]
FILLER = tuple(
    "officials said investigators found implants on servers and the intruders moved "
    "laterally through contractor accounts while analysts reviewed logs and allies shared "
    "indicators with national response teams after the ministry confirmed the incident".split(" ")
)


def synthetic_articles(count: int, seed: int = 7, duplicate_share: float = 0.05) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    articles: list[dict[str, Any]] = []
    for number in range(count):
        if articles and rng.random() < duplicate_share:
            original = rng.choice(articles)
            articles.append({**original, "url": f"https://reprints.example.com/{number}",
                             "source": "reprint-desk"})
            continue
        actor, victim, country = rng.choice(ACTORS), rng.choice(VICTIMS), rng.choice(COUNTRIES)
        sentences = [f"{actor} {rng.choice(VERBS)} the {victim} of {country}, case {number}."]
        for _ in range(rng.randint(6, 12)):
            sentences.append(" ".join(rng.choices(FILLER, k=rng.randint(10, 22))).capitalize() + ".")
        articles.append({
            "url": f"https://outlet{number % 40}.example.com/news/{number}",
            "title": f"{actor} {rng.choice(VERBS)} {country}'s {victim} (report {number})",
            "body": " ".join(sentences),
            "source": f"outlet-{number % 40}",
            "published_at": (start + timedelta(minutes=number)).isoformat(),
            "language": "en",
        })
    return articles
