import pytest

from coverwatch.taxonomy import default_taxonomy
from workers.entities import (
    cve_ids,
    default_matcher,
    malware_names,
    sectors,
    sponsoring_states,
    victim_countries,
)
from workers.phrases import split_sentences


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


# --- the hand-written gold set (tests/fixtures/entity_gold.yml), tune split only --------

def _gold_figures() -> dict[str, float]:
    from bench.entities_gold import evaluate

    return evaluate("tune")


def test_gold_tune_split_stays_above_floors() -> None:
    """Floors well below the measured figures (see bench/entities_gold.py), to catch
    regressions without pinning a score."""
    figures = _gold_figures()
    assert figures["items"] >= 100
    assert figures["actor_f1"] >= 0.93
    assert figures["claim_type_accuracy"] >= 0.85
    assert figures["attributed_state_f1"] >= 0.85
    assert figures["victim_country_f1"] >= 0.8
    assert figures["trap_false_positives"] <= 2


def test_gold_split_is_deterministic_and_keeps_a_held_back_part() -> None:
    from bench.entities_gold import gold_items, split_of

    splits = [item.split for item in gold_items()]
    assert 0.2 < splits.count("held") / len(splits) < 0.4
    assert all(split_of(item.id) == item.split for item in gold_items())


@pytest.mark.parametrize("text", [
    "The giant sandworm swallows the harvester in the first act of the film.",
    "Fans cheered when the Sandworm rose on the big screen in the new Dune movie.",
    "A marine sandworm is sold as bait to anglers.",
    "The toy store sold out of Fancy Bear plush toys.",
    "We stayed at the Cozy Bear Lodge, and breakfast was lovely.",
    "Callisto is the second-largest moon of Jupiter.",
    "The probe will pass Mercury before entering orbit.",
    "Students solved the Equation on the whiteboard.",
    "The pastor's sermon retold how Lazarus was raised from the dead.",
    "The Reapers lost at home and the coach blamed the defence.",
    "In the film, the hackers of Sandworm Industries steal a spaceship.",
])
def test_trap_sentences_name_no_actor(text: str) -> None:
    assert _actors(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("A toy maker said its servers were breached by Fancy Bear hackers.", ["APT28"]),
    ("Not the film: Sandworm, the Russian military hacking unit, hit the grid again.", ["Sandworm Team"]),
])
def test_a_hard_threat_word_beside_the_name_beats_the_veto(text: str, expected: list[str]) -> None:
    assert _actors(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("APT41, also called Winnti, broke into state networks.", ["APT41"]),
    ("Winnti, a name some researchers also use for APT41, was seen again.", ["Winnti Group"]),
    ("APT29 (Cozy Bear, Midnight Blizzard) read the email.", ["APT29"]),
    ("APT41 and Winnti are tracked as separate groups by the vendor.", ["APT41", "Winnti Group"]),
])
def test_an_alias_run_reports_one_actor(text: str, expected: list[str]) -> None:
    assert _actors(text) == expected


def test_attributing_and_victim_states_stay_apart_from_the_accused() -> None:
    text = "The UK and the US accused Russia's GRU of hacking Ukraine's power companies."
    states = sponsoring_states(text, [], default_taxonomy())
    assert states == ["RU"]
    assert victim_countries(text, states) == ["UA"]


def test_a_state_speaking_of_its_own_institutions_is_the_victim() -> None:
    text = "Estonia's foreign minister said GRU officers broke into the economy ministry."
    states = sponsoring_states(text, [], default_taxonomy())
    assert states == ["RU"]
    assert victim_countries(text, states) == ["EE"]
