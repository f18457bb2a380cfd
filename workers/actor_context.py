"""Is this alias used as a threat actor's name here? Cheap tests on the words
around one mention in one sentence, for ActorMatcher. Pure functions.

A word-like alias ("Sandworm", "Fancy Bear", "Mercury") is a name only near
threat words; film, toy, hotel, astronomy, maths, Bible, zoology and sports
words in its sentence veto it unless a hard threat word is right beside it.
"""

from __future__ import annotations

import re

# Threat words strong enough to keep a name even in a film or toy sentence.
HARD_THREAT = re.compile(
    r"\b(?:hack\w*|cyber\w*|APT\d*|espionage|spy|spies|spying|malware|implant|backdoor|intrusions?|breach\w*|"
    r"phishing|exploit\w*|infiltrat\w*|compromis\w*|wiper|ransomware|zero-day|state[- ]sponsored|state[- ]backed|"
    r"threat (?:actor|group)s?|attackers?|military intelligence|GRU|FSB|SVR|MSS|IRGC)\b", re.IGNORECASE)
# Weaker hints: enough for an ambiguous alias when nothing vetoes it.
SOFT_THREAT = re.compile(
    r"\b(?:group|sub-?groups?|umbrella|unit|crew|actors?|operators|campaigns?|operation|attribut\w*|targeted|"
    r"tracked as|known as|"
    r"also called|dubbed|threat|lures?|advisory)\b", re.IGNORECASE)
VETO = re.compile(
    r"\b(?:films?|movies?|cinema|trailer|sequel|box office|director|starring|stars|cast|big screen|scenes?|plot|"
    r"actors|actress|review|critic|thriller|blockbuster|Dune|Arrakis|Atreides|novel|theatre|audience|"
    r"toys?|plush|stuffed|teddy|dolls?|action figures?|board game|gift shop|toy shop|store|ride|theme park|"
    r"toy fair|hotel|lodge|inn|cafe|café|rooms|breakfast|stayed|guests|"
    r"moons?|planets?|orbit|telescope|astronom\w*|observatory|Jupiter|Europa|spacecraft|probe|astronauts?|NASA|"
    r"solve[ds]?|maths?|algebra|quadratic|exam|whiteboard|"
    r"Gospel|Bible|Biblical|sermon|pastor|church|choir|congregation|raised from the dead|resurrect\w*|"
    r"species|zoo|zoolog\w*|wildlife|aquarium|reptiles?|bait|anglers|mudflats|entomolog\w*|"
    r"river|valley|vineyards?|travel guide|"
    r"league|coach|goals|stadium|preseason|playoffs?|"
    r"Prize|album|"
    r"element|chemists?|futures|prices|salts)\b", re.IGNORECASE)
WINDOW_WORDS = 6
_WORD = re.compile(r"\S+")
# Words that may follow a name without making it part of a longer proper name.
_NAME_TAILS = frozenset({"Group", "Team", "APT", "Hackers", "Gang", "Crew", "Unit"})
_NEXT_CAPITALISED = re.compile(r"[ \t]+([A-Z][a-z]+)\b")
# Text between two names that makes the second an alias of the first:
# "APT29 (Cozy Bear", "APT41, also called Winnti", "Fancy Bear, which other vendors
# track as APT28", "Winnti, a name some researchers also use for APT41".
_ALIAS_LINK = re.compile(
    r"\s*\(\s*|"
    r"\s*,?\s*(?:(?:the|a|an|which|that)\b[^,;()]{0,50}?\s+)?"
    r"(?:(?:also|sometimes|previously|formerly|now|better|widely|otherwise|commonly)\s+)?"
    r"(?:known|called|calls?|call|tracked|tracks?|dubbed|dubs|named|names|referred to|refers to|"
    r"labell?ed|aka|a\.k\.a\.)(?:\s+as)?\s+(?:by\s+[^,;()]{1,30}?\s+)?|"
    r"\s*,\s*(?:a|another)\s+name\b[^,;()]{0,40}?\bfor\s+|"
    r"\s*,?\s*(?:aka|a\.k\.a\.)\s+")
# Inside a run of aliases, a comma, "and" or "or" continues it.
_ALIAS_CONTINUES = re.compile(r"\s*(?:,|/|,?\s+and|,?\s+or)\s+")


def _window(sentence: str, start: int, end: int) -> str:
    before = _WORD.findall(sentence[:start])[-WINDOW_WORDS:]
    after = _WORD.findall(sentence[end:])[:WINDOW_WORDS]
    return " ".join((*before, " ", *after))


def hard_threat_near(sentence: str, start: int, end: int) -> bool:
    return HARD_THREAT.search(_window(sentence, start, end)) is not None


def threat_near(sentence: str, start: int, end: int) -> bool:
    window = _window(sentence, start, end)
    return HARD_THREAT.search(window) is not None or SOFT_THREAT.search(window) is not None


def vetoed(sentence: str, start: int, end: int) -> bool:
    """A non-threat sense word in the sentence and no hard threat word beside the name."""
    outside = f"{sentence[:start]} {sentence[end:]}"
    return VETO.search(outside) is not None and not hard_threat_near(sentence, start, end)


def part_of_longer_name(sentence: str, end: int) -> bool:
    """"Cozy Bear Lodge", "Sandworm Industries", "Mercury Prize": the alias begins
    another proper name. Headlines in title case capitalise every word, so they are
    left alone."""
    following = _NEXT_CAPITALISED.match(sentence, end)
    if not following or following.group(1) in _NAME_TAILS:
        return False
    words = _WORD.findall(sentence)
    capitalised = sum(1 for word in words if word[:1].isupper())
    return capitalised < 0.6 * len(words)


def links_alias(between: str, in_alias_run: bool) -> bool:
    """Whether the text between two names presents the second as another name of the first."""
    if len(between) > 80:
        return False
    if _ALIAS_LINK.fullmatch(between):
        return True
    return in_alias_run and _ALIAS_CONTINUES.fullmatch(between) is not None
