from pathlib import Path

import pytest

from coverwatch.settings import PROJECT_ROOT
from coverwatch.taxonomy import ACTORS_FILE, MERGED_FILE, Taxonomy, TaxonomyError, load_taxonomy
from coverwatch.taxonomy.importers import merge_attack, merge_misp

REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"


def test_curated_taxonomy_is_consistent() -> None:
    taxonomy = load_taxonomy(ACTORS_FILE)
    assert len(taxonomy.actors) >= 45
    apt28 = taxonomy.by_id["G0007"]
    assert {"Fancy Bear", "Sofacy", "Forest Blizzard", "STRONTIUM"} <= set(apt28.aliases)
    assert apt28.state == "RU"
    assert taxonomy.by_id["G1017"].name == "Volt Typhoon"
    assert all(actor.state for actor in taxonomy.actors)


def test_merged_taxonomy_keeps_every_curated_alias() -> None:
    curated, merged = load_taxonomy(ACTORS_FILE), load_taxonomy(MERGED_FILE)
    for actor in curated.actors:
        assert set(actor.aliases) <= set(merged.by_id[actor.id].aliases)
        assert merged.by_id[actor.id].state == actor.state


def test_an_alias_on_two_actors_is_refused() -> None:
    from coverwatch.taxonomy import Actor

    with pytest.raises(TaxonomyError, match="belongs to"):
        Taxonomy([Actor("A1", "One", ("Shared Name",)), Actor("A2", "Two", ("shared name",))])


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference copies live beside the repository")
def test_attack_import_adds_aliases_and_groups_without_stealing() -> None:
    curated = load_taxonomy(ACTORS_FILE)
    merged, report = merge_attack(curated, REFERENCE / "mitre-attack" / "intrusion_sets_stix.json")
    assert report.new_actors > 50
    assert "G0018" in merged.by_id  # admin@338, not curated here
    assert merged.by_id["G0007"].aliases[: len(curated.by_id["G0007"].aliases)] == curated.by_id["G0007"].aliases
    owners: dict[str, str] = {}
    for actor in merged.actors:
        for alias in actor.names:
            assert owners.setdefault(alias.casefold(), actor.id) == actor.id


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference copies live beside the repository")
def test_misp_import_only_creates_state_actors_and_flags_word_aliases() -> None:
    merged, _ = merge_misp(load_taxonomy(ACTORS_FILE), REFERENCE / "misp-galaxy" / "threat-actor.json")
    created = [actor for actor in merged.actors if actor.id.startswith("MISP-")]
    assert created and all(actor.state for actor in created)
    one_word = [a for actor in created for a in actor.names if a.isalpha() and a[1:].islower()]
    assert all(any(a.casefold() in actor.ambiguous for actor in created) for a in one_word[:50])


def test_importers_read_minimal_files(tmp_path: Path) -> None:
    misp = tmp_path / "misp.json"
    misp.write_text('{"values": [{"value": "Fancy Bear", "uuid": "1", "meta": {"synonyms": ["Pawn Storm", '
                    '"IRON TWILIGHT", "Brand New Alias"]}}, {"value": "Quiet Heron", "uuid": "2", '
                    '"meta": {"cfr-suspected-state-sponsor": "China", "synonyms": ["Heron"]}}]}')
    merged, report = merge_misp(load_taxonomy(ACTORS_FILE), misp)
    assert "Brand New Alias" in merged.by_id["G0007"].aliases
    heron = next(actor for actor in merged.actors if actor.name == "Quiet Heron")
    assert heron.state == "CN" and heron.is_ambiguous("Heron")
    assert report.new_actors == 1 and report.merged_aliases == 1


def test_an_entry_lumping_two_known_actors_creates_nothing(tmp_path: Path) -> None:
    misp = tmp_path / "lumped.json"
    misp.write_text('{"values": [{"value": "G0096", "uuid": "9", "meta": {"cfr-suspected-state-sponsor": "China", '
                    '"synonyms": ["APT41", "Winnti", "LEAD", "Red Kelpie"]}}]}')
    merged, report = merge_misp(load_taxonomy(ACTORS_FILE), misp)
    assert report.new_actors == 0 and report.skipped_collisions == 1
    assert "LEAD" not in merged.by_id["G0096"].aliases and "Red Kelpie" not in merged.by_id["G0044"].aliases
