"""Online story clustering, the pure part: similarity and assignment.

An article joins the story whose members it resembles most, or opens a new one.
Its vector, salient names and years come from workers/story_terms.py; here they
are compared. Text similarity is the cosine of the two vectors. An article's
salient names that the other article never mentions, and years that do not
meet, hold two incidents of one kind apart; conflicting actors, victims and
CVEs damp the score too, and so does distance in time.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import chain, compress

from workers.story_evidence import KIND_WEIGHTS, shared_weight

# workers/stories.py builds a cluster item from both halves and imports these from here.
from workers.story_terms import article_vector as article_vector
from workers.story_terms import mentioned_years as mentioned_years
from workers.story_terms import salient_names as salient_names
from workers.vectors import TermArrays, cosines, renumber_if_large, term_arrays

# Chosen on the ECB+ training topics of ../shared/story-dev (bench/story_dev.py);
# the development topics and a hash split of GVA were kept for checking.
QUERY_TERMS = 12  # the heaviest terms, sent to the engine to find candidate neighbours
NEIGHBOUR_TERMS = 20  # the heaviest terms, used to find neighbours among articles assigned in this run
JOIN_THRESHOLD = 0.13
MERGE_THRESHOLD = 0.3
NAME_MISMATCH_WEIGHT = 0.8
YEAR_CONFLICT_FACTOR = 0.4
WINDOW_DAYS = 10
TIME_SCALE_DAYS = 10.0
# Across languages (chosen on the tune incidents of tests/fixtures/multilingual,
# bench/multilingual.py): shared evidence weight below the floor counts nothing.
EVIDENCE_FLOOR = 1.0
EVIDENCE_SCALE = 4.0
EVIDENCE_YEAR_WEIGHT = 0.2
EVIDENCE_NEIGHBOUR_KEYS = 20  # the strongest keys, used to find other-language neighbours in this run


def item_cosine(a: ClusterItem, b: ClusterItem) -> float:
    """The cosine of two L2-normalised vectors, equal to the last bit to the plain
    sum over the smaller vector's terms, in a fraction of its time:
    the shared terms are found by one set intersection (in C) and added in the
    order that sum adds them, the smaller vector's (the terms it multiplies by
    0.0 add nothing). Story assignment compares each article with about a hundred
    candidates: this was most of its work."""
    if len(a.vector) > len(b.vector):
        a, b = b, a
    shared = a.term_set & b.term_set
    if not shared:
        return 0.0
    first, second = a.vector, b.vector
    if len(shared) <= _FEW_SHARED:
        ordered: Iterable[str] = sorted(shared, key=a.term_rank.__getitem__)
    else:  # many shared terms: filtering the smaller vector in order beats sorting them
        ordered = compress(a.terms, map(shared.__contains__, a.terms))
    return sum([first[term] * second[term] for term in ordered], 0.0)


# Up to this many shared terms, sorting them by rank is cheaper than a pass over a vector.
_FEW_SHARED = 8


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
    names: frozenset[str] = frozenset()
    years: frozenset[str] = frozenset()
    language: str = ""  # "" when unknown: compared by its words, as English
    evidence: frozenset[str] = frozenset()  # language-independent keys (workers.story_evidence)

    @cached_property
    def mentions(self) -> frozenset[str]:
        """Every term the item is known to contain (its top terms and its names)."""
        return self.names | self.vector.keys()

    @cached_property
    def term_set(self) -> frozenset[str]:
        """The vector's terms, hashed once: intersections with it cost a probe per term."""
        return frozenset(self.vector)

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """The vector's terms, heaviest first."""
        return tuple(self.vector)

    @cached_property
    def term_rank(self) -> dict[str, int]:
        """Each term's place in the vector (heaviest first), for ``item_cosine``."""
        return {term: rank for rank, term in enumerate(self.vector)}

    def arrays(self) -> TermArrays:
        """The vector as term arrays (workers.vectors), made once per numbering."""
        made: TermArrays | None = self.__dict__.get("_arrays")
        if made is None or not made.current:
            made = self.__dict__["_arrays"] = term_arrays(self.vector)
        return made



def name_mismatch(a: ClusterItem, b: ClusterItem) -> float:
    """How far each side's salient names are absent from the other: the smaller of
    the two shares, so one article's extra background names do not count."""
    if not a.names or not b.names:
        return 0.0
    missing_in_b = len(a.names - b.mentions) / len(a.names)
    missing_in_a = len(b.names - a.mentions) / len(b.names)
    return min(missing_in_a, missing_in_b)


def similarity(a: ClusterItem, b: ClusterItem) -> float:
    return _similarity(a, b, None)


def _similarity(a: ClusterItem, b: ClusterItem, text_cosine: float | None) -> float:
    """``similarity`` with the text cosine of the two given, if already known."""
    if a.language and b.language and a.language != b.language:
        return _damped(cross_language_evidence(a, b), a, b)
    text = item_cosine(a, b) if text_cosine is None else text_cosine
    return _damped(text * (1 - NAME_MISMATCH_WEIGHT * name_mismatch(a, b)), a, b)


# From this many candidates on, their text cosines are computed together as arrays
# (workers.vectors): below it, the fixed cost of the arrays is more than the loops.
ARRAY_POOL = 24


def text_cosines(item: ClusterItem, others: Sequence[ClusterItem]) -> list[float | None]:
    """The text cosine of ``item`` with each of ``others`` when there are many of
    them (None for each when there are few: ``similarity`` computes them one by one)."""
    if len(others) < ARRAY_POOL:
        return [None] * len(others)
    renumber_if_large()
    return list(cosines(item.arrays(), [other.arrays() for other in others]))


def cross_language_evidence(a: ClusterItem, b: ClusterItem) -> float:
    """How far two reports in different languages share what no translation changes
    (actors, states, victims, malware, CVEs, numbers, days, Latin-script names, years),
    on the scale of the text cosine: a few shared kinds of key are needed before
    it counts, since one week's coverage of one state shares its name and victims."""
    shared = shared_weight(a.evidence, b.evidence) + (EVIDENCE_YEAR_WEIGHT if a.years & b.years else 0.0)
    return min(1.0, max(0.0, shared - EVIDENCE_FLOOR) / EVIDENCE_SCALE)


def _damped(score: float, a: ClusterItem, b: ClusterItem) -> float:
    """The score after the conflicts between the two and their distance in time."""
    # (isdisjoint, not an empty intersection: no set is built for the test)
    years_a, years_b = a.years, b.years
    if years_a and years_b and years_a.isdisjoint(years_b):
        score *= YEAR_CONFLICT_FACTOR
    # Different named victims, actors or CVEs usually mean different incidents.
    if a.victims and b.victims and a.victims.isdisjoint(b.victims):
        score *= 0.55
    if a.actors and b.actors and a.actors.isdisjoint(b.actors):
        score *= 0.6
    if a.cves and b.cves and a.cves.isdisjoint(b.cves):
        score *= 0.8
    days = abs((a.published - b.published).total_seconds()) / 86400
    return score * math.exp(-days / TIME_SCALE_DAYS)


@dataclass
class StoryScore:
    story_id: str
    score: float
    members: int


def story_scores(item: ClusterItem, candidates: Iterable[ClusterItem]) -> list[StoryScore]:
    """Average of the item's best three similarities to each story's members:
    firmer than single-link, which lets one bridging article chain two incidents."""
    by_story: dict[str, list[float]] = {}
    pool = [candidate for candidate in candidates if candidate.story_id and candidate.id != item.id]
    for candidate, text_cosine in zip(pool, text_cosines(item, pool), strict=True):
        by_story.setdefault(str(candidate.story_id), []).append(_similarity(item, candidate, text_cosine))
    scores = []
    for story_id, values in by_story.items():
        best = sorted(values, reverse=True)[:3]
        scores.append(StoryScore(story_id, sum(best) / len(best), len(values)))
    return sorted(scores, key=lambda s: (s.score, s.members, s.story_id), reverse=True)


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
    # Ids, not items, by term: counted in C (Counter over a chain), the look-up of
    # earlier neighbours stays cheap when a batch's articles share many terms.
    _ids_by_term: dict[str, list[str]] = field(default_factory=dict)
    _by_id: dict[str, ClusterItem] = field(default_factory=dict)
    _by_evidence: dict[str, list[ClusterItem]] = field(default_factory=dict)

    def _earlier_candidates(self, item: ClusterItem) -> list[ClusterItem]:
        by_term = self._ids_by_term
        shared = Counter(chain.from_iterable(by_term.get(term, ()) for term in item.terms[:NEIGHBOUR_TERMS]))
        needed = min(2, len(item.vector))
        found = [self._by_id[other_id] for other_id, hits in shared.items()
                 if hits >= needed and other_id != item.id]
        return found + self._other_language_candidates(item, {other.id for other in found})

    def _other_language_candidates(self, item: ClusterItem, seen: set[str]) -> list[ClusterItem]:
        """Earlier items in another language sharing two evidence keys: their words
        would not have met this item's."""
        if not item.language:
            return []
        shared: Counter[str] = Counter()
        known: dict[str, ClusterItem] = {}
        for key in _strongest(item.evidence):
            for other in self._by_evidence.get(key, ()):
                if other.language != item.language and other.id not in seen:
                    shared[other.id] += 1
                    known[other.id] = other
        return [known[other_id] for other_id, hits in shared.items() if hits >= 2 and other_id != item.id]

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
        self._by_id[item.id] = item
        for term in item.terms[:NEIGHBOUR_TERMS]:
            self._ids_by_term.setdefault(term, []).append(item.id)
        if item.language:
            for key in _strongest(item.evidence):
                self._by_evidence.setdefault(key, []).append(item)
        return result


def _strongest(evidence: frozenset[str]) -> list[str]:
    """The item's strongest evidence keys (by kind weight, then key)."""
    return sorted(evidence, key=lambda key: (-KIND_WEIGHTS.get(key[0], 0.0), key))[:EVIDENCE_NEIGHBOUR_KEYS]


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
