"""Find the field's entities in article text: threat actors (alias-resolved),
sponsoring states, victim countries, sectors, malware and CVE ids. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from coverwatch.taxonomy import Actor, Taxonomy, countries, default_taxonomy
from workers.actor_context import links_alias, part_of_longer_name, threat_near, vetoed
from workers.lang import has_cjk, profile, spaced
from workers.lang import split_sentences as native_sentences
from workers.lang.places import agency_states, country_spans, targeted_before, threat_follows, victim_follows
from workers.phrases import PhraseIndex
from workers.phrases import split_sentences as split_sentences  # re-exported: other stages import it from here


@dataclass(frozen=True)
class ActorMention:
    actor_id: str
    alias: str
    sentence: str


@dataclass(frozen=True)
class _Candidate:
    """One alias found in one sentence, and what its surroundings say about it."""

    actor: Actor
    surface: str
    sentence: str
    start: int
    end: int
    refused: bool  # not a name here whatever else the article says
    needs_context: bool  # a name only near threat words or beside an unambiguous mention
    threat_near: bool

    @classmethod
    def judge(cls, actor: Actor, alias: str, sentence: str, start: int, end: int) -> _Candidate:
        surface = sentence[start:end]
        word_like = not any(char.isdigit() for char in alias)
        refused = (
            (_shouted(alias) and surface.lower() == surface)  # "apt30" is not how anyone writes APT30
            or (word_like and surface.lower() == surface and alias.lower() != alias)  # "giant sandworm"
            or (word_like and alias[:1].isupper() and not surface[:1].isupper())
            or (word_like and part_of_longer_name(sentence, end))  # "Cozy Bear Lodge"
            or (word_like and vetoed(sentence, start, end)))  # "the Sandworm in the new Dune film"
        # "Midnight Blizzard" is a group; "Midnight blizzard" is weather.
        lowered_phrase = _is_phrase(surface) and not all(w[:1].isupper() for w in surface.split())
        return cls(actor, surface, sentence, start, end, refused,
                   actor.is_ambiguous(alias) or lowered_phrase,
                   threat_near(sentence, start, end) or _GROUP_WORD.search(surface) is not None)


_GROUP_WORD = re.compile(r"\b(?:group|team)$", re.IGNORECASE)  # "the Lazarus group"


def _drop_linked_aliases(accepted: list[_Candidate]) -> list[_Candidate]:
    """A name given as another name of the one before it ("APT41, also called
    Winnti") stands for that actor, even where the taxonomy keeps two entries."""
    kept: list[_Candidate] = []
    head: _Candidate | None = None
    previous: _Candidate | None = None
    for candidate in accepted:
        if previous is not None and links_alias(candidate.sentence[previous.end:candidate.start],
                                                in_alias_run=head is not None):
            head = head or previous
            if candidate.actor.id != head.actor.id:
                previous = candidate
                continue
        else:
            head = None
        kept.append(candidate)
        previous = candidate
    return kept


class ActorMatcher:
    """Every alias of every actor, found by word n-grams (see PhraseIndex)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._index = PhraseIndex((alias, (actor, alias)) for actor in taxonomy.actors for alias in actor.names
                                  if not has_cjk(alias))
        # CJK names have no word boundaries to look up by: they are found as substrings
        # (of the spaced text, where "61398部隊" is "61398 部隊"), longest first.
        self._native = sorted(((spaced(alias), actor, alias) for actor in taxonomy.actors for alias in actor.names
                               if has_cjk(alias)), key=lambda entry: -len(entry[0]))

    def _find(self, sentence: str) -> list[tuple[Actor, str, str]]:
        return [(actor, alias, sentence[start:end]) for (actor, alias), start, end in self._index.find(sentence)]

    def mentions(self, text: str, language: str = "en") -> list[ActorMention]:
        """Mentions used as names of threat actors, each alias run ("APT41, also
        called Winnti") reported as its first name's actor. In CJK text the
        Latin-script names are read from the spaced text (see workers.lang.spaced)."""
        candidates: list[list[_Candidate]] = []
        confirmed: set[str] = set()
        native = has_cjk(text)
        for sentence in native_sentences(spaced(text) if native else text, language):
            kept = [candidate for candidate in self._candidates(sentence) if not candidate.refused]
            if kept:  # most sentences name no actor
                confirmed.update(c.actor.id for c in kept if not c.needs_context)
                candidates.append(kept)
        found: list[ActorMention] = []
        for sentence_candidates in candidates:
            accepted = [c for c in sentence_candidates
                        if not c.needs_context or c.actor.id in confirmed or c.threat_near]
            found.extend(ActorMention(c.actor.id, c.surface, c.sentence) for c in _drop_linked_aliases(accepted))
        return found

    def _candidates(self, sentence: str) -> list[_Candidate]:
        found = [_Candidate.judge(actor, alias, sentence, start, end)
                 for (actor, alias), start, end in self._index.find(sentence)]
        if self._native and not sentence.isascii() and has_cjk(sentence):
            found = sorted([*found, *self._native_candidates(sentence)], key=lambda candidate: candidate.start)
        return found

    def _native_candidates(self, sentence: str) -> list[_Candidate]:
        taken: list[tuple[int, int]] = []
        found = []
        for key, actor, alias in self._native:
            start = sentence.find(key)
            while start >= 0:
                end = start + len(key)
                if not any(start < other_end and other_start < end for other_start, other_end in taken):
                    taken.append((start, end))
                    found.append(_Candidate.judge(actor, alias, sentence, start, end))
                start = sentence.find(key, end)
        return found

    def actor_ids(self, text: str, language: str = "en") -> list[str]:
        return list(dict.fromkeys(mention.actor_id for mention in self.mentions(text, language)))


def _shouted(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and any(c.isdigit() for c in alias)


def _is_phrase(surface: str) -> bool:
    words = surface.split()
    return len(words) > 1 and all(word.isalpha() for word in words)


@lru_cache(maxsize=1)
def default_matcher() -> ActorMatcher:
    return ActorMatcher(default_taxonomy())


# --- countries, sponsoring states and victims -------------------------------------------

STATE_AGENCIES = {
    "FSB": "RU", "GRU": "RU", "SVR": "RU", "Kremlin": "RU",
    "MSS": "CN", "Ministry of State Security": "CN", "PLA": "CN", "People's Liberation Army": "CN",
    "RGB": "KP", "Reconnaissance General Bureau": "KP",
    "IRGC": "IR", "MOIS": "IR", "Revolutionary Guard": "IR",
}
_AGENCY_PATTERN = re.compile(r"\b(" + "|".join(re.escape(a) for a in sorted(STATE_AGENCIES, key=len, reverse=True))
                             + r")\b")
_ACTOR_WORDS = (r"(?:state[- ]sponsored|state[- ]backed|government[- ]backed|military|intelligence|"
                r"hack\w*|spies|spy|cyber\w*|threat actors?|APT|operatives|services?|agents?|group)")
_VICTIM_NOUNS = (r"(?:ministry|ministries|minister|government|parliament\w*|embassy|embassies|military|armed forces|"
                 r"defen[cs]e|navy|army|utilit(?:y|ies)|grid|substations?|banks?|companies|firms?|"
                 r"networks?|officials|diplomats|agenc(?:y|ies)|election|energy|water|telecom\w*|"
                 r"hospitals?|critical infrastructure|infrastructure|organi[sz]ations|targets|victims|"
                 r"soldiers|troops|border guards|academics|researchers|journalists|dissidents|lawmakers|"
                 r"politicians|municipalities|exchanges?|chipmakers?|manufacturers|contractors?|carriers|"
                 r"operators?|institutions|authorities|departments|NGOs|universit(?:y|ies)|businesses|"
                 r"ports|party|portals?|websites?|logistics|railways?|semiconductor|shipbuilders|think tanks?|"
                 r"coast guard|space agency|news agency|power|users|voters|electoral|citizens|grain exporter)")
# "Danish authorities said", "Prosecutors in Germany charged", "by US Cyber Command": a
# state speaking, which is neither the accused nor (by that mention) the victim.
_SPEAKER_TAIL = re.compile(
    r"(?:['’]s?)?\s*(?:[\w\-]+\s+){0,4}?(?:said|says|say|told|accused|accuses|blamed|blames|attributed|"
    r"warned|uncovered|announced|condemned|summoned|charged|concluded|jointly)\b|\s+Cyber Command\b")
_OWN_VICTIM = re.compile(rf"\b(?:its|their|domestic|the country['’]s|her government['’]?s?)\s+"
                         rf"(?:[\w\-]+\s+){{0,3}}?{_VICTIM_NOUNS}\b|\bacross the country\b", re.IGNORECASE)


def _speaks(mention: CountryMention) -> bool:
    return _SPEAKER_TAIL.match(mention.sentence, mention.end) is not None


@dataclass(frozen=True)
class CountryMention:
    code: str
    surface: str
    sentence: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _country_index() -> PhraseIndex[tuple[str, str]]:
    """Country names and adjectives: value (code, form as listed)."""
    return PhraseIndex((form, (country.code, form)) for country in countries()
                       for form in (*country.names, *country.adjectives))


_POSSESSIVE = re.compile(r"['’]s\b")


def country_mentions(text: str, language: str = "en") -> list[CountryMention]:
    native = profile(language)
    if native is not None:
        return [CountryMention(code, sentence[start:end], sentence, start, end)
                for sentence in native_sentences(text, language)
                for code, start, end in country_spans(sentence, native)]
    index = _country_index()
    found = []
    for sentence in split_sentences(text):
        for (code, form), start, end in index.find(sentence):
            surface = sentence[start:end]
            # Proper nouns only; an acronym ("US", "UK") only in capitals, so "us" is no country.
            acronym = not any(char.islower() for char in form)
            if surface[:1].isupper() and not (acronym and any(char.islower() for char in surface)):
                possessive = _POSSESSIVE.match(sentence, end)
                found.append(CountryMention(code, surface, sentence, start, possessive.end() if possessive else end))
    return found


# Compiled once: these run on every country mention. Heads and tails are slices of the
# sentence, so that anchors and lookbehinds see only the words near the mention.
_AGENCY_SPEAKS = re.compile(r"\s+(?:said|says|announced|claimed|uncovered)\b")
_CULPRIT_BEFORE = re.compile(r"(?:attributed to|linked to|tied to|blamed|blames|backed by|on behalf of|"
                             r"working for|work for)\s+(?:the\s+)?$", re.IGNORECASE)
_THREAT_WORD_AFTER = re.compile(rf"\s*(?:\w+\s+){{0,2}}{_ACTOR_WORDS}\b", re.IGNORECASE)
_LIST_JOIN = re.compile(r"\s*(?:,|,?\s+and|,?\s+or)\s+(?:the\s+)?")
_VICTIM_NOUN_AFTER = re.compile(rf"\s*(?:[\w\-]+\s+){{0,2}}{_VICTIM_NOUNS}\b", re.IGNORECASE)
_TARGETED_BEFORE = re.compile(r"(?:\bagainst|\btarget\w*|\bhit|\bbreach\w*|\bhack\w*|\binto|\bacross|"
                              r"(?<!embassy )(?<!mission )(?<!based )(?<!conference )\bin|"
                              r"\bidentified in|\bvictims? in|\bspying on|\bspied on)\s+"
                              r"(?:the\s+)?(?:[\w\-]+\s+){0,2}$", re.IGNORECASE)


_SPONSORS: dict[int, tuple[Taxonomy, frozenset[str]]] = {}


def _known_sponsors(taxonomy: Taxonomy) -> frozenset[str]:
    """The states behind the taxonomy's actors, read once per taxonomy (a taxonomy is
    not changed once built: its by_id would be stale). The entry holds the taxonomy
    itself, so its id cannot pass to another object while cached."""
    cached = _SPONSORS.get(id(taxonomy))
    if cached is None or cached[0] is not taxonomy:
        if len(_SPONSORS) >= 8:  # tests build many small taxonomies
            _SPONSORS.clear()
        cached = taxonomy, frozenset(actor.state for actor in taxonomy.actors if actor.state)
        _SPONSORS[id(taxonomy)] = cached
    return cached[1]


def sponsoring_states(text: str, actor_ids: Iterable[str], taxonomy: Taxonomy,
                      mentions: Sequence[CountryMention] | None = None, language: str = "en") -> list[str]:
    """States named as behind the activity: the actors' sponsors, agencies
    (FSB, MSS, IRGC...), and nationalities next to threat words."""
    states: list[str] = []
    for actor_id in actor_ids:
        actor = taxonomy.by_id.get(actor_id)
        if actor and actor.state:
            states.append(actor.state)
    native = profile(language)
    if native is not None:
        states += agency_states(text, native)
        sponsors = _known_sponsors(taxonomy)
        states += [mention.code for mention in (country_mentions(text, language) if mentions is None else mentions)
                   if mention.code in sponsors and threat_follows(mention.sentence, mention.end, native)]
        return list(dict.fromkeys(states))
    if any(agency in text for agency in STATE_AGENCIES):  # plain look-ups skip the pattern on most articles
        states += [STATE_AGENCIES[match.group(1)] for match in _AGENCY_PATTERN.finditer(text)
                   if not _AGENCY_SPEAKS.match(text, match.end())]
    # "Danish intelligence" is usually a victim's agency; an adjective next to a threat
    # word names a sponsor only for states the taxonomy knows to run such operations.
    known_sponsors: frozenset[str] | None = None  # read off the taxonomy only when a threat word asks
    for mention in country_mentions(text) if mentions is None else mentions:
        if _speaks(mention):
            continue
        tail = mention.sentence[mention.end:mention.end + 60]
        head = mention.sentence[max(mention.start - 40, 0):mention.start]
        named_as_culprit = _CULPRIT_BEFORE.search(head)
        threat_word_follows = _THREAT_WORD_AFTER.match(tail)
        if threat_word_follows and known_sponsors is None:
            known_sponsors = _known_sponsors(taxonomy)
        if named_as_culprit or (threat_word_follows and known_sponsors and mention.code in known_sponsors):
            states.append(mention.code)
    return list(dict.fromkeys(states))


def victim_countries(text: str, sponsors: Sequence[str],
                     mentions: Sequence[CountryMention] | None = None, language: str = "en") -> list[str]:
    """Countries named as targets: "Denmark's defence ministry", "Polish officials",
    "in Latvia", "targeting Japan". A sponsoring state is never its own victim."""
    native = profile(language)
    if native is not None:
        return list(dict.fromkeys(
            mention.code for mention in (country_mentions(text, language) if mentions is None else mentions)
            if mention.code not in sponsors and (victim_follows(mention.sentence, mention.end, native)
                                                 or targeted_before(mention.sentence, mention.start, native))))
    victims: list[str] = []
    qualified: set[tuple[str, int]] = set()  # (sentence, start) of mentions that named a victim
    previous: CountryMention | None = None
    all_mentions = country_mentions(text) if mentions is None else mentions
    for mention in all_mentions:
        tail = mention.sentence[mention.end:mention.end + 70]
        head = mention.sentence[max(mention.start - 45, 0):mention.start]
        in_list_with_victim = (
            previous is not None and previous.sentence == mention.sentence
            and (previous.sentence, previous.start) in qualified
            and _LIST_JOIN.fullmatch(mention.sentence, previous.end, mention.start) is not None)
        speaker = _speaks(mention)
        if speaker and _OWN_VICTIM.search(mention.sentence) and mention.code not in sponsors:
            victims.append(mention.code)  # "Norway said ... breached its ministries"
        elif mention.code not in sponsors and not speaker and (
                in_list_with_victim
                or _VICTIM_NOUN_AFTER.match(tail) or _TARGETED_BEFORE.search(head)):
            victims.append(mention.code)
            qualified.add((mention.sentence, mention.start))
        previous = mention
    victims += _speakers_hit_at_home(all_mentions, victims, sponsors)
    return list(dict.fromkeys(victims))


_VICTIM_NOUN = re.compile(rf"\b{_VICTIM_NOUNS}\b|\bthe country\b|\bit had been targeted\b", re.IGNORECASE)


def _speakers_hit_at_home(mentions: Sequence[CountryMention], victims: Sequence[str],
                          sponsors: Sequence[str]) -> list[str]:
    """"Estonia's foreign minister said GRU officers broke into the economy ministry":
    a state that speaks of an attack on unnamed institutions, with no other victim
    country in the sentence, speaks of its own."""
    found: list[str] = []
    for mention in mentions:
        if mention.code in sponsors or not _speaks(mention):
            continue
        others = [m for m in mentions if m.sentence == mention.sentence and m.code != mention.code
                  and m.code in victims]
        if not others and _VICTIM_NOUN.search(mention.sentence, mention.end):
            found.append(mention.code)
    return found


# --- sectors, malware, CVEs ---------------------------------------------------------------

SECTOR_PHRASES: dict[str, tuple[str, ...]] = {
    "government": ("government", "governments", "ministry", "ministries", "parliament", "federal agency",
                   "federal agencies", "public sector", "state agency", "state agencies", "municipality"),
    "defence": ("defence", "defense", "military", "armed forces", "army", "navy", "air force", "weapons",
                "defence contractor", "defense contractor"),
    "diplomatic": ("diplomat", "diplomats", "diplomatic", "embassy", "embassies", "foreign ministry",
                   "foreign affairs", "consulate", "consular"),
    "energy": ("energy", "power grid", "electricity", "substation", "substations", "oil and gas", "pipeline",
               "pipelines", "nuclear", "power plant", "power plants"),
    "water": ("water utility", "water utilities", "water treatment", "water supply", "water system",
              "water systems"),
    "telecommunications": ("telecom", "telecoms", "telecommunications", "mobile operator", "mobile operators",
                           "internet service provider", "internet service providers", "carrier", "carriers"),
    "healthcare": ("hospital", "hospitals", "healthcare", "health care", "pharmaceutical", "vaccine", "vaccines"),
    "finance": ("bank", "banks", "banking", "financial sector", "financial institution",
                "financial institutions", "payment", "payments"),
    "cryptocurrency": ("cryptocurrency", "cryptocurrencies", "crypto exchange", "crypto exchanges", "blockchain"),
    "technology": ("software company", "software companies", "software vendor", "software vendors",
                   "software supply chain", "technology companies", "technology firms", "cloud provider",
                   "cloud providers"),
    "aerospace": ("aerospace", "aviation", "aircraft", "satellite", "satellites"),
    "transportation": ("port", "ports", "shipping", "railway", "railways", "airport", "airports", "logistics"),
    "education": ("university", "universities", "academic", "academics", "academia", "research institute",
                  "research institutes"),
    "media": ("journalist", "journalists", "newsroom", "newsrooms", "media outlet", "media outlets"),
    "elections": ("election", "elections", "campaign staff", "voters"),
    "think-tanks": ("think tank", "think tanks", "policy institute", "policy institutes"),
    "industrial": ("industrial control", "ics", "scada", "manufacturing", "manufacturer", "manufacturers",
                   "factory", "factories"),
}


@lru_cache(maxsize=1)
def _sector_index() -> PhraseIndex[str]:
    return PhraseIndex((phrase, sector) for sector, phrases in SECTOR_PHRASES.items() for phrase in phrases)


def sectors(text: str) -> list[str]:
    found = set(_sector_index().values(text))
    return [name for name in SECTOR_PHRASES if name in found]


KNOWN_MALWARE = (
    "Snake", "Kazuar", "ComRAT", "Carbon", "X-Agent", "XAgent", "Zebrocy", "Drovorub", "CHOPSTICK",
    "Industroyer", "Industroyer2", "NotPetya", "BlackEnergy", "Olympic Destroyer", "HermeticWiper",
    "WhisperGate", "AcidRain", "CaddyWiper", "Prestige", "SUNBURST", "SUNSPOT", "TEARDROP",
    "WellMess", "MagicWeb", "PlugX", "ShadowPad", "Winnti", "KV-botnet", "Cobalt Strike",
    "China Chopper", "WannaCry", "AppleJeus", "Manuscrypt", "DreamJob", "BLINDINGCAN", "Dtrack",
    "Triton", "TRISIS", "Shamoon", "Stuxnet", "Flame", "Duqu", "Regin", "Pegasus", "Predator",
    "QuietExit", "SockDetour", "Mimikatz", "GoldMax", "Havex", "PowerShower", "BADNEWS", "Agent Tesla",
)
_MALWARE_BY_LENGTH = tuple(sorted(KNOWN_MALWARE, key=len, reverse=True))  # longest first: "Industroyer2"
_MALWARE_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in _MALWARE_BY_LENGTH) + r")\b")
_NAMING_VERBS = ("called", "named", "dubbed", "known as", "tracked as")
_NAMED_MALWARE = re.compile(
    r"\b(?:malware|backdoor|implant|loader|wiper|trojan|RAT|ransomware|dropper|rootkit|spyware|"
    r"botnet|toolkit)\s+(?:" + "|".join(_NAMING_VERBS) + r")\s+([A-Z][\w\-.]{2,30})")
_MALWARE_NOUNS = ("malware", "backdoor", "implant", "loader", "wiper", "trojan", "ransomware", "dropper", "rootkit",
                  "spyware", "botnet")
_MALWARE_BEFORE = re.compile(r"\b([A-Z][A-Za-z0-9]*[A-Z0-9][\w\-]*)\s+(?:" + "|".join(_MALWARE_NOUNS) + r")\b")
CVE_PATTERN = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)


@lru_cache(maxsize=256)
def _known_malware_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """_MALWARE_PATTERN without the names a text lacks, which could not match in it."""
    return re.compile(r"\b(?:" + "|".join(re.escape(name) for name in names) + r")\b")


def malware_names(text: str, actor_aliases: frozenset[str] = frozenset()) -> list[str]:
    # Each pattern needs a plain word (a name, a naming verb, a malware noun): most
    # articles have none, and looking for words is far cheaper than the patterns.
    text = spaced(text)  # "マルウェアPlugXを": no word boundary around PlugX until spaced
    names: list[str] = []
    present = tuple(name for name in _MALWARE_BY_LENGTH if name in text)
    if present:
        names += [match.group(0) for match in _known_malware_pattern(present).finditer(text)]
    if any(verb in text for verb in _NAMING_VERBS):
        names += [match.group(1).rstrip(".") for match in _NAMED_MALWARE.finditer(text)]
    if any(noun in text for noun in _MALWARE_NOUNS):
        names += [match.group(1) for match in _MALWARE_BEFORE.finditer(text)]
    return list(dict.fromkeys(name for name in names if name.casefold() not in actor_aliases))


def cve_ids(text: str) -> list[str]:
    if "cve-" not in text.lower():  # ignoring case, no other letter passes for c, v or e
        return []
    text = spaced(text)
    return list(dict.fromkeys(f"CVE-{year}-{number}" for year, number in CVE_PATTERN.findall(text)))
