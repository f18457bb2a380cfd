"""Languages beyond English: one profile per language, read from ``<code>.yml``
beside this module (vocabulary and patterns are data, not code), plus the text
handling every stage needs for them: which language a text is in, where its
sentences end, and where Latin-script names sit inside Chinese or Japanese text.

English keeps its own hand-tuned patterns in the stage modules; a profile exists
only for the other languages, and ``profile("en")`` is None.

Scripts: ``cjk`` (Japanese, Chinese, Korean) patterns match without word
boundaries, because words are not separated (Korean writes particles onto the
noun); ``latin`` and ``cyrillic`` patterns match whole words, ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from workers.claim_types import VENDORS
from workers.phrases import split_sentences as english_sentences

HERE = Path(__file__).parent
LANGUAGES = ("ja", "zh", "ko", "de", "ru")
ACCUSED_STATES = ("RU", "CN", "KP", "IR")  # states whose denials the claim stage reports

# Han, kana, hangul and the CJK punctuation and full-width forms between them.
_CJK_CHAR = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_CHAR}]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
# A CJK character touching a Latin letter or digit: Japanese and Chinese write
# "集団APT28が" with no space, so word-boundary patterns would never see "APT28".
_SCRIPT_SEAM = re.compile(f"(?<=[{_CJK_CHAR}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[{_CJK_CHAR}])")
_CJK_SENTENCE_END = re.compile(r"(?<=[。！？])\s*|(?<=[.!?])\s+")
# A period after a digit is a German ordinal ("3. März"), not a sentence end.
_SENTENCE_END = re.compile(r"(?<=\D[.!?])[\"'»”“)]?\s+(?=[\"'„«“(]?[A-ZÄÖÜА-ЯЁ0-9])")
_GERMAN_WORDS = frozenset("der die das und nicht ist mit von den dem des ein eine einer sich auch auf für wurde "
                          "wurden sind bei nach im zu als gegen wird werden hat haben war".split())
_GERMAN_LETTERS = re.compile("[äöüß]")
_ENGLISH_WORDS = frozenset("the and of to is was in for that with on by from has have were are it".split())
_WORDS = re.compile(r"[^\W\d_]+")


def has_cjk(text: str) -> bool:
    # Plain ASCII, most English text, is told apart in C without the pattern.
    return not text.isascii() and _CJK.search(text) is not None


def spaced(text: str) -> str:
    """The text with a space wherever CJK and Latin letters or digits meet, so the
    Latin-script names inside CJK text are words of their own."""
    return _SCRIPT_SEAM.sub(" ", text) if has_cjk(text) else text


def detect_language(text: str, declared: str | None = None) -> str:
    """The language of ``text`` by its script (kana: Japanese, hangul: Korean, Han
    alone: Chinese, Cyrillic: Russian) and, for Latin script, German against English
    function words. A declared language the script agrees with is kept: the page or
    the source usually knows best, but sources default to English."""
    sample = text[:3000]
    found_words = _WORDS.findall(sample)
    letters = len(found_words) or 1
    # Plain ASCII has neither CJK nor Cyrillic; Latin letters are counted only when
    # one of those is there to be weighed against them (the count is most of the cost).
    plain = sample.isascii()
    cjk = 0 if plain else len(_CJK.findall(sample))
    # A CJK character says about as much as a Latin word: an English report quoting a
    # name in kanji stays English, a Japanese one full of product names stays Japanese.
    if cjk and cjk >= len(_LATIN_LETTER.findall(sample)) / 4:
        if _KANA.search(sample):
            return "ja"
        if _HANGUL.search(sample):
            return "ko"
        return "zh"
    cyrillic = 0 if plain else len(_CYRILLIC.findall(sample))
    if cyrillic and cyrillic > len(_LATIN_LETTER.findall(sample)):
        return declared if declared in ("ru", "uk", "bg", "sr", "be") else "ru"
    if declared and declared not in ("en", "de"):
        return declared
    words = list(map(str.casefold, found_words))
    german = sum(map(_GERMAN_WORDS.__contains__, words)) + (_GERMAN_LETTERS.search(sample) is not None)
    english = sum(map(_ENGLISH_WORDS.__contains__, words))
    if german > english and german >= max(2, letters // 50):
        return "de"
    if english > german:
        return "en"
    return declared or "en"


def split_sentences(text: str, language: str = "en") -> tuple[str, ...]:
    """English keeps the shared splitter; CJK text ends sentences at the full-width
    stops (U+3002, U+FF01, U+FF1F) with no space after; German and Russian
    sentences may open with any capital letter."""
    if language == "en" or language not in LANGUAGES:
        return english_sentences(text)
    pattern = _CJK_SENTENCE_END if language in ("ja", "zh") else _SENTENCE_END
    return tuple(part.strip() for paragraph in text.splitlines()
                 for part in pattern.split(paragraph) if part.strip())


def _alternation(fragments: Iterable[str], script: str) -> re.Pattern[str]:
    body = "|".join(sorted(fragments, key=len, reverse=True)) or r"(?!x)x"
    if script == "cjk":
        return re.compile(f"(?:{body})")
    return re.compile(rf"\b(?:{body})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Words:
    """One list of a profile's fragments as one pattern."""

    pattern: re.Pattern[str]

    def found(self, text: str) -> list[str]:
        return [match.group(0) for match in self.pattern.finditer(text)]

    def search(self, text: str) -> bool:
        return self.pattern.search(text) is not None


@dataclass(frozen=True, eq=False)  # one object per language (cached), hashed by identity
class LanguageProfile:
    code: str
    name: str
    script: str
    countries: tuple[tuple[str, re.Pattern[str]], ...]  # (ISO code, its forms), every form of one country
    agencies: tuple[tuple[str, re.Pattern[str]], ...]  # (state code, the agency's name)
    cues: Mapping[str, Words]
    victims: Mapping[str, Words]
    claims: Mapping[str, Words]
    day_month: re.Pattern[str] | None
    months: tuple[re.Pattern[str], ...]
    multipliers: tuple[tuple[re.Pattern[str], int], ...]
    # The country a government word with no country before it belongs to ("防衛相": Japan's).
    home_country: str | None = None

    def cue(self, name: str) -> Words:
        return self.cues[name]


def _words(section: Mapping[str, Any], script: str) -> dict[str, Words]:
    return {name: Words(_alternation((str(f) for f in fragments or ()), script)) for name, fragments in section.items()}


def _single(fragment: str, script: str) -> re.Pattern[str]:
    return _alternation([fragment], script)


def build_profile(document: Mapping[str, Any], extra_vendors: Sequence[str] = ()) -> LanguageProfile:
    """A profile from its YAML document; ``extra_vendors``: vendor names every
    language writes in Latin script (Microsoft, Mandiant)."""
    script = str(document["script"])
    countries = tuple((str(code), _alternation((str(form) for form in forms), script))
                      for code, forms in document.get("countries", {}).items())
    agencies = tuple((str(code), _single(str(name), script)) for name, code in document.get("agencies", {}).items())
    claims = dict(document.get("claims", {}))
    claims["vendors"] = [*(claims.get("vendors") or []), *(re.escape(vendor) for vendor in extra_vendors)]
    dates = document.get("dates", {})
    months = [str(month) for month in dates.get("months", [])]
    day_month = dates.get("day_month")
    if day_month and months:
        day_month = str(day_month).replace("{months}", "|".join(months))
    multipliers = tuple((re.compile(rf"\s*{fragment}", re.IGNORECASE), int(factor))
                        for fragment, factor in (document.get("numbers", {}).get("multipliers") or {}).items())
    return LanguageProfile(
        code=str(document["language"]), name=str(document["name"]), script=script, countries=countries,
        agencies=agencies, cues=_words(document.get("cues", {}), script),
        victims=_words(document.get("victims", {}), script), claims=_words(claims, script),
        day_month=re.compile(day_month, re.IGNORECASE) if day_month else None,
        months=tuple(re.compile(month, re.IGNORECASE) for month in months), multipliers=multipliers,
        home_country=str(document["home_country"]) if document.get("home_country") else None)


@cache
def profile(code: str) -> LanguageProfile | None:
    """The profile of a language we read beyond English, else None."""
    if code not in LANGUAGES:
        return None
    document = yaml.safe_load((HERE / f"{code}.yml").read_text(encoding="utf-8"))
    return build_profile(document, VENDORS)
