"""Story vectors, the pure part: an article's words, their weights and the names
and years that tell one incident from another (workers/clustering.py compares them).

Text similarity is a cosine over TF-IDF weights whose idf comes from a
background word-frequency table (wordfreq), not from the articles seen so far:
an article's vector is then the same whatever arrived before it, which keeps
assignment stable under reordering, and rare names weigh from the first article.

What separates two incidents of one kind (two rehab check-ins, two DUI arrests of
one team's players, two patches from one vendor) is rarely the wording; it is
who and when. Two signals carry that: an article's salient names (capitalised
words it repeats or puts in its headline) and the years it names.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache, lru_cache

from wordfreq import available_languages, zipf_frequency

from workers.lang import has_cjk, spaced

# Chosen on the ECB+ training topics of ../shared/story-dev (bench/story_dev.py);
# the development topics and a hash split of GVA were kept for checking.
TOP_TERMS = 80
TITLE_WEIGHT = 2
# A name this common in the language (Zipf scale: 4.5 is about 30 per million
# words) says little about which incident a report is about.
COMMON_NAME_ZIPF = 4.5

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
