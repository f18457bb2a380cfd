"""How facet values read to an analyst and how an analyst's words become the
values articles carry: actor ids behind aliases, ISO codes behind country names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from coverwatch.taxonomy import Actor, Taxonomy, countries, default_taxonomy

BAND_LABELS = {"on_topic": "on-topic", "possible": "possibly on-topic", "off_topic": "off-topic"}
COUNTRY_FACETS = ("country", "state", "victim")
FACET_TITLES = {
    "source": "Outlet", "country": "Outlet country", "language": "Language", "actor": "Actor",
    "state": "Attributed state", "victim": "Victim country", "sector": "Sector", "claim": "Claim", "band": "Relevance",
}


@lru_cache(maxsize=1)
def _country_codes() -> Mapping[str, str]:
    by_name: dict[str, str] = {}
    for country in countries():
        for name in (country.code, *country.names, *country.adjectives):
            by_name[name.casefold()] = country.code
    return by_name


@lru_cache(maxsize=1)
def _country_names() -> Mapping[str, str]:
    return {country.code: country.names[0] for country in countries() if country.names}


def find_actor(name: str, taxonomy: Taxonomy | None = None) -> Actor | None:
    """The actor behind an id or any alias, case-insensitively."""
    taxonomy = taxonomy or default_taxonomy()
    if name in taxonomy.by_id:
        return taxonomy.by_id[name]
    wanted = name.strip().casefold()
    for actor in taxonomy.actors:
        if wanted == actor.id.casefold() or any(wanted == alias.casefold() for alias in actor.names):
            return actor
    return None


def country_code(name: str) -> str:
    """The ISO code articles carry for a code, name or adjective; unknown words unchanged."""
    return _country_codes().get(name.strip().casefold(), name.strip())


def normalise_terms(terms: Mapping[str, Sequence[str]], taxonomy: Taxonomy | None = None) -> dict[str, tuple[str, ...]]:
    """Filter values as typed (an alias, a country name) to the values stored on
    articles (an actor id, an ISO code); blanks dropped, order kept, no repeats."""
    normalised: dict[str, tuple[str, ...]] = {}
    for facet, values in terms.items():
        stored: list[str] = []
        for value in (value.strip() for value in values):
            if not value:
                continue
            if facet == "actor":
                actor = find_actor(value, taxonomy)
                value = actor.id if actor else value
            elif facet in COUNTRY_FACETS:
                value = country_code(value)
            if value not in stored:
                stored.append(value)
        if stored:
            normalised[facet] = tuple(stored)
    return normalised


def facet_label(facet: str, value: str, taxonomy: Taxonomy | None = None) -> str:
    """'G0007' reads 'APT28', 'RU' reads 'Russia', 'possible' reads 'possibly on-topic'."""
    if facet == "actor":
        actor = (taxonomy or default_taxonomy()).by_id.get(value)
        return actor.name if actor else value
    if facet in COUNTRY_FACETS:
        return _country_names().get(value, value)
    if facet == "band":
        return BAND_LABELS.get(value, value)
    return value
