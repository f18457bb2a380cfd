"""What is new in a story: the pure logic of the development rule types
(alerts/rule_types/attribution.py, story_development.py), no I/O.

An article is read as a :class:`Carrier`: its outlet, its time (``event_time``:
published, else crawled) and what it carries (claims, actors, attributed
states, victim countries). Carriers are ordered by (time, id), so every worker
and every preview agrees on which article carried something first, whatever
order they were indexed in.

A story's *elements* are strings ``kind\\x1fvalue``: ``claim`` (the claimant
kind and the stance, ``government:attributes``: a formal government
attribution after a vendor's, or a government's refusal to confirm, is new),
``state`` (an attributed state), ``victim`` (a victim country) and ``actor``
(an actor id). Outlets are counted apart: only ``min_new_outlets`` of them at
once make a development.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from alerts.rule_model import resolve_actor, resolve_country
from coverwatch.models import Article, parse_timestamp
from coverwatch.taxonomy import countries, default_taxonomy

CLAIM, STATE, VICTIM, ACTOR = "claim", "state", "victim", "actor"
SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Claim:
    claimant: str
    kind: str
    country: str | None
    stance: str
    subject: str | None
    subject_state: str | None
    victim: str | None

    @classmethod
    def from_mapping(cls, claim: Mapping[str, Any]) -> Claim:
        def text(name: str) -> str | None:
            value = claim.get(name)
            return str(value) if value else None
        return cls(text("claimant") or "", text("claimant_kind") or "other", text("claimant_country"),
                   text("stance") or "", text("subject"), text("subject_state"), text("victim"))


@dataclass(frozen=True)
class Carrier:
    """One on-topic original as the development rules see it."""

    article_id: str
    source: str
    at: datetime
    actors: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    victims: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = ()

    @property
    def order(self) -> tuple[datetime, str]:
        return self.at, self.article_id


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value or () if item)


def carrier_from_source(source: Mapping[str, Any]) -> Carrier | None:
    """From a stored article (search/queries/developments.py's fields); None without a time."""
    at = (parse_timestamp(source.get("event_time")) or parse_timestamp(source.get("published_at"))
          or parse_timestamp(source.get("crawled_at")))
    if at is None or not source.get("id"):
        return None
    claims = tuple(Claim.from_mapping(claim) for claim in source.get("claims") or () if isinstance(claim, Mapping))
    return Carrier(str(source["id"]), str(source.get("source") or ""), at, _strings(source.get("actors")),
                   _strings(source.get("attributed_states")), _strings(source.get("victim_countries")), claims)


def carrier_of(article: Article) -> Carrier:
    return Carrier(article.id, article.source, article.published_at or article.crawled_at, tuple(article.actors),
                   tuple(article.attributed_states), tuple(article.victim_countries),
                   tuple(Claim.from_mapping(claim) for claim in article.claims))


def with_carrier(carriers: Iterable[Carrier], own: Carrier) -> list[Carrier]:
    """``carriers`` and ``own`` (the article being alerted on, maybe not searchable yet), ordered, each once."""
    by_id = {carrier.article_id: carrier for carrier in carriers}
    by_id[own.article_id] = own
    return sorted(by_id.values(), key=lambda carrier: carrier.order)


def element(kind: str, value: str) -> str:
    return f"{kind}{SEPARATOR}{value}"


def split_element(name: str) -> tuple[str, str]:
    kind, _, value = name.partition(SEPARATOR)
    return kind, value


def elements_of(carrier: Carrier) -> frozenset[str]:
    found = {element(CLAIM, f"{claim.kind}:{claim.stance}") for claim in carrier.claims if claim.stance}
    found |= {element(STATE, state) for state in (*carrier.states, *(c.subject_state for c in carrier.claims))
              if state}
    found |= {element(VICTIM, victim) for victim in carrier.victims}
    found |= {element(ACTOR, actor) for actor in carrier.actors}
    return frozenset(found)


def first_carriers(carriers: Iterable[Carrier]) -> dict[str, Carrier]:
    """Each element with the earliest carrier of it."""
    firsts: dict[str, Carrier] = {}
    for carrier in sorted(carriers, key=lambda carrier: carrier.order):
        for name in elements_of(carrier):
            firsts.setdefault(name, carrier)
    return firsts


def digest_of(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(parts)).encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class StoryState:
    """What a story had when a rule last alerted on it (or its baseline)."""

    elements: frozenset[str] = frozenset()
    outlets: frozenset[str] = frozenset()

    def absorb(self, carriers: Iterable[Carrier]) -> StoryState:
        carriers = list(carriers)
        return StoryState(self.elements.union(*(elements_of(c) for c in carriers)),
                          self.outlets | {c.source for c in carriers})


def state_of(carriers: Iterable[Carrier]) -> StoryState:
    return StoryState().absorb(carriers)


@dataclass(frozen=True)
class Development:
    """What a story gained since a state: new elements, each with its first
    carrier, and new outlets (listed when they were the reason, or alongside)."""

    story_id: str
    elements: tuple[str, ...]
    firsts: Mapping[str, Carrier] = field(default_factory=dict)
    outlets: tuple[str, ...] = ()
    outlets_counted: bool = False  # the outlets alone were enough
    opening: bool = False  # the story's first article, with alert_on_first

    @property
    def key(self) -> str:
        """Names the development for exactly-once delivery: the same new things, the same key."""
        parts = [*self.elements, *(f"outlet{SEPARATOR}{o}" for o in self.outlets if self.outlets_counted)]
        return f"development:{self.story_id}:{'first' if self.opening else digest_of(parts)}"


def development_since(state: StoryState, carriers: Sequence[Carrier], story_id: str,
                      min_new_outlets: int | None) -> Development | None:
    """What ``carriers`` (a story's coverage up to an article) add to ``state``,
    or None when it is nothing worth an alert."""
    firsts = first_carriers(carriers)
    new = tuple(sorted(name for name in firsts if name not in state.elements))
    outlets = tuple(sorted({c.source for c in carriers} - state.outlets))
    counted = min_new_outlets is not None and len(outlets) >= min_new_outlets
    if not new and not counted:
        return None
    return Development(story_id, new, {name: firsts[name] for name in new}, outlets, counted)


@dataclass(frozen=True)
class Step:
    """The outcome for one article: the state to store (None: leave it) and the development to alert on."""

    state: StoryState | None
    development: Development | None


def advance(state: StoryState | None, carriers: Sequence[Carrier], article_id: str, story_id: str,
            min_new_outlets: int | None, alert_on_first: bool = False) -> Step:
    """One matching article of a story against the rule's stored state.
    ``carriers``: the story's on-topic coverage, the article's among them. Only
    coverage up to the article (in (time, id) order) counts, so an article that
    a racing worker's later one has already taken into the state adds nothing.
    Without a state, the coverage before the article is the baseline, or, for
    the story's first article, the article itself."""
    ordered = sorted(carriers, key=lambda carrier: carrier.order)
    position = next((i for i, c in enumerate(ordered) if c.article_id == article_id), None)
    if position is None:
        return Step(None, None)
    upto = ordered[:position + 1]
    if state is None:
        if position == 0:
            opened = state_of(upto)
            if not alert_on_first:
                return Step(opened, None)
            firsts = first_carriers(upto)
            return Step(opened, Development(story_id, tuple(sorted(firsts)), firsts,
                                            tuple(sorted(opened.outlets)), False, opening=True))
        state = state_of(ordered[:position])
    found = development_since(state, upto, story_id, min_new_outlets)
    if found is None:
        return Step(None, None)
    return Step(state.absorb(upto), found)


def replay_story(carriers: Sequence[Carrier], triggers: Iterable[str], story_id: str,
                 min_new_outlets: int | None, alert_on_first: bool = False) -> list[tuple[Carrier, Development]]:
    """What the rule fires on in a story whose coverage arrives in order and whose
    ``triggers`` (the ids the rule matches) each go through :func:`advance`."""
    wanted, state = set(triggers), None
    fired: list[tuple[Carrier, Development]] = []
    ordered = sorted(carriers, key=lambda carrier: carrier.order)
    for carrier in ordered:
        if carrier.article_id not in wanted:
            continue
        step = advance(state, ordered, carrier.article_id, story_id, min_new_outlets, alert_on_first)
        if step.state is not None:
            state = step.state
        if step.development is not None:
            fired.append((carrier, step.development))
    return fired


# --- attribution ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributionTargets:
    """Which claims an ``attribution`` rule watches: claimant kinds and stances,
    and about whom (actor ids, state codes, victim country codes; none: any)."""

    kinds: frozenset[str]
    stances: frozenset[str]
    actors: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    victims: frozenset[str] = frozenset()


@lru_cache(maxsize=1)
def _actor_names() -> dict[str, tuple[str, ...]]:
    return {actor.id: tuple(name.casefold() for name in actor.names) for actor in default_taxonomy().actors}


@lru_cache(maxsize=1)
def _actor_states() -> dict[str, str]:
    return {actor.id: actor.state for actor in default_taxonomy().actors if actor.state}


def _denied_by_sponsor(claim: Claim, actor: str) -> bool:
    # "China rejects the accusation": a denial by the state the taxonomy says runs the actor.
    return claim.stance in ("denies", "disputes") and claim.country is not None \
        and claim.country == _actor_states().get(actor)


def _names_actor(subject: str, actor: str) -> bool:
    folded = f" {subject.casefold()} "
    return any(f" {name} " in folded for name in _actor_names().get(actor, ()))


def targets_of(claim: Claim, victims: Sequence[str], targets: AttributionTargets) -> list[str]:
    """What a claim is about, among the targets: ``actor:G0065``, ``state:CN``,
    ``victim:JP``, or ``any`` when the rule names none; empty when it misses."""
    if claim.kind not in targets.kinds or claim.stance not in targets.stances:
        return []
    if not (targets.actors or targets.states or targets.victims):
        return ["any"]
    found: list[str] = []
    named = resolve_actor(claim.subject) if claim.subject else None
    found += [f"actor:{a}" for a in sorted(targets.actors)
              if a == named or (claim.subject and _names_actor(claim.subject, a)) or _denied_by_sponsor(claim, a)]
    if claim.subject_state in targets.states:
        found.append(f"state:{claim.subject_state}")
    claimed_victim = resolve_country(claim.victim) if claim.victim else None
    hit = {claimed_victim} if claimed_victim else set(victims)
    found += [f"victim:{code}" for code in sorted(hit & targets.victims)]
    return found


def claim_keys(carrier: Carrier, targets: AttributionTargets) -> dict[str, list[Claim]]:
    """``kind:stance|target`` -> the carrier's claims that make it."""
    keys: dict[str, list[Claim]] = {}
    for claim in carrier.claims:
        for target in targets_of(claim, carrier.victims, targets):
            keys.setdefault(f"{claim.kind}:{claim.stance}|{target}", []).append(claim)
    return keys


def first_claims(carrier: Carrier, others: Iterable[Carrier], targets: AttributionTargets) -> dict[str, list[Claim]]:
    """The watched claims ``carrier`` is the first to carry: none of ``others``
    ordered before it carries the same kind, stance and target. A rewrite by
    another outlet is later, so it carries nothing first."""
    mine = claim_keys(carrier, targets)
    for other in others:
        if not mine:
            break
        if other.order < carrier.order:
            for key in claim_keys(other, targets):
                mine.pop(key, None)
    return mine


# --- wording ----------------------------------------------------------------------------------

_NOUNS = {"attributes": "attribution", "suspects": "suspicion", "confirms": "confirmation",
          "declines_to_confirm": "refusal to confirm", "denies": "denial", "disputes": "dispute"}
_KINDS = {"unnamed_officials": "unnamed officials'", "researchers": "researchers'", "accused": ""}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    named: dict[str, str] = {}
    for country in countries():
        short = [name for name in country.names if len(name) == 2 and name.isupper()]
        named[country.code] = f"the {short[0]}" if short else (country.names[0] if country.names else country.code)
    return named


def country_name(code: str) -> str:
    return _country_names().get(code, code)


@lru_cache(maxsize=1)
def _actor_display() -> dict[str, str]:
    return {actor.id: actor.name for actor in default_taxonomy().actors}


def actor_name(actor_id: str) -> str:
    return _actor_display().get(actor_id, actor_id)


def _join(parts: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(part for part in parts if part))


def _subject(claim: Claim) -> str:
    """``APT40 (China)``; the state alone when no group is named."""
    state = country_name(claim.subject_state) if claim.subject_state else ""
    if not claim.subject:
        return state
    return f"{claim.subject} ({state})" if state and state not in claim.subject else claim.subject


def describe_claims(kind: str, stance: str, claims: Sequence[Claim]) -> str:
    """``government attribution by the UK (GCHQ, NCSC) to APT40 (China)``."""
    by_country: dict[str, list[str]] = {}
    for claim in claims:
        by_country.setdefault(claim.country or "", []).append(claim.claimant)
    who = "; ".join(f"{country_name(code)} ({_join(names)})" if code else _join(names)
                    for code, names in by_country.items())
    subjects = _join(_subject(claim) for claim in claims if claim.subject != claim.claimant)
    kind_text = _KINDS.get(kind, kind.replace("_", " "))
    text = f"{kind_text} {_NOUNS.get(stance, stance)} by {who}".strip()
    if subjects:
        text += f" {'to' if stance in ('attributes', 'suspects') else 'about'} {subjects}"
    return text


def first_reported(carrier: Carrier) -> str:
    return f"first reported by {carrier.source} {carrier.at:%d %b %Y}"


def element_line(name: str, carrier: Carrier) -> str:
    """One new element, in words, with who reported it first."""
    kind, value = split_element(name)
    if kind == CLAIM:
        claim_kind, _, stance = value.partition(":")
        claims = [c for c in carrier.claims if c.kind == claim_kind and c.stance == stance]
        what = describe_claims(claim_kind, stance, claims)
    elif kind == STATE:
        what = f"attributed state {country_name(value)}"
    elif kind == VICTIM:
        what = f"victim country {country_name(value)}"
    else:
        what = f"actor {actor_name(value)}"
    return f"New: {what}; {first_reported(carrier)}"


def development_lines(found: Development) -> list[str]:
    lines = [element_line(name, found.firsts[name]) for name in found.elements if name in found.firsts]
    if found.outlets_counted:
        lines.append(f"New: {len(found.outlets)} more outlet{'s' if len(found.outlets) != 1 else ''} "
                     f"({', '.join(found.outlets)})")
    return lines
