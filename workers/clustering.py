"""Online story clustering, the pure part: term vectors, similarity, assignment.

An article joins the story whose recent members it resembles most, or opens a
new one. Similarity mixes text (TF-IDF cosine over each article's top terms),
shared entities (actors, victims, malware, CVEs) and time; two reports that
name different victims or different actors are held apart even when their
wording is alike, which is what separates two incidents of one topic.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from workers.dedupe import normalise_body

TOP_TERMS = 40
QUERY_TERMS = 12  # the heaviest terms, sent to the engine to find candidate neighbours
NEIGHBOUR_TERMS = 20  # the heaviest terms, used to find neighbours among articles assigned in this run
JOIN_THRESHOLD = 0.32
MERGE_THRESHOLD = 0.45
WINDOW_DAYS = 10
TIME_SCALE_DAYS = 10.0

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most my no
nor not now of off on once only or other our ours out over own same she should so some such than
that the their theirs them then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours said says say told
according new one two three first last week weeks month months year years day days monday tuesday
wednesday thursday friday saturday sunday today yesterday since still however may might must us
mr ms people time including including like well even back made make many much way since per
""".split())
_TOKEN = re.compile(r"[a-z0-9][a-z0-9\-]{1,}")


def terms(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(normalise_body(text)) if t not in STOPWORDS and not t.isdigit()]


def term_counts(title: str, lead: str, body: str) -> Counter[str]:
    """Title and lead words count extra: they say what the story is."""
    counts: Counter[str] = Counter(terms(body))
    for term in terms(f"{title} {lead}"):
        counts[term] += 2
    return counts


def idf(document_frequency: int, documents: int) -> float:
    return math.log((documents + 1) / (document_frequency + 1)) + 1.0


def top_terms(counts: Mapping[str, int], frequencies: Mapping[str, int], documents: int,
              limit: int = TOP_TERMS) -> dict[str, float]:
    """The article's heaviest TF-IDF terms, L2-normalised."""
    weights = {term: (1 + math.log(count)) * idf(frequencies.get(term, 0), documents)
               for term, count in counts.items()}
    best = dict(sorted(weights.items(), key=lambda item: item[1], reverse=True)[:limit])
    norm = math.sqrt(sum(value * value for value in best.values())) or 1.0
    return {term: value / norm for term, value in best.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(term, 0.0) for term, weight in a.items())


@dataclass
class ClusterItem:
    """What clustering needs to know of an article."""

    id: str
    vector: dict[str, float]
    published: datetime
    actors: frozenset[str] = frozenset()
    victims: frozenset[str] = frozenset()
    malware: frozenset[str] = frozenset()
    cves: frozenset[str] = frozenset()
    story_id: str | None = None
    source: str = ""


def _overlap(a: frozenset[str], b: frozenset[str]) -> float | None:
    if not a or not b:
        return None
    return len(a & b) / len(a | b)


def similarity(a: ClusterItem, b: ClusterItem) -> float:
    text = cosine(a.vector, b.vector)
    overlaps = [value for value in (_overlap(a.actors, b.actors), _overlap(a.victims, b.victims),
                                    _overlap(a.malware, b.malware), _overlap(a.cves, b.cves))
                if value is not None]
    entity = sum(overlaps) / len(overlaps) if overlaps else text
    score = 0.7 * text + 0.3 * entity
    # Different named victims or different actors usually mean different incidents.
    if a.victims and b.victims and not (a.victims & b.victims):
        score *= 0.55
    if a.actors and b.actors and not (a.actors & b.actors):
        score *= 0.6
    if a.cves and b.cves and not (a.cves & b.cves):
        score *= 0.8
    days = abs((a.published - b.published).total_seconds()) / 86400
    return score * math.exp(-days / TIME_SCALE_DAYS)


@dataclass
class StoryScore:
    story_id: str
    score: float
    members: int


def story_scores(item: ClusterItem, candidates: Sequence[ClusterItem]) -> list[StoryScore]:
    """Average of the item's best three similarities to each story's members:
    firmer than single-link, which lets one bridging article chain two incidents."""
    by_story: dict[str, list[float]] = {}
    for candidate in candidates:
        if candidate.story_id and candidate.id != item.id:
            by_story.setdefault(candidate.story_id, []).append(similarity(item, candidate))
    scores = []
    for story_id, values in by_story.items():
        best = sorted(values, reverse=True)[:3]
        scores.append(StoryScore(story_id, sum(best) / len(best), len(values)))
    return sorted(scores, key=lambda s: (s.score, s.members), reverse=True)


def new_story_id(article_id: str) -> str:
    """A story is named after the article that opened it, so a retried
    assignment opens the same story rather than a second one."""
    return "s" + hashlib.sha1(article_id.encode()).hexdigest()[:19]


@dataclass
class Assignment:
    article_id: str
    story_id: str
    opened: bool
    score: float = 0.0


@dataclass
class OnlineClusterer:
    """Assign items one at a time; items assigned earlier in the same run are
    candidates for later ones, so one batch can build a story on its own. Earlier
    items are found through their top terms, so a run stays near-linear."""

    threshold: float = JOIN_THRESHOLD
    assigned: list[ClusterItem] = field(default_factory=list)
    _by_term: dict[str, list[ClusterItem]] = field(default_factory=dict)

    def _earlier_candidates(self, item: ClusterItem) -> list[ClusterItem]:
        shared: Counter[str] = Counter()
        known: dict[str, ClusterItem] = {}
        for term in list(item.vector)[:NEIGHBOUR_TERMS]:
            for other in self._by_term.get(term, ()):
                shared[other.id] += 1
                known[other.id] = other
        needed = min(2, len(item.vector))
        return [known[other_id] for other_id, hits in shared.items() if hits >= needed and other_id != item.id]

    def assign(self, item: ClusterItem, candidates: Sequence[ClusterItem]) -> Assignment:
        seen = {candidate.id for candidate in candidates}
        pool = [*candidates, *(a for a in self._earlier_candidates(item) if a.id not in seen)]
        ranked = story_scores(item, pool)
        if ranked and ranked[0].score >= self.threshold:
            item.story_id = ranked[0].story_id
            result = Assignment(item.id, ranked[0].story_id, False, ranked[0].score)
        else:
            item.story_id = new_story_id(item.id)
            result = Assignment(item.id, item.story_id, True, ranked[0].score if ranked else 0.0)
        self.assigned.append(item)
        for term in list(item.vector)[:NEIGHBOUR_TERMS]:
            self._by_term.setdefault(term, []).append(item)
        return result


def stories_to_merge(stories: Mapping[str, Sequence[ClusterItem]],
                     threshold: float = MERGE_THRESHOLD) -> list[tuple[str, str]]:
    """Pairs (absorbed, kept) of stories that have converged: their members are,
    on average, as alike as one story's. The larger story keeps its id."""
    ids = sorted(stories, key=lambda s: (-len(stories[s]), s))
    absorbed: set[str] = set()
    merges: list[tuple[str, str]] = []
    for position, kept in enumerate(ids):
        if kept in absorbed:
            continue
        for other in ids[position + 1:]:
            if other in absorbed:
                continue
            pairs = [similarity(a, b) for a in stories[kept] for b in stories[other]]
            if pairs and sum(sorted(pairs, reverse=True)[:3]) / min(len(pairs), 3) >= threshold \
                    and sum(pairs) / len(pairs) >= threshold * 0.6:
                merges.append((other, kept))
                absorbed.add(other)
    return merges
