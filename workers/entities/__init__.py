"""Find the field's entities in article text: threat actors (alias-resolved),
sponsoring states, victim countries, sectors, malware and CVE ids. Pure functions,
one module per kind; this package names what the enrich stage and others use.
Sentences are split by workers/phrases.py (English) and workers/lang (the others)."""

from __future__ import annotations

from workers.entities.actors import ActorMatcher, ActorMention, default_matcher
from workers.entities.countries import (
    STATE_AGENCIES,
    CountryMention,
    country_mentions,
    sponsoring_states,
    victim_countries,
)
from workers.entities.cves import CVE_PATTERN, cve_ids
from workers.entities.malware import KNOWN_MALWARE, malware_names
from workers.entities.sectors import SECTOR_PHRASES, sectors

__all__ = [
    "CVE_PATTERN",
    "KNOWN_MALWARE",
    "SECTOR_PHRASES",
    "STATE_AGENCIES",
    "ActorMatcher",
    "ActorMention",
    "CountryMention",
    "country_mentions",
    "cve_ids",
    "default_matcher",
    "malware_names",
    "sectors",
    "sponsoring_states",
    "victim_countries",
]
