"""Countries in article text and the part each plays: sponsoring states (the
actors' sponsors, agencies, nationalities beside threat words) and victim
countries ("Denmark's defence ministry", "in Latvia", "targeting Japan").
Languages with a profile (workers/lang) are read by their own patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from coverwatch.taxonomy import Taxonomy, countries
from workers.lang import profile
from workers.lang import split_sentences as native_sentences
from workers.lang.places import agency_states, country_spans, targeted_before, threat_follows, victim_follows
from workers.phrases import PhraseIndex, split_sentences

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
