"""How facet values read to an analyst and how an analyst's words become the
values articles carry: actor ids behind aliases, ISO codes behind country names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from coverwatch.fields import ARTICLE_FIELDS, ArticleField, Vocabulary, facet_rows
from coverwatch.taxonomy import Actor, Taxonomy, countries, default_taxonomy
from coverwatch.taxonomy.attack import tactic_label, tactic_name, technique_id, technique_label

BAND_LABELS = {"on_topic": "on-topic", "possible": "possibly on-topic", "off_topic": "off-topic"}


def facet_titles(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, str]:
    """Facet name -> its heading, in the order of the page (coverwatch/fields.py)."""
    return {row.facet.name: row.facet.title for row in facet_rows(table) if row.facet}


def facet_vocabularies(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, Vocabulary]:
    """Facet name -> the vocabulary of its field's values (actor, country, band), where it has one."""
    return {row.facet.name: row.vocabulary for row in facet_rows(table) if row.facet and row.vocabulary}


FACET_TITLES = facet_titles()
FACET_VOCABULARIES = facet_vocabularies()
COUNTRY_FACETS = tuple(name for name, vocabulary in FACET_VOCABULARIES.items() if vocabulary == "country")


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


def stored_value(vocabulary: Vocabulary | None, value: str, taxonomy: Taxonomy | None = None) -> str:
    """A value as typed to the value articles hold, in a field of this vocabulary."""
    if vocabulary == "actor":
        actor = find_actor(value, taxonomy)
        return actor.id if actor else value
    if vocabulary == "country":
        return country_code(value)
    if vocabulary == "technique":
        return technique_id(value) or value
    if vocabulary == "tactic":
        return tactic_name(value) or value
    return value


def normalise_terms(terms: Mapping[str, Sequence[str]], taxonomy: Taxonomy | None = None) -> dict[str, tuple[str, ...]]:
    """Filter values as typed (an alias, a country name) to the values stored on
    articles (an actor id, an ISO code); blanks dropped, order kept, no repeats."""
    normalised: dict[str, tuple[str, ...]] = {}
    for facet, values in terms.items():
        stored: list[str] = []
        for value in (value.strip() for value in values):
            if not value:
                continue
            value = stored_value(FACET_VOCABULARIES.get(facet), value, taxonomy)
            if value not in stored:
                stored.append(value)
        if stored:
            normalised[facet] = tuple(stored)
    return normalised


def facet_label(facet: str, value: str, taxonomy: Taxonomy | None = None) -> str:
    """'G0007' reads 'APT28', 'RU' reads 'Russia', 'possible' reads 'possibly on-topic',
    'T1566.001' reads 'T1566.001 Spearphishing Attachment'."""
    return value_label(FACET_VOCABULARIES.get(facet), value, taxonomy)


def value_label(vocabulary: Vocabulary | None, value: str, taxonomy: Taxonomy | None = None) -> str:
    """How a stored value of a field of this vocabulary reads."""
    if vocabulary == "actor":
        actor = (taxonomy or default_taxonomy()).by_id.get(value)
        return actor.name if actor else value
    if vocabulary == "country":
        return _country_names().get(value, value)
    if vocabulary == "band":
        return BAND_LABELS.get(value, value)
    if vocabulary == "technique":
        return technique_label(value)
    if vocabulary == "tactic":
        return tactic_label(value)
    return value
