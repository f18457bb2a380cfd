"""The enricher registry: article field -> the pure function that fills it.

A new enrichment field is one module in this package with a function that takes
the :class:`EnrichmentContext` (the article's text and language and what the
enrich stage found in it: actors, countries, states, victims, the claim, the
relevance) and returns the field's value, decorated with :func:`enricher`, plus
one row in coverwatch/fields.py that says ``enriched=True``. workers/enrichment.py
runs the enrichers of the table's enriched rows, in table order, after its own
extractors; every public module here is imported (and so registered) when the
package is, as alerts/rule_types/ does for rule types. A row naming no enricher,
or an enricher with no row, fails the import (:func:`check_enrichers`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from coverwatch.fields import ARTICLE_FIELDS, ArticleField, enriched_fields
from coverwatch.taxonomy import Actor, Taxonomy
from workers.claim_types import Claim
from workers.entities import CountryMention
from workers.indicators import Indicator, extract_indicators
from workers.relevance import Relevance
from workers.techniques import find_techniques


@dataclass(frozen=True)
class EnrichmentContext:
    """One article as the enrich stage has read it; what an enricher may use."""

    title: str
    lead: str
    body: str
    text: str  # title, lead and body, one per line
    language: str  # as detected (workers/lang)
    source: str
    taxonomy: Taxonomy
    actor_ids: tuple[str, ...]  # canonical actor ids found in the text
    actors: tuple[Actor, ...]  # their taxonomy entries
    alias_words: frozenset[str]  # every name of those actors, case-folded
    countries: tuple[CountryMention, ...]  # every country the text mentions
    attributed_states: tuple[str, ...]
    victim_countries: tuple[str, ...]
    claim: Claim | None
    relevance: Relevance
    # The hosts the article was read from (its URL and canonical URL): the outlet's
    # own links and addresses are not indicators.
    outlet_domains: tuple[str, ...] = ()

    # Read by more than one enricher (indicators and cves; techniques and tactics):
    # found once per article, on first use.
    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(extract_indicators(self.text, outlet_domains=self.outlet_domains))

    @cached_property
    def techniques(self) -> tuple[str, ...]:
        return tuple(find_techniques(self.text))


Enricher = Callable[[EnrichmentContext], Any]
SomeEnricher = TypeVar("SomeEnricher", bound=Enricher)

ENRICHERS: dict[str, Enricher] = {}


def enricher(field: str, registry: dict[str, Enricher] = ENRICHERS) -> Callable[[SomeEnricher], SomeEnricher]:
    """Register the decorated function as the extractor of article field ``field``."""
    def register(function: SomeEnricher) -> SomeEnricher:
        if field in registry:
            raise TypeError(f"two enrichers for article field {field!r}: "
                            f"{registry[field].__qualname__} and {function.__qualname__}")
        registry[field] = function
        return function
    return register


def check_enrichers(table: Iterable[ArticleField] = ARTICLE_FIELDS,
                    registry: Mapping[str, Enricher] = ENRICHERS) -> None:
    """Every enriched row has its enricher, and every enricher its row."""
    wanted = set(enriched_fields(table))
    if missing := sorted(wanted - set(registry)):
        raise LookupError(f"article fields marked enriched with no enricher in workers/enrichers/: "
                          f"{', '.join(missing)}")
    if unused := sorted(set(registry) - wanted):
        raise LookupError(f"enrichers with no enriched row in coverwatch/fields.py: {', '.join(unused)}")


def _import_enricher_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_enricher_modules()
check_enrichers()
