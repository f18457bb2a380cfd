import pytest

from coverwatch.taxonomy import default_taxonomy
from workers.entities import (
    cve_ids,
    default_matcher,
    malware_names,
    sectors,
    split_sentences,
    sponsoring_states,
    victim_countries,
)


def _actors(text: str) -> list[str]:
    return [default_taxonomy().by_id[i].name for i in default_matcher().actor_ids(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Fancy Bear, also tracked as APT 28 and Forest Blizzard, hit the ministry.", ["APT28"]),
    ("Microsoft said Midnight Blizzard read executives' email.", ["APT29"]),
    ("The Sandworm hackers deployed a wiper.", ["Sandworm Team"]),
    ("Researchers tied the intrusion to Volt Typhoon and to Salt Typhoon.", ["Volt Typhoon", "Salt Typhoon"]),
    ("Security firms blamed APT-41 for the intrusions.", ["APT41"]),
    ("The Snake implant was found on the servers by the hackers' victims.", ["Turla"]),
    ("North Korea's Lazarus group stole cryptocurrency.", ["Lazarus Group"]),
    ("Mercury, an Iranian threat group, sent phishing lures.", ["MuddyWater"]),
    ("Turla was named; later the report called its tool Snake.", ["Turla"]),
])
def test_aliases_resolve_to_canonical_actors(text: str, expected: list[str]) -> None:
    assert _actors(text) == expected


@pytest.mark.parametrize("text", [
    "Lazarus was raised from the dead in the Gospel of John.",
    "The Mercury program launched astronauts in the 1960s.",
    "Sidewinder missiles were fired at the drone.",
    "He solved the equation on the whiteboard.",
    "A snake was found in the garden shed.",
    "Zinc and copper prices rose on Tuesday.",
    "Midnight blizzard closes roads in Montana, officials say.",
    "Charming kitten videos went viral this week.",
    "The Callisto moon orbits Jupiter.",
    "APT3 analysts gathered at the conference; apt30 is a typo.",
])
def test_ordinary_words_are_not_actors(text: str) -> None:
    actors = _actors(text)
    assert actors in ([], ["APT3"]), actors
    if "apt30" in text:
        assert "APT30" not in actors


def test_apt_numbers_do_not_bleed() -> None:
    assert _actors("APT3 and APT30 are different groups of hackers.") == ["APT3", "APT30"]


def test_states_and_victims() -> None:
    text = ("Investigators believe a Russian intelligence unit read files on Denmark's defence ministry "
            "network. Danish Defence Intelligence Service engineers found the implant.")
    states = sponsoring_states(text, [], default_taxonomy())
    assert states == ["RU"]
    assert victim_countries(text, states) == ["DK"]


def test_victim_lists_and_sponsor_exclusion() -> None:
    text = "Targets were identified in Spain, Italy and the Czech Republic by North Korean hackers."
    states = sponsoring_states(text, [], default_taxonomy())
    assert states == ["KP"]
    assert victim_countries(text, states) == ["ES", "IT", "CZ"]
    assert victim_countries("Let us know what the UK said about US water utilities.", []) == ["US"]


def test_sectors_malware_cves() -> None:
    text = ("The backdoor dubbed GRIDSHRED hit substations and water treatment plants; "
            "attackers exploited CVE-2024-3400 and cve-2023-20198 before deploying Industroyer2.")
    assert {"energy", "water"} <= set(sectors(text))
    assert malware_names(text) == ["Industroyer2", "GRIDSHRED"]
    assert cve_ids(text) == ["CVE-2024-3400", "CVE-2023-20198"]


def test_sentence_split_keeps_abbreviations_together_enough() -> None:
    assert len(split_sentences("The FBI said so. Then the NSA agreed! Did CISA? Yes.")) == 4


def test_no_actor_in_ordinary_technical_prose() -> None:
    """Real English that is not about threat actors: the standard library's own
    documentation. The merged taxonomy (500+ actors, thousands of aliases) must
    find nothing in it."""
    import importlib
    import inspect

    texts = []
    for name in ("argparse", "asyncio", "collections", "csv", "datetime", "email", "json", "logging",
                 "os", "pathlib", "re", "smtplib", "socket", "ssl", "subprocess", "threading", "unittest"):
        module = importlib.import_module(name)
        for _, member in inspect.getmembers(module):
            doc = inspect.getdoc(member)
            if doc and len(doc) > 100:
                texts.append(doc)
    assert sum(len(text.split()) for text in texts) > 50_000
    found = [(m.alias, m.sentence[:80]) for text in texts for m in default_matcher().mentions(text)]
    assert found == []
