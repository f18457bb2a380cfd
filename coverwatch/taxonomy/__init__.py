"""The threat-actor taxonomy and country gazetteer every stage shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
ACTORS_FILE = HERE / "actors.yml"
# Curated entries merged with the MISP and ATT&CK imports (`coverwatch taxonomy import`).
MERGED_FILE = HERE / "actors.merged.yml"
COUNTRIES_FILE = HERE / "countries.yml"


class TaxonomyError(ValueError):
    """The taxonomy file is inconsistent (duplicate ids, an alias on two actors, ...)."""


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    ambiguous: frozenset[str] = frozenset()  # case-folded
    state: str | None = None
    sponsor: str = ""
    sectors: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def is_ambiguous(self, alias: str) -> bool:
        return alias.casefold() in self.ambiguous


@dataclass
class Taxonomy:
    actors: list[Actor]
    by_id: dict[str, Actor] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {}
        owner: dict[str, str] = {}
        for actor in self.actors:
            if actor.id in self.by_id:
                raise TaxonomyError(f"duplicate actor id {actor.id}")
            self.by_id[actor.id] = actor
            for alias in actor.names:
                key = alias.casefold()
                if key in owner and owner[key] != actor.id:
                    raise TaxonomyError(f"alias {alias!r} belongs to {owner[key]} and {actor.id}")
                owner[key] = actor.id

    def to_yaml_dict(self) -> dict[str, Any]:
        return {"actors": [actor_to_dict(actor) for actor in self.actors]}


def actor_from_dict(entry: dict[str, Any]) -> Actor:
    return Actor(
        id=str(entry["id"]), name=str(entry["name"]),
        aliases=tuple(str(alias) for alias in entry.get("aliases", [])),
        ambiguous=frozenset(str(alias).casefold() for alias in entry.get("ambiguous", [])),
        state=entry.get("state"), sponsor=str(entry.get("sponsor", "")),
        sectors=tuple(entry.get("sectors", [])))


def actor_to_dict(actor: Actor) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": actor.id, "name": actor.name, "aliases": list(actor.aliases)}
    ambiguous = [alias for alias in actor.names if alias.casefold() in actor.ambiguous]
    if ambiguous:
        entry["ambiguous"] = ambiguous
    entry.update({"state": actor.state, "sponsor": actor.sponsor, "sectors": list(actor.sectors)})
    return entry


def load_taxonomy(path: Path = ACTORS_FILE) -> Taxonomy:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Taxonomy([actor_from_dict(entry) for entry in document["actors"]])


@lru_cache(maxsize=4)
def default_taxonomy() -> Taxonomy:
    """The merged taxonomy when it has been generated, else the curated one."""
    return load_taxonomy(MERGED_FILE if MERGED_FILE.exists() else ACTORS_FILE)


def save_taxonomy(taxonomy: Taxonomy, path: Path, header: str = "") -> None:
    text = yaml.safe_dump(taxonomy.to_yaml_dict(), sort_keys=False, allow_unicode=True, width=120)
    path.write_text(header + text, encoding="utf-8")


@dataclass(frozen=True)
class CountryNames:
    code: str
    names: tuple[str, ...]
    adjectives: tuple[str, ...]


@lru_cache(maxsize=1)
def countries() -> tuple[CountryNames, ...]:
    document = yaml.safe_load(COUNTRIES_FILE.read_text(encoding="utf-8"))
    entries = []
    for code, forms in document["countries"].items():
        names = tuple(forms[0])
        adjectives = tuple(forms[1]) if len(forms) > 1 else ()
        entries.append(CountryNames(str(code), names, adjectives))
    return tuple(entries)
