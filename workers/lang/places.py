"""Countries in text of a profiled language, and what the words around one
mention say about it: the state behind an operation ("北朝鮮のハッカー集団",
"russische Hacker") or its target ("日本の防衛省", "gegen das dänische
Verteidigungsministerium"). Pure; the entity stage builds its mentions from these
spans and applies the same rules to every language."""

from __future__ import annotations

import re
from functools import lru_cache

from workers.lang import LanguageProfile

# How near a word must be to a country to qualify it, per script: CJK in
# characters (particles sit between: "中国の", "북한의"), others in words.
_CJK_GAP = r"[^。、，,\s]{0,3}?"
_WORD_GAP = r"(?:\W+\w+){0,2}?\W+"
# A targeting phrase closes the object it follows ("日本の暗号資産交換業者を標的に"): further.
_CJK_OBJECT_GAP = r"[^。、，,]{0,14}?"


def country_spans(sentence: str, language: LanguageProfile) -> list[tuple[str, int, int]]:
    """(code, start, end) of each country form, left to right; a form inside a
    longer one ("インド" in "インドネシア", "俄罗斯" in "白俄罗斯") is left out."""
    found = sorted(((code, match.start(), match.end()) for code, pattern in language.countries
                    for match in pattern.finditer(sentence)), key=lambda span: (span[1], -span[2]))
    kept: list[tuple[str, int, int]] = []
    for span in found:
        if kept and span[1] < kept[-1][2]:
            continue
        kept.append(span)
    return kept


@lru_cache(maxsize=64)
def _following(language: LanguageProfile, section: str, name: str) -> re.Pattern[str]:
    words = (language.cues if section == "cues" else language.victims)[name].pattern
    cjk_gap = _CJK_OBJECT_GAP if name == "after" else _CJK_GAP
    gap = cjk_gap if language.script == "cjk" else _WORD_GAP
    return re.compile(f"(?:{gap}|\\W*)(?:{words.pattern})", words.flags)


@lru_cache(maxsize=64)
def _preceding(language: LanguageProfile) -> re.Pattern[str]:
    words = language.victims["before"].pattern
    gap = r".{0,8}$" if language.script == "cjk" else r"(?:\W+\w+){0,2}\W+$|\W+$"
    return re.compile(f"(?:{words.pattern})(?:{gap})", words.flags)


def threat_follows(sentence: str, end: int, language: LanguageProfile) -> bool:
    """A threat word ("ハッカー", "Hacker", "хакеры") right after the country: it acts."""
    return _following(language, "cues", "threat").match(sentence, end, end + 40) is not None


def victim_follows(sentence: str, end: int, language: LanguageProfile) -> bool:
    """An institution after the country ("の防衛省", "Verteidigungsministerium"), or a
    targeting phrase ("を標的に", "을 겨냥"): it was hit."""
    return (_following(language, "victims", "nouns").match(sentence, end, end + 40) is not None
            or _following(language, "victims", "after").match(sentence, end, end + 40) is not None)


def targeted_before(sentence: str, start: int, language: LanguageProfile) -> bool:
    """A targeting word just before the country ("针对日本", "gegen Polen"), or, where
    the country follows its institution in the genitive ("министерства обороны
    Дании", "das Außenministerium Polens"), an institution."""
    head = sentence[max(start - 40, 0):start]
    if _preceding(language).search(head) is not None:
        return True
    return language.script != "cjk" and _institution_before(language).search(head) is not None


@lru_cache(maxsize=64)
def _institution_before(language: LanguageProfile) -> re.Pattern[str]:
    words = language.victims["nouns"].pattern
    return re.compile(f"(?:{words.pattern})(?:\\W+\\w+)?\\W+$", words.flags)


def agency_states(text: str, language: LanguageProfile) -> list[str]:
    """States whose services the text names in its language (ФСБ, 偵察総局)."""
    return [code for code, pattern in language.agencies if pattern.search(text)]
