"""The enrich stage: one article in, the same article with its field entities,
attribution claim and topic relevance filled in. Pure."""

from __future__ import annotations

from coverwatch.models import Article
from coverwatch.taxonomy import Taxonomy
from workers.claims import classify_claim
from workers.entities import (
    ActorMatcher,
    country_mentions,
    cve_ids,
    malware_names,
    sectors,
    sponsoring_states,
    victim_countries,
)
from workers.lang import detect_language
from workers.relevance import score_relevance


def enrich(article: Article, taxonomy: Taxonomy, matcher: ActorMatcher) -> Article:
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
    article.victim_countries = victim_countries(text, states, countries, language)
    article.sectors = sectors(text)
    article.malware = malware_names(text, alias_words)
    article.cves = cve_ids(text)
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
    return article
