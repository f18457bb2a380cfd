"""What every STIX bundle of Coverwatch's shares: the TLP marking, the producer
identity, and how Coverwatch's own values (sectors, states, ATT&CK technique
ids) are said in STIX's vocabularies.

TLP: the OASIS TLP 2.0 marking definitions (cti-stix-common-objects,
``extension-definition--60a3c5c5-…``, the ``tlp_2_0`` property extension) with
their published fixed ids, not stix2's TLP 1.0 objects (``TLP_WHITE`` …): TLP
2.0 has CLEAR and AMBER+STRICT, which 1.0 lacks, and OpenCTI and MISP recognise
these ids as their TLP 2.0 markings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import stix2

from coverwatch.taxonomy.attack import attack_table
from workers.exchange import ExchangeOptions, stable_uuid

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKING_IDS: Mapping[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
# The producer identity is one fixed version, the same in every bundle, so a
# consumer holds one copy of it.
PRODUCER_SINCE = datetime(2024, 1, 1, tzinfo=UTC)

# Coverwatch's sectors (workers/entities/sectors.py) in STIX's industry-sector-ov,
# where one fits; the others are identities named for the sector, without ``sectors``.
STIX_SECTORS: Mapping[str, str] = {
    "government": "government-national", "defence": "defense", "diplomatic": "government-national",
    "energy": "energy", "water": "water", "telecommunications": "telecommunications",
    "healthcare": "healthcare", "finance": "financial-services", "cryptocurrency": "financial-services",
    "technology": "technology", "aerospace": "aerospace", "transportation": "transportation",
    "education": "education", "think-tanks": "non-profit", "industrial": "manufacturing",
}
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
ATTACK_GROUP_ID = re.compile(r"^G\d{4}$")


def tlp_marking(level: str) -> stix2.MarkingDefinition:
    """The TLP 2.0 marking definition of ``level`` (clear, green, amber, amber+strict, red)."""
    if level not in TLP2_MARKING_IDS:
        raise ValueError(f"no TLP 2.0 level {level!r}; one of {', '.join(TLP2_MARKING_IDS)}")
    return stix2.MarkingDefinition(
        id=TLP2_MARKING_IDS[level], created=TLP2_CREATED, name=f"TLP:{level.upper()}",
        extensions={TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}})


def producer_identity(options: ExchangeOptions) -> stix2.Identity:
    """Who made the bundle: the deployment, named by ``exchange_producer``."""
    return stix2.Identity(
        id=f"identity--{stable_uuid('producer', options.producer)}", name=options.producer,
        identity_class="organization", created=PRODUCER_SINCE, modified=PRODUCER_SINCE,
        description="Coverage of state-sponsored cyber espionage, collected and clustered into stories by "
                    "Coverwatch", contact_information=options.public_url,
        object_marking_refs=[TLP2_MARKING_IDS[options.tlp]])




def technique_url(technique_id: str) -> str:
    return "https://attack.mitre.org/techniques/" + technique_id.replace(".", "/") + "/"


@dataclass(frozen=True)
class TechniqueDetails:
    """What an attack-pattern says of an ATT&CK technique id."""

    name: str
    tactics: tuple[str, ...]  # short names: initial-access
    kill_chain: str  # mitre-attack, or mitre-mobile-attack for the mobile matrix


def technique_details(technique_id: str) -> TechniqueDetails:
    """An ATT&CK technique's name, tactics and matrix from the technique table
    (workers/techniques.py); the id alone for one the table lacks."""
    technique = attack_table().by_id.get(technique_id)
    if technique is None:
        return TechniqueDetails(technique_id, (), "mitre-attack")
    kill_chain = "mitre-mobile-attack" if technique.domain == "mobile" else "mitre-attack"
    return TechniqueDetails(technique.name, technique.tactics, kill_chain)
