"""MITRE ATT&CK techniques and tactics as data: the table every stage reads
(coverwatch/taxonomy/attack_techniques.json, generated from the MISP galaxy's
mitre-attack-pattern cluster by workers/techniques_table.py), their ids and
names, and how a facet, a rule or an export names them. Finding techniques in
an article's text is workers/techniques.py; this is core, read once per process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TECHNIQUES_FILE = Path(__file__).with_name("attack_techniques.json")

# ATT&CK's enterprise tactics in its own order (short name -> title).
TACTIC_TITLES = {
    "reconnaissance": "Reconnaissance", "resource-development": "Resource Development",
    "initial-access": "Initial Access", "execution": "Execution", "persistence": "Persistence",
    "privilege-escalation": "Privilege Escalation", "defense-evasion": "Defense Evasion",
    "credential-access": "Credential Access", "discovery": "Discovery", "lateral-movement": "Lateral Movement",
    "collection": "Collection", "command-and-control": "Command and Control", "exfiltration": "Exfiltration",
    "impact": "Impact"}


@dataclass(frozen=True)
class Technique:
    id: str  # T1566, T1566.001
    name: str
    parent: str | None
    domain: str  # enterprise or mobile
    tactics: tuple[str, ...]


@dataclass(frozen=True)
class AttackTable:
    by_id: Mapping[str, Technique]
    former_names: tuple[tuple[str, str], ...]  # (a revoked technique's name, the id it became)


@lru_cache(maxsize=1)
def attack_table() -> AttackTable:
    table = json.loads(TECHNIQUES_FILE.read_text(encoding="utf-8"))
    by_id = {row[0]: Technique(row[0], row[1], row[2], row[3], tuple(row[4])) for row in table["techniques"]}
    return AttackTable(by_id, tuple((former, technique_id) for former, technique_id in table["former_names"]))


def technique_label(technique_id: str) -> str:
    """'T1566.001' reads 'T1566.001 Spearphishing Attachment'."""
    technique = attack_table().by_id.get(technique_id)
    return f"{technique_id} {technique.name}" if technique else technique_id


def tactic_label(tactic: str) -> str:
    return TACTIC_TITLES.get(tactic, tactic)


def technique_id(name: str) -> str | None:
    """The technique an analyst typed: an id in any case, a current or former
    name, or a label ('T1566.001 Spearphishing Attachment'); None when unknown."""
    wanted = " ".join(name.split()).casefold()
    table = attack_table()
    head = wanted.split(" ", 1)[0].upper()
    if head in table.by_id:
        return head
    for technique in table.by_id.values():
        if technique.name.casefold() == wanted:
            return technique.id
    return next((technique for former, technique in table.former_names if former.casefold() == wanted), None)


def tactic_name(title: str) -> str | None:
    """The tactic an analyst typed, by short name or title; None when unknown."""
    wanted = "-".join(title.casefold().split())
    return wanted if wanted in TACTIC_TITLES else None
