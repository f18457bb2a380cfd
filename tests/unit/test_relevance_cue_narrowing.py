"""A Cue runs only the alternatives whose literal is in the sentence; what it
finds must be what the whole pattern finds."""

import pytest

from workers.relevance_cues import CRIME, ESPIONAGE, HYPOTHETICAL, PATCH, STATE_AGENCIES, STATE_WORDS, Cue

SENTENCES = [
    "State-sponsored spies ran a cyber-espionage campaign for the intelligence services.",
    "The ransomware gang extorted money; a patch fixed the flaws, then security updates followed.",
    "It could well be state-backed, or it might have been criminals, if the bug bounty is right.",
    "The FSB and the GRU, not the fsb, were named; CVE-2024-1234 was disclosed.",
    "Nation states may be gathering intelligence on spy agencies.",
    "Nothing to see here at all.",
    # Ignoring case, the regex reads a dotted or dotless Turkish i as "i"; folding does not.
    "Bir FİX and a dısclosure: the İntelligence servİces updated.",
    "",
]
CUES = [STATE_WORDS, STATE_AGENCIES, ESPIONAGE, CRIME, PATCH, HYPOTHETICAL]


@pytest.mark.parametrize("cue", CUES)
@pytest.mark.parametrize("sentence", SENTENCES)
def test_narrowed_cue_finds_what_the_whole_pattern_finds(cue: Cue, sentence: str) -> None:
    whole = [match.group(0) for match in cue.pattern.finditer(sentence)]
    folded = sentence.casefold()
    if cue.stems is not None and not any(stem in (sentence if cue.case_sensitive else folded)
                                         for stem in cue.stems):
        whole = []  # no literal at all: skipped, as before narrowing
    assert cue.found(sentence, folded) == whole
    assert cue.search(sentence, folded) == bool(whole)


def test_the_examples_raise_cues() -> None:
    # Otherwise the test above would compare empty lists.
    assert sum(bool(cue.found(s, s.casefold())) for cue in CUES for s in SENTENCES) >= 12


def test_a_cue_with_several_literals_present_keeps_the_order_of_matches() -> None:
    sentence = "Updates came after the patch and the flaw and the fix."
    assert PATCH.found(sentence, sentence.casefold()) == ["Updates", "patch", "flaw", "fix"]
