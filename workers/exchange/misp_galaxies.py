"""MISP galaxy clusters for what a story names: the threat-actor cluster of each
taxonomy actor, the country cluster of each victim country, the sector cluster
of each sector, and the ATT&CK attack-pattern cluster of each technique, as the
tags MISP attaches clusters by (``misp-galaxy:threat-actor="APT31"``).

MISP finds a cluster by its exact value, and our taxonomy's names are not
always the galaxy's (ATT&CK calls G0128 "ZIRCONIUM", the galaxy "APT31"), so
the values come from a crosswalk generated from the MISP galaxy files
(``misp_galaxy_values.json`` beside this module; CC0 1.0 / BSD-2-Clause data):

    python -m workers.exchange.misp_galaxies /path/to/misp-galaxy/clusters

regenerates it for the current taxonomy (``coverwatch taxonomy import`` first).
An actor the galaxy does not know gets its taxonomy name: MISP then keeps the
tag as a plain tag, which still finds the event.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from coverwatch.taxonomy import Actor, Taxonomy, default_taxonomy

VALUES_FILE = Path(__file__).with_name("misp_galaxy_values.json")

# Our sector words (workers/entities/sectors.py) -> the MISP sector galaxy's values.
# Elections have no sector of their own there: their targets are parties and
# campaign staff, so "Political party" is the nearest.
SECTOR_VALUES = {
    "government": "Government, Administration", "defence": "Defense", "diplomatic": "Diplomacy",
    "energy": "Energy", "water": "Water", "telecommunications": "Telecoms", "healthcare": "Health",
    "finance": "Finance", "cryptocurrency": "Finance", "technology": "Technology", "aerospace": "Aerospace",
    "transportation": "Transport", "education": "Education", "media": "News - Media",
    "elections": "Political party", "think-tanks": "Think Tanks", "industrial": "Industrial",
}


def galaxy_tag(galaxy: str, value: str) -> str:
    """The tag MISP attaches galaxy ``galaxy``'s cluster ``value`` by; a double
    quote cannot be escaped in a tag name, so it is dropped."""
    return f'misp-galaxy:{galaxy}="{value.replace(chr(34), "")}"'


@lru_cache(maxsize=1)
def galaxy_values() -> Mapping[str, Mapping[str, str]]:
    """The crosswalk: ``{"threat-actor": {actor id: value}, "country": {ISO: value}}``."""
    document = json.loads(VALUES_FILE.read_text(encoding="utf-8"))
    return {"threat-actor": document["threat-actor"], "country": document["country"]}


def actor_tag(actor_id: str, taxonomy: Taxonomy | None = None) -> str | None:
    """The threat-actor cluster tag of a taxonomy actor; None for an id the taxonomy lacks."""
    value = galaxy_values()["threat-actor"].get(actor_id)
    if value is None:
        actor = (taxonomy or default_taxonomy()).by_id.get(actor_id)
        if actor is None:
            return None
        value = actor.name
    return galaxy_tag("threat-actor", value)


def country_tag(code: str) -> str | None:
    value = galaxy_values()["country"].get(code.upper())
    return galaxy_tag("country", value) if value else None


def sector_tag(sector: str) -> str | None:
    value = SECTOR_VALUES.get(sector)
    return galaxy_tag("sector", value) if value else None


def technique_tag(technique_id: str, name: str | None) -> str:
    """MISP's attack-pattern cluster values read "Name - T1566.001"; without a
    name the id alone is a plain tag that still says which technique."""
    return galaxy_tag("mitre-attack-pattern", f"{name} - {technique_id}" if name else technique_id)


def _match_score(actor: Actor, cluster: Mapping[str, Any]) -> tuple[int, int]:
    """How well a galaxy cluster fits an actor: its value being the actor's own
    name beats it being an alias, which beats sharing synonyms only; then the
    number of names they share."""
    names = {name.casefold() for name in actor.names}
    value = str(cluster["value"]).casefold()
    cluster_names = {value, *(str(s).casefold() for s in cluster.get("meta", {}).get("synonyms", []))}
    rank = 2 if value == actor.name.casefold() else 1 if value in names else 0
    return rank, len(names & cluster_names)


def actor_crosswalk(actors: Iterable[Actor], clusters: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Taxonomy actor id -> the galaxy value of its cluster, for the actors the galaxy knows.
    Actors imported from MISP itself (``MISP-`` and the cluster uuid's first 8
    hex digits) are found by uuid, the rest by any shared name."""
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    by_uuid_prefix: dict[str, Mapping[str, Any]] = {}
    for cluster in clusters:
        by_uuid_prefix[str(cluster.get("uuid", ""))[:8]] = cluster
        for name in (cluster["value"], *cluster.get("meta", {}).get("synonyms", [])):
            by_name.setdefault(str(name).casefold(), []).append(cluster)
    crosswalk: dict[str, str] = {}
    for actor in actors:
        if actor.id.startswith("MISP-") and actor.id[5:] in by_uuid_prefix:
            crosswalk[actor.id] = str(by_uuid_prefix[actor.id[5:]]["value"])
            continue
        candidates = [cluster for name in actor.names for cluster in by_name.get(name.casefold(), ())]
        if candidates:
            best = max(candidates, key=lambda cluster: _match_score(actor, cluster))
            crosswalk[actor.id] = str(best["value"])
    return crosswalk


def country_crosswalk(clusters: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """ISO 3166 alpha-2 -> the country galaxy's value ("CN" -> "china")."""
    return {str(cluster["meta"]["ISO"]).upper(): str(cluster["value"])
            for cluster in clusters if cluster.get("meta", {}).get("ISO")}


def build_values_file(galaxy_dir: Path, taxonomy: Taxonomy, output: Path = VALUES_FILE) -> dict[str, int]:
    """Write the crosswalk from the galaxy's ``threat-actor.json`` and
    ``country.json``; returns how many entries each part has."""
    actors = json.loads((galaxy_dir / "threat-actor.json").read_text(encoding="utf-8"))
    countries = json.loads((galaxy_dir / "country.json").read_text(encoding="utf-8"))
    document = {
        "source": "MISP galaxy clusters threat-actor and country (github.com/MISP/misp-galaxy), "
                  "CC0 1.0 or BSD-2-Clause; generated by python -m workers.exchange.misp_galaxies",
        "threat-actor": dict(sorted(actor_crosswalk(taxonomy.actors, actors["values"]).items())),
        "country": dict(sorted(country_crosswalk(countries["values"]).items())),
    }
    output.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    galaxy_values.cache_clear()
    return {part: len(document[part]) for part in ("threat-actor", "country")}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m workers.exchange.misp_galaxies MISP_GALAXY_CLUSTERS_DIR")
    print(build_values_file(Path(sys.argv[1]), default_taxonomy()))
