"""Merge public knowledge bases into the taxonomy: a MISP galaxy
``threat-actor.json`` and an ATT&CK STIX bundle of intrusion sets.

Curated entries win: an import only adds aliases an actor lacks, and never an
alias another actor already owns. Imported one-word aliases that read like
ordinary words are marked ambiguous, so they need threat context to count.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from coverwatch.taxonomy import Actor, Taxonomy, countries

_MISP_STATE_NAMES = {
    "russian federation": "RU", "russia": "RU", "china": "CN", "iran (islamic republic of)": "IR",
    "iran": "IR", "korea (democratic people's republic of)": "KP", "north korea": "KP",
    "korea (republic of)": "KR", "south korea": "KR", "viet nam": "VN", "vietnam": "VN",
    "united states": "US", "israel": "IL", "india": "IN", "pakistan": "PK",
}
_ATTACK_STATE = re.compile(
    r"\b(?:attributed to|associated with|linked to|tied to|operating on behalf of|on behalf of|"
    r"working for|sponsored by|part of)\s+(?:the\s+)?(?:government of\s+)?"
    r"(Russia|China|North Korea|Iran|Vietnam|Pakistan|India|Israel|South Korea|Belarus|Lebanon|"
    r"the Democratic People's Republic of Korea|the People's Republic of China)", re.IGNORECASE)
_DEMONYM_STATE = re.compile(
    r"\b(Russian|Chinese|North Korean|Iranian|Vietnamese|Pakistani|Indian|Belarusian|Lebanese)"
    r"(?:\s+state)?[- ](?:sponsored|based|nexus|government|military|intelligence)", re.IGNORECASE)


AMBIGUOUS = "\0ambiguous"


@dataclass
class ImportReport:
    merged_aliases: int = 0
    new_actors: int = 0
    skipped_collisions: int = 0


def _state_from_name(name: str | None) -> str | None:
    if not name:
        return None
    lowered = name.casefold()
    if lowered in _MISP_STATE_NAMES:
        return _MISP_STATE_NAMES[lowered]
    if len(name) == 2 and name.isalpha():
        return name.upper()
    for country in countries():
        if lowered in (form.casefold() for form in (*country.names, *country.adjectives)):
            return country.code
    return None


def _looks_like_a_word(alias: str) -> bool:
    """"Cobalt", "silence", "LEAD": one run of letters, which text may use as a plain word."""
    return bool(re.fullmatch(r"[A-Z]?[a-z]+", alias)) or (bool(re.fullmatch(r"[A-Z]+", alias)) and len(alias) >= 3)


class _Merger:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.actors: dict[str, Actor] = {actor.id: actor for actor in taxonomy.actors}
        self.owner: dict[str, str] = {}
        for actor in taxonomy.actors:
            for alias in actor.names:
                self.owner[alias.casefold()] = actor.id
        self.report = ImportReport()

    def find(self, attack_id: str | None, names: Iterable[str]) -> str | None:
        """The known actor an entry describes; AMBIGUOUS when its names belong to several."""
        if attack_id and attack_id in self.actors:
            return attack_id
        owners = {self.owner[name.casefold()] for name in names if name.casefold() in self.owner}
        if len(owners) > 1:
            return AMBIGUOUS
        return owners.pop() if owners else None

    def merge(self, actor_id: str | None, entry_id: str, name: str, aliases: list[str],
              state: str | None, sectors: list[str], may_create: bool = True) -> None:
        usable = [a.strip() for a in dict.fromkeys([name, *aliases]) if len(a.strip()) > 3]
        if actor_id == AMBIGUOUS:
            # One entry naming two known actors (vendors lump groups differently):
            # neither gains its aliases, and no third actor is made of the rest.
            self.report.skipped_collisions += 1
            return
        if actor_id is None:
            if not may_create:
                return
            fresh = [a for a in usable if a.casefold() not in self.owner]
            if not fresh or entry_id in self.actors:
                return
            actor = Actor(id=entry_id, name=fresh[0], aliases=tuple(fresh[1:]),
                          ambiguous=frozenset(a.casefold() for a in fresh if _looks_like_a_word(a)),
                          state=state, sectors=tuple(sectors))
            self.actors[actor.id] = actor
            for alias in fresh:
                self.owner[alias.casefold()] = actor.id
            self.report.new_actors += 1
            return
        actor = self.actors[actor_id]
        added: list[str] = []
        for alias in usable:
            holder = self.owner.get(alias.casefold())
            if holder is None:
                added.append(alias)
                self.owner[alias.casefold()] = actor_id
            elif holder != actor_id:
                self.report.skipped_collisions += 1
        if added:
            self.actors[actor_id] = replace(
                actor, aliases=(*actor.aliases, *added),
                ambiguous=actor.ambiguous | {a.casefold() for a in added if _looks_like_a_word(a)},
                state=actor.state or state)
            self.report.merged_aliases += len(added)

    def taxonomy(self) -> Taxonomy:
        return Taxonomy(list(self.actors.values()))


def merge_misp(taxonomy: Taxonomy, path: Path, state_actors_only: bool = True) -> tuple[Taxonomy, ImportReport]:
    """MISP's galaxy mixes criminal and state groups; by default only entries with a
    suspected sponsoring state become new actors (all may add aliases to known ones)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    merger = _Merger(taxonomy)
    for entry in document.get("values", []):
        meta = entry.get("meta", {})
        name = entry.get("value", "")
        aliases = list(meta.get("synonyms", []))
        state = _state_from_name(meta.get("country")) or _state_from_name(meta.get("cfr-suspected-state-sponsor"))
        sectors = [str(s).casefold() for s in meta.get("cfr-target-category", [])]
        found = merger.find(None, [name, *aliases])
        merger.merge(found, f"MISP-{str(entry.get('uuid', name))[:8]}", name, aliases, state, sectors,
                     may_create=bool(state) or not state_actors_only)
    return merger.taxonomy(), merger.report


def merge_attack(taxonomy: Taxonomy, path: Path) -> tuple[Taxonomy, ImportReport]:
    document = json.loads(path.read_text(encoding="utf-8"))
    objects = document["objects"] if isinstance(document, dict) else document
    merger = _Merger(taxonomy)
    for entry in objects:
        if entry.get("type") != "intrusion-set" or entry.get("revoked") or entry.get("x_mitre_deprecated"):
            continue
        attack_id = next((ref.get("external_id") for ref in entry.get("external_references", [])
                          if ref.get("source_name") == "mitre-attack"), None)
        if not attack_id:
            continue
        description = entry.get("description", "")
        match = _ATTACK_STATE.search(description) or _DEMONYM_STATE.search(description)
        state = _state_from_name(match.group(1).removeprefix("the ")) if match else None
        names = [entry["name"], *entry.get("aliases", [])]
        found = merger.find(attack_id, names)
        merger.merge(found, attack_id, entry["name"], entry.get("aliases", []), state, [])
    return merger.taxonomy(), merger.report
