"""Sentence cues for topic relevance: who acted, what was done, and how firmly it
is said. Pure; every cue keeps the words that raised it, so a score can be explained.

A country or a vendor on its own raises nothing here: "based in Russia" or "a patch
from Microsoft" says nothing about a state operation. A country counts only when
it is tied to the act ("Russia-backed", "Chinese state hackers").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress

from coverwatch.taxonomy import Actor, countries

_NOT_ALNUM = re.compile(r"[\W_]+")
_LITERAL_START = re.compile(r"[\w '\-]*")


class Cue:
    """Whole-word alternatives, case-insensitive unless asked (acronyms: "APT", not
    "apt"). Each alternative's literal start ("ransom" of ``ransom\\w*``) is a plain
    substring every match contains; testing those first skips the regex on most
    sentences, which matters on every article. Where some are there, the regex
    runs with only the alternatives whose literal is there: the others cannot
    match, and a short alternation is much faster than the whole."""

    def __init__(self, *alternatives: str, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self._flags = 0 if case_sensitive else re.IGNORECASE
        self.pattern = self._compile(alternatives)
        stems = []
        for alternative in alternatives:
            stem = _LITERAL_START.match(alternative)
            literal = stem.group(0) if stem else ""
            if alternative[len(literal):len(literal) + 1] in ("?", "*", "{"):
                literal = literal[:-1]  # its last character is optional
            literal = literal.strip()
            stems.append(literal if case_sensitive else literal.casefold())
        self._alternatives = tuple(zip(stems, alternatives, strict=True))
        # One alternative without a literal start means the regex always runs.
        self.stems: tuple[str, ...] | None = None if "" in stems else tuple(dict.fromkeys(stems))
        self._narrowed: dict[tuple[str, ...], re.Pattern[str]] = {}

    def _compile(self, alternatives: Iterable[str]) -> re.Pattern[str]:
        return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", self._flags)

    def _pattern_for(self, sentence: str, folded: str) -> re.Pattern[str] | None:
        """The regex to run on this sentence, None when no literal is in it."""
        if self.stems is None:
            return self.pattern
        haystack = sentence if self.case_sensitive else folded
        present = tuple(compress(self.stems, map(haystack.__contains__, self.stems)))
        if not present:
            return None
        if not self.case_sensitive and _UNFOLDED_I.search(folded):
            # Ignoring case, the regex takes a Turkish dotted or dotless i for "i", which
            # folding does not: the literals are no guide to which alternatives can match.
            return self.pattern
        pattern = self._narrowed.get(present)
        if pattern is None:
            if len(self._narrowed) >= 512:  # a bound, never reached on news text
                self._narrowed.clear()
            pattern = self._compile(alternative for stem, alternative in self._alternatives if stem in present)
            self._narrowed[present] = pattern
        return pattern

    def found(self, sentence: str, folded: str) -> list[str]:
        pattern = self._pattern_for(sentence, folded)
        return [match.group(0) for match in pattern.finditer(sentence)] if pattern else []

    def search(self, sentence: str, folded: str) -> bool:
        pattern = self._pattern_for(sentence, folded)
        return pattern is not None and pattern.search(sentence) is not None


# What the Turkish capital dotted I (U+0130) and small dotless i (U+0131) leave after
# case folding: "i" with a combining dot above (U+0307), and the dotless i itself.
_UNFOLDED_I = re.compile("[\u0307\u0131]")


# A state or its services named as the actor.
STATE_WORDS = Cue(
    r"state[- ]sponsored", r"state[- ]backed", r"state[- ]linked", r"state[- ]affiliated", r"nation[- ]states?",
    r"government[- ](?:backed|sponsored|linked)", r"state (?:hackers|actors?|spies|agents?)",
    r"military intelligence", r"intelligence (?:agenc(?:y|ies)|services?|officers?|operatives?)",
    r"spy agenc(?:y|ies)", r"foreign intelligence", r"Ministry of State Security", r"People's Liberation Army",
    r"Reconnaissance General Bureau", r"Revolutionary Guards?", r"government (?:hackers|spies)",
    r"sponsored by (?:a|the|that|one) (?:state|government|country|nation)")
STATE_AGENCIES = Cue(r"FSB", r"GRU", r"SVR", r"MSS", r"PLA", r"IRGC", r"MOIS", r"RGB", case_sensitive=True)
# A state's own hacking programmes and their leaks.
STATE_TOOLS = Cue(r"Vault ?7", r"Shadow Brokers", r"Equation Group", r"NSA", r"CIA", r"GCHQ", r"Tailored Access",
                  r"National Security Agency", r"Central Intelligence Agency", case_sensitive=True)
ESPIONAGE = Cue(
    r"cyberespionage", r"cyber[- ]espionage", r"espionage", r"spying", r"spied", r"cyberspies", r"cyber spies",
    r"spies", r"spy (?:campaign|operation|group)", r"spy on", r"advanced persistent threats?",
    r"intelligence[- ]gathering", r"collect(?:s|ed|ing)? intelligence", r"gather(?:s|ed|ing)? intelligence",
    r"surveillance campaign", r"reconnaissance")
APT_NAMES = Cue(r"APT ?\d*", case_sensitive=True)
OPERATION = Cue(
    r"election\w*", r"disinformation", r"influence (?:operations?|campaigns?)", r"sabotage\w*", r"wipers?",
    r"power grid", r"critical infrastructure", r"interference", r"leaked emails", r"hack-and-leak")
# Crime for profit, and insiders.
CRIME = Cue(
    r"ransom\w*", r"extort\w*", r"scam\w*", r"fraud\w*", r"cybercriminals?", r"cyber criminals?", r"criminals?",
    r"crime (?:gang|group|family|ring|forums?)", r"dark ?web", r"underground (?:forums?|markets?)", r"bitcoins?",
    r"carding", r"card (?:data|numbers|details|skimm\w+)", r"skimm\w+", r"banking trojans?", r"botnets?", r"DDoS",
    r"financially motivated", r"for profit", r"money", r"payment cards?", r"crypto-?mining", r"insiders?",
    r"former (?:employee|contractor)s?", r"disgruntled", r"exploit kits?", r"as-a-service", r"blackmail\w*",
    r"crimeware", r"for sale", r"black market")
# Who did it, when it was not a state: a gang, a fraudster, an insider.
CRIMINAL_ACTOR = Cue(
    r"cybercriminals?", r"cyber criminals?", r"criminals?", r"gangs?", r"crime (?:gang|group|ring|family|syndicate)s?",
    r"fraudsters?", r"scammers?", r"carders?", r"crooks?", r"thieves", r"extortionists?", r"insiders?",
    r"former (?:employee|contractor)s?", r"ransomware (?:group|operators?|crew|affiliates?)")
PATCH = Cue(
    r"patch\w*", r"fix(?:es|ed)?", r"vulnerabilit(?:y|ies)", r"flaws?", r"bugs?", r"CVE-\d{4}-\d+",
    r"security updates?", r"updates?", r"bug bounty", r"disclos\w+", r"researchers? (?:found|discovered)")
# Said as what happened: attributed, charged, suspected.
FIRM = Cue(
    r"attribut\w*", r"blam\w*", r"accus\w*", r"indict\w*", r"charged", r"sanction\w*", r"responsible", r"behind",
    r"linked to", r"tied to", r"carried out by", r"working for", r"on behalf of", r"believed to (?:be|work|have)",
    r"suspected",
    r"assess\w*", r"conducted by", r"expel\w*")
# A state raised as a possibility, not as what happened.
_MAYBE = r"\s+(?:well\s+|also\s+|even\s+|possibly\s+)?(?:be|have been|come)"
HYPOTHETICAL = Cue(
    *(modal + _MAYBE for modal in ("could", "might", "may", "would")), r"possibly", r"potentially", r"whether",
    *(opening + r" (?:also )?possible" for opening in ("it is", "it's", "it’s", "it was", "it seems")),
    r"speculat\w*", r"if", r"imagine", r"theoretically", r"possibility", r"can(?:not|'t) rule out",
    r"not (?:yet )?(?:clear|known)")
_STATE_ACTOR = r"(?:state[- ]sponsored|state[- ]backed|nation[- ]state|government[- ]backed|state actors?|a state)"
# Said outright not to be a state: "not state-sponsored", "no evidence of government involvement".
NEGATION = re.compile(
    rf"\b(?:(?:is|was|were|are)(?: not|n't)\s+(?:\w+\s+){{0,2}}{_STATE_ACTOR}|not the work of\s+(?:\w+\s+){{0,2}}"
    rf"{_STATE_ACTOR}|no (?:evidence|sign|indication|link|ties|connection)s?\s+(?:of|that|to)\s+(?:\w+\s+){{0,4}}"
    rf"(?:state|government|nation)|ruled out\s+(?:\w+\s+){{0,3}}(?:state|government|nation)|"
    rf"unlikely to (?:be|have been)\s+(?:\w+\s+){{0,2}}{_STATE_ACTOR}|rather than (?:\w+\s+){{0,2}}(?:espionage|"
    rf"intelligence[- ]gathering|{_STATE_ACTOR}))", re.IGNORECASE)
# "Russia-based" alone is where a card shop sits; next to a threat noun it is allowed below.
_LINK_SUFFIX = r"(?:-|\s)(?:backed|sponsored|linked|tied|aligned|affiliated|nexus|links?)"
# Plural "hackers": "a Spanish hacker" is one person, mostly a researcher or a thief.
_THREAT_NOUN = (r"(?:state\s+|government\s+|military\s+|intelligence\s+)?(?:hackers|spies|cyber ?spies|"
                r"hacking (?:groups?|units?|teams?|campaign)|threat actors?|operatives|APT ?\d*|cyber ?espionage|"
                r"cyber ?attackers?|attackers|agents|cyber ?operatives|cyber ?actors?)")


@dataclass(frozen=True)
class CountryCue:
    """A country tied to the act ("Russia-backed", "Chinese state hackers", "blamed on
    North Korea"), not merely named. The pattern takes one or two capitalised words,
    then they are checked against the country names: an alternation of every
    country's forms is many times slower. ``stems``: one must be in the sentence
    (case-folded) before the pattern runs. ``whole``: report the whole match, else
    only the country."""

    pattern: re.Pattern[str]
    stems: tuple[str, ...]
    whole: bool = True

    def found(self, sentence: str, folded: str) -> list[str]:
        if not any(map(folded.__contains__, self.stems)):
            return []
        forms = _country_forms()
        found = []
        for match in self.pattern.finditer(sentence):
            words = match.group(1)
            surface = match.group(0) if self.whole else words
            if words in forms:
                found.append(surface)
            elif " " in words and words.split(" ", 1)[1] in forms:
                # "Suspected Russian hackers": the first capitalised word was not the country.
                found.append(surface[len(words.split(" ", 1)[0]) + 1:])
        return found


@lru_cache(maxsize=1)
def _country_forms() -> frozenset[str]:
    return frozenset(form for country in countries() for form in (*country.names, *country.adjectives)
                     if len(form) > 3)


_PROPER = r"((?:[A-Z][\w.']*\s)?[A-Z][\w.']*)"
TIED_COUNTRY = CountryCue(re.compile(rf"{_PROPER}{_LINK_SUFFIX}\b"),
                          ("backed", "sponsored", "link", "tied", "aligned", "affiliated", "nexus"))
IMPLIED_COUNTRY = CountryCue(re.compile(rf"{_PROPER}(?:-based)?\s+{_THREAT_NOUN}\b"),
                             ("hackers", "spies", "hacking", "actor", "operatives", "apt", "espionage", "attackers",
                              "agents"))
_CULPRIT_WORDS = ("blamed on", "attributed to", "linked to", "tied to", "link to", "links to", "ties to",
                  "backed by", "sponsored by", "on behalf of",
                  "working for", "directed by", "ordered by")
CULPRIT_COUNTRY = CountryCue(
    re.compile(rf"\b(?:{'|'.join(_CULPRIT_WORDS)})\s+(?:the\s+)?{_PROPER}"), _CULPRIT_WORDS, whole=False)


@dataclass
class SentenceCues:
    """What one sentence says, each cue with the words that raised it."""

    state: list[str] = field(default_factory=list)
    implied_state: list[str] = field(default_factory=list)
    unlinked_actor: list[str] = field(default_factory=list)
    state_tools: list[str] = field(default_factory=list)
    espionage: list[str] = field(default_factory=list)
    operation: list[str] = field(default_factory=list)
    crime: list[str] = field(default_factory=list)
    # Read only where it decides something, beside a nationality or an untied group
    # and in the headline (``headline_cues``): elsewhere it is left empty, for speed.
    criminal_actor: list[str] = field(default_factory=list)
    patch: list[str] = field(default_factory=list)
    firm: bool = False
    hypothetical: bool = False
    negated: bool = False
    # Set by the article reader: the headline says what the article is mainly about.
    in_title: bool = False

    @property
    def any_state(self) -> bool:
        return bool(self.state or self.implied_state or self.state_tools)


def headline_cues(sentence: str, actors: Sequence[Actor]) -> SentenceCues:
    """A headline sentence's cues, with the gang or fraudster it names as the actor."""
    cues = sentence_cues(sentence, actors)
    cues.in_title = True
    cues.criminal_actor = CRIMINAL_ACTOR.found(sentence, sentence.casefold())
    return cues


@lru_cache(maxsize=4096)
def _squeezed(name: str) -> str:
    return _NOT_ALNUM.sub("", name.casefold())


def _as_written(alias: str, sentence: str, folded: str) -> str:
    start = folded.find(alias.casefold())
    return sentence[start:start + len(alias)] if start >= 0 else alias


def sentence_cues(sentence: str, actors: Sequence[Actor]) -> SentenceCues:
    cues = SentenceCues()
    folded = sentence.casefold()
    if actors:
        # Letters and digits only, as the actor matcher keys names: "APT 28" is APT28.
        squeezed = _NOT_ALNUM.sub("", folded)
        for actor in actors:
            alias = next((name for name in actor.names if _squeezed(name) in squeezed), None)
            if alias is not None:
                # A group the taxonomy ties to a state names the state; one it does
                # not may be an unattributed espionage group or a criminal one.
                (cues.state if actor.state else cues.unlinked_actor).append(_as_written(alias, sentence, folded))
    cues.state += (STATE_WORDS.found(sentence, folded) + STATE_AGENCIES.found(sentence, folded)
                   + TIED_COUNTRY.found(sentence, folded) + CULPRIT_COUNTRY.found(sentence, folded))
    cues.implied_state = IMPLIED_COUNTRY.found(sentence, folded)
    cues.state_tools = STATE_TOOLS.found(sentence, folded)
    cues.espionage = ESPIONAGE.found(sentence, folded) + APT_NAMES.found(sentence, folded)
    cues.operation = OPERATION.found(sentence, folded)
    cues.crime = CRIME.found(sentence, folded)
    if cues.implied_state or cues.unlinked_actor:
        cues.criminal_actor = CRIMINAL_ACTOR.found(sentence, folded)
    cues.patch = PATCH.found(sentence, folded)
    if cues.any_state or cues.espionage:
        cues.firm = FIRM.search(sentence, folded)
        cues.negated = NEGATION.search(sentence) is not None
        cues.hypothetical = not cues.firm and HYPOTHETICAL.search(sentence, folded)
    return cues
