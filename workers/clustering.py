"""Online story clustering, the pure part: article vectors, similarity, assignment.

An article joins the story whose members it resembles most, or opens a new one.
Text similarity is a cosine over TF-IDF weights whose idf comes from a
background word-frequency table (wordfreq), not from the articles seen so far:
an article's vector is then the same whatever arrived before it, which keeps
assignment stable under reordering, and rare names weigh from the first article.

What separates two incidents of one kind (two rehab check-ins, two DUI arrests of
one team's players, two patches from one vendor) is rarely the wording; it is
who and when. Two signals carry that: an article's salient names (capitalised
words it repeats or puts in its headline) that the other article never mentions,
and years that do not meet. Conflicting actors, victims and CVEs damp the score
too, and so does distance in time.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property, lru_cache
from itertools import chain, compress

from wordfreq import available_languages, zipf_frequency

from workers.lang import has_cjk, spaced
from workers.story_evidence import KIND_WEIGHTS, shared_weight
from workers.vectors import TermArrays, cosines, renumber_if_large, term_arrays

# Chosen on the ECB+ training topics of ../shared/story-dev (bench/story_dev.py);
# the development topics and a hash split of GVA were kept for checking.
TOP_TERMS = 80
QUERY_TERMS = 12  # the heaviest terms, sent to the engine to find candidate neighbours
NEIGHBOUR_TERMS = 20  # the heaviest terms, used to find neighbours among articles assigned in this run
JOIN_THRESHOLD = 0.13
MERGE_THRESHOLD = 0.3
NAME_MISMATCH_WEIGHT = 0.8
YEAR_CONFLICT_FACTOR = 0.4
TITLE_WEIGHT = 2
WINDOW_DAYS = 10
TIME_SCALE_DAYS = 10.0
# A name this common in the language (Zipf scale: 4.5 is about 30 per million
# words) says little about which incident a report is about.
COMMON_NAME_ZIPF = 4.5
# Across languages (chosen on the tune incidents of tests/fixtures/multilingual,
# bench/multilingual.py): shared evidence weight below the floor counts nothing.
EVIDENCE_FLOOR = 1.0
EVIDENCE_SCALE = 4.0
EVIDENCE_YEAR_WEIGHT = 0.2
EVIDENCE_NEIGHBOUR_KEYS = 20  # the strongest keys, used to find other-language neighbours in this run

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers him his how i if in into is it its itself just me more most my no
nor not now of off on once only or other our ours out over own same she should so some such than
that the their theirs them then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours said says say told
according new one two three first last week weeks month months year years day days monday tuesday
wednesday thursday friday saturday sunday today yesterday since still however may might must us
mr ms mrs people time including like well even back made make many much way per
""".split())
_TOKEN = re.compile(r"[^\W_](?:[\w'’.\-]*[^\W_])?")
_YEAR = re.compile(r"\b(?:19[5-9]|20[0-4])\d\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")
_EDGE = "`'\"“”‘’.,;:()[]!?"


def _normal(token: str) -> str:
    token = token.lower().replace("’", "'")
    return token[:-2] if token.endswith("'s") else token


def terms(text: str) -> list[str]:
    """Lower-case words and numbers (years tell incidents apart), stop words left out.
    Chinese, Japanese and Korean runs, which have no spaces to split words at, give
    their overlapping character pairs instead (as the engine's ``cjk`` analyser)."""
    if has_cjk(text):
        return _cjk_terms(text)
    if _LOWERED_BY_CONTEXT.search(text):
        found = (_normal(t) for t in _TOKEN.findall(text))
        return [t for t in found if len(t) > 1 and t not in STOPWORDS]
    # Lower-cased once for the whole text: each character then lowers alone, to one
    # character of its own class, so the words and their normal forms are the same.
    lowered = text.lower()
    if "’" in lowered:
        lowered = lowered.replace("’", "'")
    tokens = _TOKEN.findall(lowered)
    if "'s" in lowered:
        tokens = [token[:-2] if token.endswith("'s") else token for token in tokens]
    return [token for token in tokens if len(token) > 1 and token not in STOPWORDS]


# The two characters whose lower case depends on more than themselves: the capital
# sigma (final or not, by its neighbours) and the dotted capital I (two characters).
_LOWERED_BY_CONTEXT = re.compile("[\u03a3\u0130]")


_CJK_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
# Two hiragana are mostly particles and endings ("した", "から"): no topic.
_HIRAGANA_PAIR = re.compile("[\u3040-\u309f]{2}")


def _cjk_terms(text: str) -> list[str]:
    found: list[str] = []
    for token in _TOKEN.findall(spaced(text)):
        if not has_cjk(token):
            token = _normal(token)
            if len(token) > 1 and token not in STOPWORDS:
                found.append(token)
            continue
        for run in _CJK_RUN.findall(token):
            found += [pair for pair in (run[i:i + 2] for i in range(len(run) - 1))
                      if not _HIRAGANA_PAIR.fullmatch(pair)]
    return found


# wordfreq reads Japanese and Korean through MeCab and Chinese through jieba, neither
# of which is installed: their character pairs weigh as words the table does not list.
_CHARACTER_PAIR_LANGUAGES = frozenset({"ja", "ko", "zh"})
_LANGUAGES = frozenset(available_languages()) - _CHARACTER_PAIR_LANGUAGES


@lru_cache(maxsize=200_000)
def background_idf(term: str, language: str = "en") -> float:
    """idf from how common the word is in the language at large, in nats, scaled
    so a word seen once per million words weighs about 1."""
    zipf = zipf_frequency(term, language if language in _LANGUAGES else "en")
    # Zipf = log10(occurrences per billion words); unseen words get the rarest weight.
    return max(0.15, ((9.0 - zipf) * math.log(10) - 6.0) / 3.0) if zipf > 0 else (9.0 * math.log(10) - 6.0) / 3.0


def salient_names(title: str, body: str, language: str = "en") -> frozenset[str]:
    """Capitalised words (not opening a sentence) that the article repeats or puts
    in its headline, as lower-case terms, leaving out common words. In Chinese,
    Japanese and Korean text a name in Latin script is rare enough to count once."""
    seen: Counter[str] = Counter()
    for sentence in _SENTENCE.split(spaced(f"{title}\n{body}")):
        for word in sentence.split()[1:]:  # the first word opens the sentence
            # Most words are lower case: only the others, and those with punctuation
            # in front, are stripped and looked at again.
            first = word[:1]
            if first.isupper() or first in _EDGE:
                word = word.strip(_EDGE)
                if word[:1].isupper():
                    seen[_normal(word)] += 1
    headline = set(terms(title))
    needed = 1 if language in _CHARACTER_PAIR_LANGUAGES else 2
    return frozenset(name for name, count in seen.items()
                     if (count >= needed or name in headline) and len(name) > 1 and name not in STOPWORDS
                     and zipf_frequency(name, language if language in _LANGUAGES else "en") < COMMON_NAME_ZIPF)


def mentioned_years(title: str, body: str) -> frozenset[str]:
    """Every year the article names: reports of two incidents of one kind years
    apart rarely share one, while reports of one incident nearly always do."""
    return frozenset(_YEAR.findall(spaced(f"{title}\n{body}")))


# background_idf's answers by language, read by plain look-up: an article has hundreds
# of distinct words, and a cached call costs several times a dictionary read.
_IDF_TABLE_SIZE = 400_000


@cache
def _idf_table(language: str) -> dict[str, float]:
    return {}


def _heaviest_first(item: tuple[str, float]) -> tuple[float, str]:
    return -item[1], item[0]


def article_vector(title: str, lead: str, body: str, language: str = "en",
                   limit: int = TOP_TERMS) -> dict[str, float]:
    """The article's heaviest TF-IDF terms, L2-normalised, heaviest first.
    Headline words count extra: they say what the story is."""
    counts: Counter[str] = Counter(terms(f"{lead}\n{body}"))
    for term in terms(title):
        counts[term] += TITLE_WEIGHT
    idf = _idf_table(language)
    missing = [term for term in counts if term not in idf]
    if missing:
        if len(idf) > _IDF_TABLE_SIZE:
            idf.clear()
        idf.update((term, background_idf(term, language)) for term in missing)
    weights = {term: (1 + math.log(count)) * idf[term] for term, count in counts.items()}
    best = sorted(weights.items(), key=_heaviest_first)[:limit]
    norm = math.sqrt(sum(value * value for _, value in best)) or 1.0
    return {term: round(value / norm, 5) for term, value in best}


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
