"""Indicators of compromise and ATT&CK techniques with their tactics (issue 23):
the fields the threat-intel exchange (STIX, MISP, TAXII, feeds) reads. The
extractors are workers/indicators/ and workers/techniques.py."""

from __future__ import annotations

from functools import lru_cache

from workers.enrichers import EnrichmentContext, enricher
from workers.indicators import extract_indicators
from workers.techniques import find_techniques, tactics_of


@enricher("indicators")
def indicators_named(context: EnrichmentContext) -> list[dict[str, str]]:
    return [indicator.to_dict()
            for indicator in extract_indicators(context.text, outlet_domains=context.outlet_domains)]


@lru_cache(maxsize=32)
def _techniques(text: str) -> tuple[str, ...]:
    # Both the techniques and the tactics field read them.
    return tuple(find_techniques(text))


@enricher("techniques")
def techniques_named(context: EnrichmentContext) -> list[str]:
    return list(_techniques(context.text))


@enricher("tactics")
def tactics_served(context: EnrichmentContext) -> list[str]:
    return tactics_of(_techniques(context.text))
