"""``attribution``: a government (or agency) formally attributes a chosen actor
(``actors``, any alias in the taxonomy) or state (``attributed_states``), or
attributes an operation against a chosen victim country (``victim_countries``),
for the first time; or, with ``stances: [denies, confirms, declines_to_confirm]``,
a denial or a confirmation appears.

"For the first time" is per claimant kind, stance and target: the first article
of the story to carry a government attribution to APT40 alerts; another outlet
repeating it does not (``scope: story``, the default). With ``scope: actor``, the
first such claim about that actor, state or victim in any story within
``lookback_days`` alerts, and only that one. ``include_unnamed_officials`` also
counts unnamed officials as claimants, ``include_suspects`` a government that
only suspects. A denial by the accused counts when the accused is the state an
actor belongs to (or the state watched).

Runs at index time, in the alert stage after percolation: the claim arrives
with one article, which the message leads with ("first reported by ..."), and
the percolator has already narrowed the rules to those whose query and filters
match it. The cluster stage has written the batch before, so the one search
that asks "did an earlier article of this story carry it?" sees every article
indexed so far; "earlier" is by (time, id), so two workers racing on two
rewrites agree on which one is first, and the development's key (story and
claims) makes any second firing one delivery per subscriber anyway. A beat
evaluation would have had to re-read every story with claims on each tick for
nothing a per-article check does not already know. Only on-topic originals
count, as carriers and as triggers (alerts/bands.py): a possibly on-topic
article is no development of the story for every subscriber.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from alerts.developments import (
    AttributionTargets,
    Carrier,
    Claim,
    carrier_of,
    claim_keys,
    describe_claims,
    digest_of,
    first_claims,
    first_reported,
    with_carrier,
)
from alerts.rule_model import (
    AlertRule,
    Firing,
    _as_list,
    _known_actors,
    _known_countries,
    resolve_actor,
    resolve_country,
)
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import articles_by_id
from alerts.rule_types._story_reads import claim_coverage_between, claim_coverage_of
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine

StanceName = Literal["attributes", "suspects", "confirms", "declines_to_confirm", "denies", "disputes"]
KindName = Literal["government", "vendor", "researchers", "media", "unnamed_officials", "victim", "accused", "other"]


def _attributes() -> list[StanceName]:
    return ["attributes"]


def _governments() -> list[KindName]:
    return ["government", "accused"]


@register_rule_type
class AttributionRule(AlertRule):
    type: Literal["attribution"] = "attribution"
    actors: list[str] = Field(default_factory=list)
    attributed_states: list[str] = Field(default_factory=list)
    victim_countries: list[str] = Field(default_factory=list)
    stances: list[StanceName] = Field(default_factory=_attributes, min_length=1)
    include_suspects: bool = False
    include_unnamed_officials: bool = False
    # Who counts as a claimant; default: governments and their agencies, and the accused state.
    claimant_kinds: list[KindName] = Field(default_factory=_governments, min_length=1)
    scope: Literal["story", "actor"] = "story"
    lookback_days: float = Field(default=365, gt=0, le=5 * 366)

    reads_engine = True
    email_template = "development_alert"

    _lists = field_validator("actors", "attributed_states", "victim_countries", "stances", "claimant_kinds",
                             mode="before")(_as_list)
    _actors = field_validator("actors")(_known_actors)
    _countries = field_validator("attributed_states", "victim_countries")(_known_countries)

    @model_validator(mode="after")
    def _matches_something(self) -> AttributionRule:
        # The targets are enough: the rule's query and filters may be left out.
        if not (self.query_string.strip() or not self.filters.is_empty() or self.actors
                or self.attributed_states or self.victim_countries):
            raise ValueError("give actors, attributed_states, victim_countries, a query_string or a filter")
        return self

    def targets(self) -> AttributionTargets:
        kinds = set(self.claimant_kinds) | ({"unnamed_officials"} if self.include_unnamed_officials else set())
        stances = set(self.stances) | ({"suspects"} if self.include_suspects else set())
        return AttributionTargets(
            frozenset(kinds), frozenset(stances),
            frozenset(filter(None, map(resolve_actor, self.actors))),
            frozenset(filter(None, map(resolve_country, self.attributed_states))),
            frozenset(filter(None, map(resolve_country, self.victim_countries))))

    @property
    def lookback(self) -> timedelta:
        return timedelta(days=self.lookback_days)

    def summary(self) -> str:
        about = ", ".join([*self.actors, *self.attributed_states, *(f"against {v}" for v in self.victim_countries)])
        return (f"attribution: first {'/'.join(sorted(self.targets().stances))} by "
                f"{'/'.join(sorted(self.targets().kinds))} about {about or self.query_string or 'filters'}"
                f"{f' (per actor, {self.lookback_days:g} days)' if self.scope == 'actor' else ''}")

    def fires_on(self, article: Article, opened_story: bool) -> bool:
        return False  # decided by engine_firings, against what the index holds

    def _firing(self, article: Article, carrier: Carrier, first: Mapping[str, list[Claim]],
                fired_at: datetime) -> Firing:
        story = article.story_id or article.id
        keys = sorted(first)
        if self.scope == "story":
            group_key = f"attribution:{story}:{digest_of(keys)}"
        else:  # the opening article names the first claim in the lookback, as new_term's does
            group_key = f"attribution:{digest_of(keys)}:{article.id}"
        by_claim: dict[tuple[str, str], list[Claim]] = {}
        for claims in first.values():
            for claim in claims:
                bucket = by_claim.setdefault((claim.kind, claim.stance), [])
                if claim not in bucket:
                    bucket.append(claim)
        lines = [f"New: {describe_claims(kind, stance, claims)}; {first_reported(carrier)}"
                 for (kind, stance), claims in sorted(by_claim.items())]
        return Firing(self, article, group_key, fired_at, "; ".join(lines),
                      {"changes": lines, "developments": keys, "story_id": story, "scope": self.scope})

    def _others(self, engine: SearchEngine, settings: Settings, article: Article, carrier: Carrier) -> list[Carrier]:
        targets = self.targets()
        if self.scope == "actor":
            found = claim_coverage_between(engine, settings, targets.kinds, targets.stances,
                                           carrier.at - self.lookback, carrier.at)
            return [other for carriers in found.values() for other in carriers]
        if article.story_id is None:
            return []
        return claim_coverage_of(engine, settings, [article.story_id], targets.kinds, targets.stances,
                                 carrier.at).get(article.story_id, [])

    def engine_firings(self, engine: SearchEngine, settings: Settings, article: Article,
                       now: datetime) -> list[Firing]:
        carrier = carrier_of(article)
        if not claim_keys(carrier, self.targets()):
            return []  # no watched claim at all: nothing to ask the index
        first = first_claims(carrier, self._others(engine, settings, article, carrier), self.targets())
        return [self._firing(article, carrier, first, now)] if first else []

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        targets = self.targets()
        candidates = claim_coverage_between(engine, settings, targets.kinds, targets.stances, since, until, self)
        if self.scope == "actor":
            found = claim_coverage_between(engine, settings, targets.kinds, targets.stances,
                                           since - self.lookback, until)
            pool = [other for carriers in found.values() for other in carriers]
            others = {story: pool for story in candidates}
        else:
            others = claim_coverage_of(engine, settings, list(candidates), targets.kinds, targets.stances, until)
        firsts: list[tuple[Carrier, dict[str, list[Claim]]]] = []
        for story, carriers in candidates.items():
            for carrier in carriers:
                if not since <= carrier.at < until:
                    continue
                first = first_claims(carrier, with_carrier(others.get(story, []), carrier), targets)
                if first:
                    firsts.append((carrier, first))
        articles = articles_by_id(engine, settings, [carrier.article_id for carrier, _ in firsts])
        firings: dict[str, Firing] = {}
        for carrier, first in firsts:
            if carrier.article_id in articles:
                firing = self._firing(articles[carrier.article_id], carrier, first, carrier.at)
                firings.setdefault(firing.group_key, firing)
        return list(firings.values())
