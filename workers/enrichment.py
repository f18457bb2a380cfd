"""The enrich stage: one article in, the same article with its field entities,
attribution claim and topic relevance filled in. Pure.

Actors, states and victims, the claim and the relevance are found here, in this
order, as each needs the ones before; every field a row of coverwatch/fields.py
marks ``enriched`` is then filled by its enricher (workers/enrichers/), which
reads what was found from one :class:`EnrichmentContext`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from coverwatch.fields import ARTICLE_FIELDS, ArticleField, enriched_fields
from coverwatch.models import Article
from coverwatch.taxonomy import Taxonomy
from workers.claims import classify_claim
from workers.enrichers import ENRICHERS, Enricher, EnrichmentContext
from workers.entities import ActorMatcher, country_mentions, sponsoring_states, victim_countries
from workers.lang import detect_language
from workers.relevance import score_relevance


def enrich(article: Article, taxonomy: Taxonomy, matcher: ActorMatcher,
           table: Iterable[ArticleField] = ARTICLE_FIELDS, enrichers: Mapping[str, Enricher] = ENRICHERS) -> Article:
    text = f"{article.title}\n{article.lead}\n{article.body}"
    # Sources default to English; the script and function words say otherwise.
    article.language = language = detect_language(text, article.language)
    actor_ids = matcher.actor_ids(text, language)
    actors = [taxonomy.by_id[actor_id] for actor_id in actor_ids]
    countries = country_mentions(text, language)
    states = sponsoring_states(text, actor_ids, taxonomy, countries, language)
    alias_words = frozenset(alias.casefold() for actor in actors for alias in actor.names)
    article.actors = actor_ids
    article.actor_names = [actor.name for actor in actors]
    article.attributed_states = states
    article.victim_countries = victims = victim_countries(text, states, countries, language)
    claim = classify_claim(article.title, f"{article.lead}\n{article.body}", language, actors)
    article.claim_type = claim.type.value if claim else None
    article.claim_evidence = claim.evidence if claim else None
    article.claimant = claim.claimant if claim else None
    relevance = score_relevance(article.title, article.lead, article.body, actors, article.claim_type,
                                language=language)
    article.relevance = relevance.score
    article.relevance_evidence = relevance.evidence
    article.relevance_band = relevance.band.value
    article.relevance_model_version = relevance.model_version
    article.on_topic = relevance.on_topic
    context = EnrichmentContext(
        title=article.title, lead=article.lead, body=article.body, text=text, language=language,
        source=article.source, taxonomy=taxonomy, actor_ids=tuple(actor_ids), actors=tuple(actors),
        alias_words=alias_words, countries=tuple(countries), attributed_states=tuple(states),
        victim_countries=tuple(victims), claim=claim, relevance=relevance, outlet_domains=outlet_hosts(article))
    article.set_fields(run_enrichers(context, table, enrichers), table)
    return article


def outlet_hosts(article: Article) -> tuple[str, ...]:
    """The hosts of the article's URL and canonical URL, each once."""
    hosts = (urlsplit(url).hostname for url in (article.url, article.canonical_url) if url)
    return tuple(dict.fromkeys(host for host in hosts if host))


def run_enrichers(context: EnrichmentContext, table: Iterable[ArticleField] = ARTICLE_FIELDS,
                  enrichers: Mapping[str, Enricher] = ENRICHERS) -> dict[str, object]:
    """Each enriched field of ``table`` by its enricher, in table order."""
    values: dict[str, object] = {}
    for field in enriched_fields(table):
        if field not in enrichers:
            raise LookupError(f"article field {field!r} is marked enriched but no enricher is registered for it")
        values[field] = enrichers[field](context)
    return values
