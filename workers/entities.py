"""Find the field's entities in article text: threat actors (alias-resolved),
sponsoring states, victim countries, sectors, malware and CVE ids. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from coverwatch.taxonomy import Actor, Taxonomy, countries, default_taxonomy

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")

# Words that put an ambiguous alias ("Snake", "Mercury", "Lazarus") in a threat context.
THREAT_CONTEXT = re.compile(
    r"\b(hack\w*|cyber\w*|APT|threat (?:actor|group)|group|actors?|espionage|spy\w*|spies|"
    r"malware|implant|backdoor|intrusions?|breach\w*|campaigns?|attribut\w*|state[- ]sponsored|"
    r"state[- ]backed|phishing|exploit\w*|infiltrat\w*|operators|operation|compromis\w*|"
    r"threat|attackers?|tracked as|known as|also called|dubbed)\b",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for paragraph in text.splitlines():
        sentences.extend(part.strip() for part in _SENTENCE_END.split(paragraph) if part.strip())
    return sentences


def _alias_pattern(alias: str) -> str:
    """Tolerate the spellings news uses: "APT 28", "APT-28", "TG 4127"."""
    tokens = re.split(r"[\s\-]+", alias.strip())
    parts = []
    for token in tokens:
        # allow a space or hyphen where letters meet digits (APT28 ~ APT 28)
        pieces = re.findall(r"[A-Za-z]+|\d+|[^A-Za-z\d]+", token)
        parts.append(r"[\s\-]?".join(re.escape(piece) for piece in pieces))
    return r"[\s\-]+".join(parts)


@dataclass(frozen=True)
class ActorMention:
    actor_id: str
    alias: str
    sentence: str


class ActorMatcher:
    """One compiled pattern for every alias; longest alias wins at a position."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._owner: dict[str, Actor] = {}
        spellings: list[str] = []
        for actor in taxonomy.actors:
            for alias in actor.names:
                self._owner[_key(alias)] = actor
                spellings.append(alias)
        aliases = sorted(set(spellings), key=len, reverse=True)
        body = "|".join(_alias_pattern(alias) for alias in aliases)
        self._pattern = re.compile(rf"(?<![\w\-])(?:{body})(?![\w]|-\d)", re.IGNORECASE)

    def mentions(self, text: str) -> list[ActorMention]:
        found: list[ActorMention] = []
        pending: list[tuple[Actor, str, str]] = []
        confirmed: set[str] = set()
        for sentence in split_sentences(text):
            for match in self._pattern.finditer(sentence):
                surface = match.group(0)
                actor = self._owner.get(_key(surface))
                if actor is None:
                    continue
                alias = _canonical_alias(actor, surface)
                if _shouted(alias) and surface.lower() == surface:
                    continue  # "apt30" in running text is not how anyone names APT30
                lowered_phrase = _is_phrase(surface) and not all(w[:1].isupper() for w in surface.split())
                if actor.is_ambiguous(alias) or lowered_phrase:
                    # "Midnight Blizzard" is a group; "midnight blizzard" is weather.
                    pending.append((actor, surface, sentence))
                    continue
                confirmed.add(actor.id)
                found.append(ActorMention(actor.id, surface, sentence))
        for actor, surface, sentence in pending:
            proper_noun = surface[:1].isupper()
            context = sentence if _is_phrase(surface) else sentence.replace(surface, " ")
            if proper_noun and (actor.id in confirmed or THREAT_CONTEXT.search(context)):
                found.append(ActorMention(actor.id, surface, sentence))
        return found

    def actor_ids(self, text: str) -> list[str]:
        return list(dict.fromkeys(mention.actor_id for mention in self.mentions(text)))


def _shouted(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and any(c.isdigit() for c in alias)


def _is_phrase(surface: str) -> bool:
    words = surface.split()
    return len(words) > 1 and all(word.isalpha() for word in words)


def _key(alias: str) -> str:
    return re.sub(r"[\s\-]+", "", alias).casefold()


def _canonical_alias(actor: Actor, surface: str) -> str:
    key = _key(surface)
    return next((alias for alias in actor.names if _key(alias) == key), surface)


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
_ACTOR_WORDS = (r"(?:state[- ]sponsored|state[- ]backed|government[- ]backed|military|intelligence|"
                r"hack\w*|spies|spy|cyber\w*|threat actors?|APT|operatives|services?|agents?|group)")
_VICTIM_NOUNS = (r"(?:ministry|ministries|minister|government|parliament|embassy|embassies|military|armed forces|"
                 r"defen[cs]e|navy|army|utilit(?:y|ies)|grid|substations?|banks?|companies|firms?|"
                 r"networks?|officials|diplomats|agenc(?:y|ies)|election|energy|water|telecom\w*|"
                 r"hospitals?|critical infrastructure|infrastructure|organi[sz]ations|targets|victims)")


@dataclass(frozen=True)
class CountryMention:
    code: str
    surface: str
    sentence: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _country_pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """One pattern over every name and adjective; casefold -> (code, form as listed)."""
    owner: dict[str, tuple[str, str]] = {}
    for country in countries():
        for form in (*country.names, *country.adjectives):
            owner[form.casefold()] = (country.code, form)
    body = "|".join(re.escape(form) for form in sorted(owner, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{body})(?:'s|’s)?(?![\w])", re.IGNORECASE), owner


def country_mentions(text: str) -> list[CountryMention]:
    pattern, owner = _country_pattern()
    found = []
    for sentence in split_sentences(text):
        for match in pattern.finditer(sentence):
            surface = re.sub(r"(?:'s|’s)$", "", match.group(0))
            code, form = owner[surface.casefold()]
            # Proper nouns only; an acronym ("US", "UK") only in capitals, so "us" is no country.
            if not surface[:1].isupper() or (form.isupper() and surface != form):
                continue
            found.append(CountryMention(code, surface, sentence, match.start(), match.end()))
    return found


def sponsoring_states(text: str, actor_ids: Iterable[str], taxonomy: Taxonomy) -> list[str]:
    """States named as behind the activity: the actors' sponsors, agencies
    (FSB, MSS, IRGC...), and nationalities next to threat words."""
    states: list[str] = []
    for actor_id in actor_ids:
        actor = taxonomy.by_id.get(actor_id)
        if actor and actor.state:
            states.append(actor.state)
    for agency, code in STATE_AGENCIES.items():
        if re.search(rf"\b{re.escape(agency)}\b", text):
            states.append(code)
    # "Danish intelligence" is usually a victim's agency; an adjective next to a threat
    # word names a sponsor only for states the taxonomy knows to run such operations.
    known_sponsors = {actor.state for actor in taxonomy.actors if actor.state}
    for mention in country_mentions(text):
        tail = mention.sentence[mention.end:mention.end + 60]
        head = mention.sentence[max(mention.start - 40, 0):mention.start]
        named_as_culprit = re.search(
            r"(?:attributed to|linked to|tied to|blamed|blames|backed by|on behalf of|"
            r"working for|work for)\s+(?:the\s+)?$", head, re.IGNORECASE)
        threat_word_follows = re.match(rf"\s*(?:\w+\s+){{0,2}}{_ACTOR_WORDS}\b", tail, re.IGNORECASE)
        if named_as_culprit or (threat_word_follows and mention.code in known_sponsors):
            states.append(mention.code)
    return list(dict.fromkeys(states))


def victim_countries(text: str, sponsors: Sequence[str]) -> list[str]:
    """Countries named as targets: "Denmark's defence ministry", "Polish officials",
    "in Latvia", "targeting Japan". A sponsoring state is never its own victim."""
    victims: list[str] = []
    qualified: set[tuple[str, int]] = set()  # (sentence, start) of mentions that named a victim
    previous: CountryMention | None = None
    for mention in country_mentions(text):
        tail = mention.sentence[mention.end:mention.end + 70]
        head = mention.sentence[max(mention.start - 45, 0):mention.start]
        in_list_with_victim = (
            previous is not None and previous.sentence == mention.sentence
            and (previous.sentence, previous.start) in qualified
            and re.fullmatch(r"\s*(?:,|,?\s+and|,?\s+or)\s+(?:the\s+)?",
                             mention.sentence[previous.end:mention.start]) is not None)
        if mention.code not in sponsors and (
                in_list_with_victim
                or re.match(rf"\s*(?:[\w\-]+\s+){{0,2}}{_VICTIM_NOUNS}\b", tail, re.IGNORECASE)
                or re.search(r"(?:\bagainst|\btarget\w*|\bhit|\bbreach\w*|\bhack\w*|\binto|"
                             r"\bidentified in|\bvictims? in|\bspying on|\bspied on)\s+"
                             r"(?:the\s+)?(?:[\w\-]+\s+){0,2}$", head, re.IGNORECASE)):
            victims.append(mention.code)
            qualified.add((mention.sentence, mention.start))
        previous = mention
    return list(dict.fromkeys(victims))


# --- sectors, malware, CVEs ---------------------------------------------------------------

SECTOR_TERMS: dict[str, str] = {
    "government": r"government|ministr(?:y|ies)|parliament|federal agenc\w+|public sector|state agenc\w+",
    "defence": r"defen[cs]e|military|armed forces|army|navy|air force|weapons",
    "diplomatic": r"diplomat\w*|embass(?:y|ies)|foreign ministry|foreign affairs",
    "energy": r"energy|power grid|electricity|substations?|oil and gas|pipelines?|nuclear",
    "water": r"water utilit\w+|water treatment|water (?:supply|systems?)",
    "telecommunications": r"telecom\w*|mobile operators?|internet service providers?|carriers?",
    "healthcare": r"hospitals?|health ?care|pharmaceutical|vaccine",
    "finance": r"banks?|banking|financial (?:sector|institutions?)|payments?",
    "cryptocurrency": r"cryptocurrenc\w+|crypto exchanges?|blockchain",
    "technology": r"software (?:companies|vendors?|supply chain)|technology (?:companies|firms)|cloud providers?",
    "aerospace": r"aerospace|aviation|aircraft|satellites?",
    "transportation": r"ports?|shipping|railways?|airports?|logistics",
    "education": r"universit(?:y|ies)|academi\w+|research institutes?",
    "media": r"journalists?|newsrooms?|media outlets?",
    "elections": r"elections?|campaign staff|voters?",
    "think-tanks": r"think tanks?|policy institutes?",
    "industrial": r"industrial control|ICS|SCADA|manufactur\w+|factor(?:y|ies)",
}
_SECTOR_PATTERNS = {name: re.compile(rf"\b(?:{terms})\b", re.IGNORECASE)
                    for name, terms in SECTOR_TERMS.items()}


def sectors(text: str) -> list[str]:
    return [name for name, pattern in _SECTOR_PATTERNS.items() if pattern.search(text)]


KNOWN_MALWARE = (
    "Snake", "Kazuar", "ComRAT", "Carbon", "X-Agent", "XAgent", "Zebrocy", "Drovorub", "CHOPSTICK",
    "Industroyer", "Industroyer2", "NotPetya", "BlackEnergy", "Olympic Destroyer", "HermeticWiper",
    "WhisperGate", "AcidRain", "CaddyWiper", "Prestige", "SUNBURST", "SUNSPOT", "TEARDROP",
    "WellMess", "MagicWeb", "PlugX", "ShadowPad", "Winnti", "KV-botnet", "Cobalt Strike",
    "China Chopper", "WannaCry", "AppleJeus", "Manuscrypt", "DreamJob", "BLINDINGCAN", "Dtrack",
    "Triton", "TRISIS", "Shamoon", "Stuxnet", "Flame", "Duqu", "Regin", "Pegasus", "Predator",
    "QuietExit", "SockDetour", "Mimikatz", "GoldMax", "Havex", "PowerShower", "BADNEWS", "Agent Tesla",
)
_MALWARE_PATTERN = re.compile(
    r"\b(?:" + "|".join(re.escape(name) for name in sorted(KNOWN_MALWARE, key=len, reverse=True))
    + r")\b")
_NAMED_MALWARE = re.compile(
    r"\b(?:malware|backdoor|implant|loader|wiper|trojan|RAT|ransomware|dropper|rootkit|spyware|"
    r"botnet|toolkit)\s+(?:called|named|dubbed|known as|tracked as)\s+([A-Z][\w\-.]{2,30})")
_MALWARE_BEFORE = re.compile(
    r"\b([A-Z][A-Za-z0-9]*[A-Z0-9][\w\-]*)\s+(?:malware|backdoor|implant|loader|wiper|trojan|"
    r"ransomware|dropper|rootkit|spyware|botnet)\b")
CVE_PATTERN = re.compile(r"\bCVE-(\d{4})-(\d{4,7})\b", re.IGNORECASE)


def malware_names(text: str, actor_aliases: frozenset[str] = frozenset()) -> list[str]:
    names = [match.group(0) for match in _MALWARE_PATTERN.finditer(text)]
    names += [match.group(1).rstrip(".") for match in _NAMED_MALWARE.finditer(text)]
    names += [match.group(1) for match in _MALWARE_BEFORE.finditer(text)]
    return list(dict.fromkeys(name for name in names if name.casefold() not in actor_aliases))


def cve_ids(text: str) -> list[str]:
    return list(dict.fromkeys(f"CVE-{year}-{number}" for year, number in CVE_PATTERN.findall(text)))
