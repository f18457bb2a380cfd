"""An actor's attribution ledger (issue 22, part 2): who says what about one
actor across its stories, the first government attribution, and which name each
claimant uses for it (a naming crosswalk learned from the coverage, beside the
taxonomy's aliases). Pure, on the folding of workers/attribution/ledger.py.

The articles are those tagged with the actor or carrying a claim that names it
(search/claim_ledger.py, :func:`actor_claim_articles`). A claim counts when its
subject is this actor (any alias), or when its subject names no actor (a state,
a description, nobody) and the article is tagged with this actor; a claim about
another actor does not. The crosswalk holds every (claimant, name) pair for
claims about this actor, and tracking names the taxonomy does not know yet
('Storm-1234') that a claimant attributes or links in this actor's coverage,
tied to no other actor and to no other state; those are marked ``in_taxonomy:
false`` so the analyst can judge them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coverwatch.taxonomy import Actor, Taxonomy
from workers.attribution.ledger import (
    ArticleRef,
    ClaimFilter,
    ClaimGroup,
    LedgerRow,
    SubjectIndex,
    attribution_summary,
    fold_claims,
    group_rows,
    normalise_name,
    subject_index,
)

# Words that make a subject a description ("Chinese military hackers"), not a tracking name.
_DESCRIPTIONS = frozenset({"hackers", "hacker", "group", "groups", "actor", "actors", "military", "state", "spies",
                           "intelligence", "government", "operatives", "criminals", "gang", "agency", "services",
                           "unit", "ministry", "army", "someone", "attackers", "nation-state", "state-sponsored"})
_NAME_WORD = re.compile(r"^(?:[A-Z][\w.\-]*|[\w.\-]*\d[\w.\-]*)$")


@dataclass
class NameUse:
    """One claimant's name for the actor, first seen in ``first_article``."""

    claimant: str
    claimant_kind: str
    name: str
    in_taxonomy: bool  # false: a name the coverage taught, which the taxonomy does not list
    first_at: str | None
    first_article: ArticleRef


@dataclass
class ActorLedger:
    actor_id: str
    actor_name: str
    state: str | None
    aliases: list[str]  # the taxonomy's names for the actor
    summary: str
    rows: list[LedgerRow]
    groups: list[ClaimGroup]
    claims: int
    articles: int
    stories: int
    first_government_attribution: LedgerRow | None
    first_government_attribution_at: str | None
    crosswalk: list[NameUse]
    names_in_coverage: list[str]  # every name the crosswalk holds, first used first
    aliases_in_coverage: list[str]  # the taxonomy's names that claims about the actor used


def looks_like_tracking_name(name: str | None, index: SubjectIndex) -> bool:
    """'Storm-0558', 'UNC3886', 'Salt Typhoon': capitalised or numbered words, no
    description words, not a state."""
    words = (name or "").split()
    if not words or len(words) > 4 or index.state(name) is not None:
        return False
    return all(_NAME_WORD.match(word) and word.casefold() not in _DESCRIPTIONS for word in words)


def about_actor(actor: Actor) -> ClaimFilter:
    """Claims about ``actor``: naming it, or naming no actor in coverage tagged with it."""
    def keep(claim: Mapping[str, Any], named: Actor | None, article: Mapping[str, Any]) -> bool:
        if named is not None:
            return named.id == actor.id
        return actor.id in (article.get("actors") or ())
    return keep


def _learned(row: LedgerRow, actor: Actor, index: SubjectIndex) -> bool:
    """A tracking name the taxonomy lacks, attributed or linked in this actor's coverage."""
    return (row.actor_id is None and row.subject_key.startswith("name:")
            and row.stance in ("attributes", "suspects")
            and row.subject_state in (None, actor.state) and looks_like_tracking_name(row.subject, index))


def naming_crosswalk(rows: Iterable[LedgerRow], actor: Actor, index: SubjectIndex) -> list[NameUse]:
    """Which name each claimant used for ``actor``: one entry per (claimant, name), first used first
    (``rows`` in time order, as :func:`fold_claims` gives them)."""
    uses: dict[tuple[str, str], NameUse] = {}
    for row in rows:
        if row.actor_id == actor.id:
            names, known = row.subject_names, True
        elif _learned(row, actor, index):
            names, known = row.subject_names, False
        else:
            continue
        for name in names:
            key = (normalise_name(row.claimant), normalise_name(name))
            if key not in uses:
                uses[key] = NameUse(row.claimant, row.claimant_kind, name, known, row.first_at, row.first_article)
    return list(uses.values())


def first_government_attribution(rows: Iterable[LedgerRow], actor_id: str) -> LedgerRow | None:
    """The first government (or agency) claim that firmly attributes to the actor (``rows`` in time order)."""
    return next((row for row in rows if row.claimant_kind == "government" and row.stance == "attributes"
                 and row.actor_id == actor_id), None)


def actor_ledger(actor: Actor, articles: Iterable[Mapping[str, Any]], taxonomy: Taxonomy | None = None) -> ActorLedger:
    """The actor's ledger across the stories of ``articles``."""
    index = subject_index(taxonomy)
    rows, claims, carrying = fold_claims(articles, index, keep=about_actor(actor))
    first = first_government_attribution(rows, actor.id)
    crosswalk = naming_crosswalk(rows, actor, index)
    stories = {story for row in rows for story in row.story_ids}
    names: dict[str, str] = {}
    for use in crosswalk:
        names.setdefault(normalise_name(use.name), use.name)
    return ActorLedger(
        actor_id=actor.id, actor_name=actor.name, state=actor.state, aliases=list(actor.names),
        summary=attribution_summary(rows), rows=rows, groups=group_rows(rows), claims=claims, articles=carrying,
        stories=len(stories), first_government_attribution=first,
        first_government_attribution_at=first.first_at if first else None,
        crosswalk=crosswalk, names_in_coverage=list(names.values()),
        aliases_in_coverage=[alias for alias in actor.names
                             if any(alias in row.alias_names for row in rows if row.actor_id == actor.id)])
