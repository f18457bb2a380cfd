"""The plain-substring screen in workers/claims.py skips the costly patterns on
sentences that cannot match them; it must never skip one that would."""

import re

import pytest

from workers.claim_types import Claim, ClaimType
from workers.claims import (
    _DENIAL,
    _GENERIC_CULPRIT,
    _NAMED_CULPRIT,
    _Screen,
    _screened_claims,
    classify_claim,
    sentence_claims,
)

# One sentence or more per alternative of each pattern, in several spellings and cases.
NAMED = [
    "Russian state hackers broke into the network.",
    "Iran's hacking crew was busy.",
    "China-linked intelligence officers took part.",
    "North Korean officials behind the theft were named.",
    "Officials blamed Iran for it.",
    "It was done on behalf of Pakistan, analysts think.",
    "Researchers found a cluster they dubbed Nightjar.",
    "It is a group researchers call Ember.",
    "An actor it tracks as Velvet was seen.",
    "Beijing was behind the operation.",
    "Moscow was likely responsible.",
    "A Minsk-backed operation began.",
    "The US-based operators were careful.",
    "Belarusian cyber units joined in.",
    "Ukrainian intelligence said so.",
    "APT 41 struck again.", "APT-29 struck again.", "APT29 struck again.",
    "UNC2452 returned.", "TA505 returned.", "Storm-0558 returned.", "UAC-0010 returned.", "DEV-0537 returned.",
    *(f"The {agency} was named." for agency in ("GRU", "FSB", "SVR", "MSS", "IRGC", "MOIS", "RGB")),
    "The NSA said nothing.", "The Revolutionary Guard denied it.", "The National Security Agency declined.",
    "The Ministry of State Security was blamed.", "Lazarus stole coins.", "The Equation Group leaked.",
    *(f"{name} was busy." for name in ("Sandworm", "Turla", "Gamaredon", "Kimsuky", "Winnti", "Fancy Bear",
                                       "Cozy Bear", "MirrorFace", "TraderTraitor", "CyberAv3ngers", "HAFNIUM",
                                       "OceanLotus")),
    # One family word per sentence, so a literal left out of the screen shows.
    *(f"Quiet {family} hid." for family in ("Typhoon", "Blizzard", "Sandstorm", "Sleet", "Tempest", "Panda", "Bear",
                                            "Kitten", "Chollima", "Taurus", "Ursa", "Pisces", "Spider", "Sparrow",
                                            "Tribe", "Lusca", "Hound")),
]
GENERIC = [
    "HACKERS got in.", "The spies left.", "A SPYWARE kit.", "It was espionage.", "ESPİONAGE, in Turkish capitals.",
    "A ſpies spelling.", "An intelligence service did it.", "A Threat Actor did it.", "A state actor did it.",
    "A foreign state did it.", "A Foreign Government did it.", "State-sponsored crews.", "state sponsored crews.",
    "STATE-BACKED crews.", "state backed crews.", "state-affiliated crews.", "State Affiliated crews.",
    "A nation-state did it.", "A NATION STATE did it.", "Intruders left.",
]
DENIAL = [
    "Moscow denied it.", "Beijing DENIES the report.", "They deny it.", "It rejected the claims.",
    "It rejects the claims.", "It dismissed the claims.", "It dismisses the claims.", "Baseless claims.",
    "Unfounded claims.", "Groundless claims.", "Pure Russophobia.", "Slanderous claims.", "A smear.",
    "Fabricated claims.", "Fabrications.", "Politically Motivated claims.", "It was dısmissed in Turkish letters.",
]
OTHER = [
    "The weather was fine in Lisbon.", "Prices rose for the third month.", "The ministry opened a new office.",
]


@pytest.mark.parametrize(("pattern", "sentences"), [
    (_NAMED_CULPRIT, NAMED), (_GENERIC_CULPRIT, GENERIC), (_DENIAL, DENIAL),
])
def test_each_example_matches_its_pattern(pattern: re.Pattern[str], sentences: list[str]) -> None:
    # Otherwise the screen test below would pass on sentences no pattern looks at.
    assert [s for s in sentences if not pattern.search(s)] == []


@pytest.mark.parametrize("sentence", NAMED + GENERIC + DENIAL + OTHER)
def test_a_sentence_a_pattern_matches_is_never_screened_out(sentence: str) -> None:
    screen = _Screen.of(sentence)
    assert not _NAMED_CULPRIT.search(sentence) or screen.named
    assert not _GENERIC_CULPRIT.search(sentence) or screen.generic
    assert not _DENIAL.search(sentence) or screen.denial


def test_gold_sentences_are_never_screened_out() -> None:
    from bench.entities_gold import gold_items

    for item in gold_items():
        for sentence in (item.title, item.text):
            screen = _Screen.of(sentence)
            assert not _NAMED_CULPRIT.search(sentence) or screen.named, sentence
            assert not _GENERIC_CULPRIT.search(sentence) or screen.generic, sentence
            assert not _DENIAL.search(sentence) or screen.denial, sentence


def test_plain_sentences_skip_every_pattern() -> None:
    assert [(s, _Screen.of(s)) for s in OTHER if any(_Screen.of(s).__dict__.values())] == []


def test_an_article_screen_gives_each_sentence_its_own_claims() -> None:
    article = " ".join(NAMED + GENERIC + DENIAL + OTHER)
    screen = _Screen.of(article)
    for sentence in NAMED + GENERIC + DENIAL + OTHER:
        assert _screened_claims(sentence, screen) == sentence_claims(sentence)


def test_screened_article_claim() -> None:
    claim = classify_claim("Quiet week", "The weather was fine. Moscow denied that its hackers were behind the attack.")
    assert claim == Claim(ClaimType.DENIED, "Moscow denied that its hackers were behind the attack.", "Moscow")
