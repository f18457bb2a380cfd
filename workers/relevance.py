"""How much an article is about state-sponsored cyber espionage, and why.

A transparent additive score over evidence an analyst would recognise: named
threat actors, espionage and intrusion vocabulary, attribution language and
official responses; cybercrime-only vocabulary pulls it down. The score is
``1 - exp(-weight)``, so evidence adds up but saturates below 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

ON_TOPIC_THRESHOLD = 0.5

SIGNALS: tuple[tuple[str, float, re.Pattern[str]], ...] = tuple(
    (name, weight, re.compile(pattern, re.IGNORECASE)) for name, weight, pattern in (
        ("espionage", 0.9, r"\b(?:cyber[- ]?espionage|espionage|spying|spied|spies|spy)\b"),
        ("state-actor", 1.0, r"\b(?:state[- ]sponsored|state[- ]backed|nation[- ]state|"
                             r"government[- ]backed|military intelligence|intelligence (?:service|unit|agency)|"
                             r"foreign agents?)\b"),
        ("agency", 0.8, r"\b(?:FSB|GRU|SVR|MSS|IRGC|MOIS|PLA Unit|Reconnaissance General Bureau)\b"),
        ("apt", 0.8, r"\b(?:APT\s?\d+|advanced persistent threat|threat actor|hacking (?:group|unit))\b"),
        ("intrusion", 0.5, r"\b(?:intrusions?|breach\w*|hack\w*|compromis\w+|infiltrat\w+|"
                           r"exfiltrat\w+|implant|backdoor|malware|wiper|phishing|zero-day|exploit\w*)\b"),
        ("attribution", 0.6, r"\b(?:attribut\w+|blamed|accused|linked to|tied to|responsible for)\b"),
        ("response", 0.4, r"\b(?:sanction\w*|indict\w*|summoned|joint advisory|advisory|condemn\w*|"
                          r"expelled|takedown|disrupted)\b"),
    ))
CRIME_ONLY = re.compile(r"\b(?:ransomware gang|financially motivated|cybercriminals?|criminal group|"
                        r"extortion|leak site)\b", re.IGNORECASE)
ACTOR_WEIGHT = 1.5


@dataclass(frozen=True)
class Relevance:
    score: float
    on_topic: bool
    evidence: list[str] = field(default_factory=list)


def score_relevance(title: str, body: str, actor_names: Sequence[str],
                    attributed_states: Sequence[str]) -> Relevance:
    text = f"{title}\n{body}"
    weight = 0.0
    evidence: list[str] = []
    if actor_names:
        weight += ACTOR_WEIGHT + 0.3 * (len(actor_names) - 1)
        evidence.append("actors: " + ", ".join(actor_names))
    if attributed_states:
        weight += 0.5
        evidence.append("attributed to: " + ", ".join(attributed_states))
    for name, signal_weight, pattern in SIGNALS:
        hits = pattern.findall(text)
        if hits:
            # The title counts double: it says what the article is about.
            in_title = bool(pattern.search(title))
            weight += signal_weight * (min(len(hits), 3) / 3 + (0.5 if in_title else 0))
            evidence.append(f"{name}: {', '.join(dict.fromkeys(h.lower() for h in hits[:4]))}")
    if CRIME_ONLY.search(text) and not actor_names and not attributed_states:
        weight *= 0.35
        evidence.append("criminal, not state, activity")
    score = round(1 - math.exp(-weight), 3)
    return Relevance(score, score >= ON_TOPIC_THRESHOLD, evidence)
