"""Language-independent evidence of what an article is about, for linking
coverage of one incident across languages: the words of an English and a
Japanese report hardly meet, but the actor, the accused state, the victim
country, the malware, the CVE, the numbers, the dates and the names written in
Latin script do. Pure; each key is ``kind:value``.

Kinds: ``a`` actor (taxonomy id), ``s`` attributed state, ``v`` victim country,
``m`` malware, ``c`` CVE, ``n`` a number of 10 or more (written as digits,
"5,000", "5.000", "3万", "2.5 million" all meet), ``d`` a day of a month, ``w`` a
name in Latin script (in English and German only capitalised, uncommon words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from wordfreq import zipf_frequency

from workers.lang import profile, spaced

# How much one shared key of each kind says that two reports are of one incident.
KIND_WEIGHTS = {"a": 1.0, "m": 1.0, "c": 1.2, "w": 0.6, "n": 0.5, "d": 0.6, "s": 0.3, "v": 0.4}
MAX_NAMES = 30
# Names this common in English (Zipf 4.5: about 30 per million words) are not names.
COMMON_ZIPF = 4.5
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_NAMES = tuple(month.capitalize() for month in _MONTHS)
_MONTH = "|".join(_MONTH_NAMES)
_ENGLISH_DAY = re.compile(rf"\b(?:({_MONTH})\.?\s+(\d{{1,2}})\b|(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\b)")
_ENGLISH_MULTIPLIERS = ((re.compile(r"\s*(?:million|mn)\b", re.IGNORECASE), 1_000_000),
                        (re.compile(r"\s*billion\b", re.IGNORECASE), 1_000_000_000),
                        (re.compile(r"\s*thousand\b", re.IGNORECASE), 1_000))
# Digits with thousands separators (",", ".", a space, or none), or with a decimal part.
# (The first digit before the look back, as in _CAPITALISED_NAME: searched far faster.)
_NUMBER = re.compile(r"(\d(?<![\w.,\-]\d)(?:\d{0,2}(?:[,.\u00a0 ]\d{3})+|\d*(?:[.,]\d{1,2})?))(?![\w\-]|[.,]\d)")
_YEAR = re.compile(r"(?:19[5-9]|20[0-4])\d")
# A month, day, year or hour written after the number in CJK ("11月18日"): a date, not a count.
_CALENDAR_UNIT = re.compile(r"\s?[月日年時时分월일년시]")
_LATIN_NAME = re.compile(r"(?<![\w\-])[A-Za-z][A-Za-z0-9]*(?:[\-.][A-Za-z0-9]+)*(?![\w\-])")
# In Latin-script text only capitalised words can be names: looking for those alone
# passes over most words in the regex engine.
# (The capital first, then the look back: a pattern that starts with a character class
# is searched for far faster than one that starts with a look-behind.)
_CAPITALISED_NAME = re.compile(r"[A-Z](?<![\w\-].)[A-Za-z0-9]*(?:[\-.][A-Za-z0-9]+)*(?![\w\-])")


def _number_value(digits: str) -> float:
    """"5,000", "5.000" and "5 000" are thousands; "2.5" and "2,5" decimals."""
    if re.fullmatch(r"\d{1,3}(?:[,.\u00a0 ]\d{3})+", digits):
        return float(re.sub(r"\D", "", digits))
    return float(digits.replace(",", "."))


def numbers(text: str, language: str = "en") -> set[str]:
    """Numbers of 10 or more, times the multiplier written after them ("3万",
    "2,5 Millionen", "2.5 million"); years are left to the year signal."""
    native = profile(language)
    multipliers = native.multipliers if native else _ENGLISH_MULTIPLIERS
    found: set[str] = set()
    text = spaced(text)
    for match in _NUMBER.finditer(text):
        if _CALENDAR_UNIT.match(text, match.end()):
            continue
        value = _number_value(match.group(1))
        for pattern, factor in multipliers:
            if pattern.match(text, match.end()):
                value *= factor
                break
        else:
            if _YEAR.fullmatch(match.group(1)):
                continue
        if value >= 10 and value == int(value):
            found.add(f"n:{int(value)}")
    return found


def days(text: str, language: str = "en") -> set[str]:
    """Days of a month, as "d:MM-DD"."""
    found: set[str] = set()
    native = profile(language)
    if native is None:
        if not any(month in text for month in _MONTH_NAMES):  # most texts name no day: skip the pattern
            return found
        for match in _ENGLISH_DAY.finditer(text):
            month = match.group(1) or match.group(4)
            day = match.group(2) or match.group(3)
            found.add(f"d:{_MONTHS.index(month.lower()) + 1:02d}-{int(day):02d}")
        return found
    if native.day_month is None:
        return found
    for match in native.day_month.finditer(text):
        if native.months:
            month_number = next((index for index, month in enumerate(native.months, start=1)
                                 if month.fullmatch(match.group(2))), 0)
            day = int(match.group(1))
        else:
            month_number, day = int(match.group(1)), int(match.group(2))
        if 1 <= month_number <= 12 and 1 <= day <= 31:
            found.add(f"d:{month_number:02d}-{day:02d}")
    return found


@lru_cache(maxsize=65536)
def _common(word: str) -> bool:
    return zipf_frequency(word, "en") >= COMMON_ZIPF


def _opens_sentence(text: str, start: int) -> bool:
    before = text[max(start - 4, 0):start].rstrip(" \t\"'\u201c\u2018(")
    return not before or before[-1] in ".!?:\n\u3002"


def latin_names(text: str, language: str = "en") -> set[str]:
    """Names in Latin script. In text of another script every Latin word is one;
    in English and German only capitalised words that do not open a sentence (German
    capitalises every noun, but its nouns meet no English word)."""
    latin_script = language in ("en", "de") or profile(language) is None
    found: dict[str, None] = {}
    text = spaced(text)
    for match in (_CAPITALISED_NAME if latin_script else _LATIN_NAME).finditer(text):
        word = match.group(0)
        if len(word) < 3 and not any(char.isdigit() for char in word):
            continue
        if latin_script and _opens_sentence(text, match.start()):
            continue
        key = word.casefold()
        if _common(key):
            continue
        found.setdefault(f"w:{key}", None)
        if len(found) >= MAX_NAMES:
            break
    return set(found)


def evidence_keys(title: str, lead: str, body: str, language: str, *, actors: Iterable[str] = (),
                  states: Iterable[str] = (), victims: Iterable[str] = (), malware: Iterable[str] = (),
                  cves: Iterable[str] = (), actor_aliases: Iterable[str] = ()) -> list[str]:
    """Every key of the article, sorted, strongest kinds first. A Latin-script name
    that is one of its actors' aliases, its malware or a CVE is left out of the
    names: it is counted once, as what it is."""
    text = f"{title}\n{lead}\n{body}"
    malware_keys = {name.casefold() for name in malware}
    counted = {f"w:{name}" for name in (*malware_keys, *(alias.casefold() for alias in actor_aliases))}
    names = {key for key in latin_names(text, language) if key not in counted and not key.startswith("w:cve-")}
    keys = {*(f"a:{actor}" for actor in actors), *(f"s:{state}" for state in states),
            *(f"v:{victim}" for victim in victims), *(f"m:{name}" for name in malware_keys),
            *(f"c:{cve.upper()}" for cve in cves), *numbers(text, language), *days(text, language), *names}
    return sorted(keys, key=lambda key: (-KIND_WEIGHTS.get(key[0], 0.0), key))


def shared_weight(a: Iterable[str], b: frozenset[str]) -> float:
    return sum(KIND_WEIGHTS.get(key[0], 0.0) for key in a if key in b)
