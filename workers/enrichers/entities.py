"""Sectors, malware and CVE ids: entity lists that need nothing but the text
(and, for malware, the found actors' names). The extractors are in workers/entities/;
CVE ids are the ``cve`` indicators of workers/indicators/."""

from __future__ import annotations

from workers.enrichers import EnrichmentContext, enricher
from workers.entities import malware_names, sectors


@enricher("sectors")
def sectors_named(context: EnrichmentContext) -> list[str]:
    return sectors(context.text)


@enricher("malware")
def malware_named(context: EnrichmentContext) -> list[str]:
    # An actor's alias is not malware, even where a vendor names both alike.
    return malware_names(context.text, context.alias_words)


@enricher("cves")
def cves_named(context: EnrichmentContext) -> list[str]:
    # The cve indicators (workers/indicators/), read once for both fields.
    return [indicator.value for indicator in context.indicators if indicator.type == "cve"]
