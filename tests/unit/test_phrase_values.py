"""PhraseIndex.values gives what find gives, without the positions, and the
sector scan (which uses it) finds what a scan by find would."""

from __future__ import annotations

import pytest

from workers.entities.sectors import SECTOR_PHRASES, _sector_index, sectors
from workers.phrases import PhraseIndex

NAMES = ["APT 28", "Fancy Bear", "Fancy Bear Team", "a b c d e f", "in", "India", "Indian Ocean", "A", "U.S."]


@pytest.mark.parametrize("text", [
    "Fancy Bear, also APT-28 or APT28 or AP T28, sailed the Indian Ocean in India.",
    "a b c d e f g and a b c d e and A.\nThe U.S. team met the Fancy Bear Team in the U.S.-led talks.",
    "Fancy", "",
])
def test_values_are_the_values_find_gives(text: str) -> None:
    index = PhraseIndex((name, name.upper()) for name in NAMES)
    assert index.values(text) == [value for value, _, _ in index.find(text)]


def test_sectors_are_those_of_every_phrase_found() -> None:
    text = ("Hackers hit the power grid and two hospitals; the defence contractor and a water utility "
            "reported intrusions, as did a think tank.\nThe ministry’s payments were not affected.")
    by_find = {sector for sector, _, _ in _sector_index().find(text)}
    assert sectors(text) == [name for name in SECTOR_PHRASES if name in by_find]
    assert {"energy", "healthcare", "defence", "water", "think-tanks", "government", "finance"} <= set(sectors(text))
