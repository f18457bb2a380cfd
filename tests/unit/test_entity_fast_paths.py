"""The fast ways workers/phrases.py reads words and workers/entities/ reads
sponsors, malware and CVE ids give what the plain ways give."""

import pytest

from coverwatch.taxonomy import Actor, Taxonomy
from workers.entities.countries import _known_sponsors, sponsoring_states
from workers.entities.cves import CVE_PATTERN, cve_ids
from workers.entities.malware import _MALWARE_BEFORE, _MALWARE_PATTERN, _NAMED_MALWARE, malware_names
from workers.phrases import _TYPOGRAPHIC, _WORD, MAX_PHRASE_TOKENS, PhraseIndex, _key, _word_keys, _word_spans

SENTENCES = [
    "U.S.-led sanctions followed the APT-28 report.",
    "Mail x.Russia@gov.example & A&B Co. -- or a--b, a.-b, e.g.-style and a-.b.",
    "“Fancy Bear,” she said — the group’s ‘APT 28’ … • tracked\xa0as Sofacy – again.",
    "Die Straße in İstanbul, ıslak, ΣΊΣΥΦΟΣ and ﬁre.",
    "snake_case_name, __init__ and x_y-z.",
    "APT41’s Winnti; APT 41/Winnti (APT-41) and apt41.",
    "Numbers 1.5-2.0 and CVE-2024-12345 and 10.0.0.1.",
    "",
    "   ",
    "-.@&",
    "Ends with a joiner-",
]


def _plain_keys(sentence: str) -> tuple[str, ...]:
    return tuple(_key(match.group(0)) for match in _WORD.finditer(sentence))


@pytest.mark.parametrize("sentence", SENTENCES)
def test_word_keys_are_the_keys_of_the_words(sentence: str) -> None:
    assert _word_keys(sentence) == _plain_keys(sentence)
    assert len(_word_spans(sentence)) == len(_word_keys(sentence))


def test_typographic_marks_are_neither_word_characters_nor_joiners() -> None:
    # A space in their place must leave every word as it was.
    assert all(not mark.isalnum() and mark not in "_-.@&" for mark in _TYPOGRAPHIC)


def test_an_ascii_sentence_with_joiners_keeps_them_out_of_the_keys() -> None:
    assert _word_keys("U.S.-led APT-28") == ("us", "led", "apt28")


def _taxonomy(state: str) -> Taxonomy:
    return Taxonomy([Actor(id=f"X-{state}", name=f"Group {state}", state=state)])


def test_sponsors_are_read_per_taxonomy() -> None:
    first, second = _taxonomy("RU"), _taxonomy("KP")
    assert _known_sponsors(first) == {"RU"}
    assert _known_sponsors(second) == {"KP"}
    assert _known_sponsors(first) == {"RU"}


def test_a_nationality_beside_a_threat_word_is_a_sponsor_only_where_the_taxonomy_has_one() -> None:
    text = "Officials said Russian hackers broke in."
    assert sponsoring_states(text, [], _taxonomy("RU")) == ["RU"]
    assert sponsoring_states(text, [], _taxonomy("KP")) == []


def test_agencies_are_found_only_as_names() -> None:
    taxonomy = _taxonomy("RU")
    assert sponsoring_states("The operation was run by the GRU.", [], taxonomy) == ["RU"]
    assert sponsoring_states("The GRU said nothing of the kind.", [], taxonomy) == []
    assert sponsoring_states("An AGRUMENT about GRUNTS.", [], taxonomy) == []


MALWARE_TEXTS = [
    "Industroyer2 and Industroyer, then Carbonite (not Carbon) and Cobalt Strike beacons.",
    "A backdoor called Quietus.v2. and a loader dubbed SLOWPOKE; the Gazer malware and BADNEWS.",
    "They used X-Agent, XAgent, the Snake implant and a wiper known as Whisper.",
    "Nothing malicious here; snake oil and a carbon tax.",
    "A RAT tracked as Vortex, a toolkit named Kite, and the KV-botnet.",
]


def _plain_malware(text: str) -> list[str]:
    names = [match.group(0) for match in _MALWARE_PATTERN.finditer(text)]
    names += [match.group(1).rstrip(".") for match in _NAMED_MALWARE.finditer(text)]
    names += [match.group(1) for match in _MALWARE_BEFORE.finditer(text)]
    return list(dict.fromkeys(names))


@pytest.mark.parametrize("text", MALWARE_TEXTS)
def test_malware_names_are_what_the_whole_patterns_find(text: str) -> None:
    assert malware_names(text) == _plain_malware(text)


def test_malware_examples_name_malware() -> None:
    assert malware_names(MALWARE_TEXTS[0])[:2] == ["Industroyer2", "Industroyer"]
    assert sum(len(malware_names(text)) for text in MALWARE_TEXTS) >= 12


@pytest.mark.parametrize("text", ["CVE-2024-3400 and cve-2023-12345", "Cve-2021-44228.", "No CVE here.", ""])
def test_cve_ids_are_what_the_pattern_finds(text: str) -> None:
    plain = list(dict.fromkeys(f"CVE-{year}-{number}" for year, number in CVE_PATTERN.findall(text)))
    assert cve_ids(text) == plain


def _brute_force_find(index_names: list[str], sentence: str) -> list[tuple[str, int, int]]:
    """Longest name at each word, left to right, by trying every length."""
    values = {_key(name): name for name in index_names}
    keys, spans = _word_keys(sentence), _word_spans(sentence)
    found, position = [], 0
    while position < len(keys):
        lengths = [length for length in range(1, MAX_PHRASE_TOKENS + 1)
                   if "".join(keys[position:position + length]) in values and position + length <= len(keys)]
        if lengths:
            best = max(lengths)
            found.append((values["".join(keys[position:position + best])], spans[position][0],
                          spans[position + best - 1][1]))
            position += best
        else:
            position += 1
    return found


NAMES = ["APT 28", "Fancy Bear", "Fancy Bear Team", "a b c d e f", "in", "India", "Indian Ocean", "A", "U.S."]


@pytest.mark.parametrize("sentence", [
    "Fancy Bear, also APT-28 or APT28 or AP T28, sailed the Indian Ocean in India.",
    "a b c d e f g and a b c d e and A.",
    "The U.S. team met the Fancy Bear Team in the U.S.-led talks.",
    "Fancy", "in", "",
])
def test_phrase_index_finds_the_longest_name_at_each_word(sentence: str) -> None:
    index = PhraseIndex((name, name) for name in NAMES)
    assert index.find(sentence) == _brute_force_find(NAMES, sentence)
