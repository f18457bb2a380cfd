"""Folding claims into ledger rows (issue 22, part 2); the public face is
workers/attribution/ledger.py, which documents the whole ledger.

Pure: articles in (stored documents or any mappings with ``id``, ``title``,
``source``, ``published_at``/``event_time``/``crawled_at``, ``url``,
``story_id`` and ``claims``), rows out. The same claimant (case, spacing and a
leading "the" ignored) with the same stance about the same subject (the taxonomy
actor it names, else the state it names, else its words; with no subject, its
state) is one row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coverwatch.models import parse_timestamp
from coverwatch.taxonomy import Actor, Taxonomy, countries, default_taxonomy

# Claimant kinds in the order the ledger shows them, with their group titles.
KIND_TITLES: dict[str, str] = {
    "government": "Governments and agencies",
    "unnamed_officials": "Unnamed officials",
    "accused": "The accused",
    "vendor": "Security vendors",
    "researchers": "Researchers",
    "media": "Media",
    "victim": "Victims",
    "other": "Others",
}
# keep(claim, the actor its subject names, the article): whether a claim counts.
ClaimFilter = Callable[[Mapping[str, Any], Actor | None, Mapping[str, Any]], bool]
_SPACES = re.compile(r"\s+")
_LEADING_THE = re.compile(r"^the\s+")
# Trailing words that do not change whom a subject names ("the APT40 group").
_GENERIC_TAILS = (" group", " hackers", " hacking group", " threat actor", " actor", " gang", " team", " apt group")


@dataclass(frozen=True)
class ArticleRef:
    """The article that first carried a claim: enough to link and cite it."""

    id: str
    title: str
    outlet: str
    date: str | None
    url: str = ""
    story_id: str | None = None


@dataclass
class LedgerRow:
    """One statement: a claimant, a stance and a subject, however often repeated."""

    key: str  # "claimant|stance|subject key": what makes two claims the same statement
    claimant: str  # as the first article named it
    claimant_kind: str
    claimant_country: str | None
    stance: str
    subject: str | None  # as the first article named it
    subject_key: str  # "actor:G0065", "state:CN", "name:chinese military hackers" or "none"
    subject_state: str | None
    actor_id: str | None  # the taxonomy actor the subject names
    victim: str | None
    evidence: str
    first_article: ArticleRef
    first_at: str | None
    outlets: int = 0
    outlet_names: list[str] = field(default_factory=list)
    articles: int = 0
    stories: int = 0
    story_ids: list[str] = field(default_factory=list)
    subject_names: list[str] = field(default_factory=list)  # every name the claimant used, first first
    alias_names: list[str] = field(default_factory=list)  # the same in the taxonomy's spelling, when an alias


@dataclass
class ClaimGroup:
    kind: str
    title: str
    rows: list[LedgerRow]


@dataclass
class Ledger:
    summary: str  # the state of attribution in one line
    rows: list[LedgerRow]  # in the order they first appeared
    groups: list[ClaimGroup]  # the same rows by claimant kind
    claims: int  # claims read, before folding
    articles: int  # articles that carried any


def normalise_name(name: str | None) -> str:
    """A claimant's or subject's name for comparison: case, spacing and a leading 'the' ignored."""
    folded = _SPACES.sub(" ", (name or "").casefold()).strip(" .,;:'\"")
    return _LEADING_THE.sub("", folded)


class SubjectIndex:
    """Names to taxonomy actors and to states, case-insensitively. Building one
    reads every alias and country name (some 3-35 ms), so the ledgers take it
    from :func:`subject_index`, once per taxonomy, not once per story or page."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy or default_taxonomy()
        self.actors: dict[str, Actor] = {}
        self.spellings: dict[str, str] = {}
        for actor in self.taxonomy.actors:
            for name in (*actor.names, actor.id):
                self.actors.setdefault(normalise_name(name), actor)
                self.spellings.setdefault(normalise_name(name), name)
        self.states: dict[str, str] = {}
        for country in countries():
            for name in (country.code, *country.names, *country.adjectives):
                self.states.setdefault(normalise_name(name), country.code)

    def _known(self, subject: str | None) -> str | None:
        """The taxonomy name a subject is, normalised: any alias, also with a generic tail ('APT40 group')."""
        name = normalise_name(subject)
        if not name:
            return None
        if name in self.actors:
            return name
        return next((name[: -len(tail)] for tail in _GENERIC_TAILS
                     if name.endswith(tail) and name[: -len(tail)] in self.actors), None)

    def actor(self, subject: str | None) -> Actor | None:
        """The actor a subject names: any alias, also with a generic tail ('APT40 group')."""
        known = self._known(subject)
        return self.actors[known] if known else None

    def spelling(self, subject: str | None) -> str | None:
        """The taxonomy's spelling of the alias a subject is ('apt40  group' -> 'APT40'), else None."""
        known = self._known(subject)
        return self.spellings[known] if known else None

    def state(self, subject: str | None) -> str | None:
        """The ISO code of a subject that is a state ('China', 'Chinese', 'PRC'), else None."""
        return self.states.get(normalise_name(subject))

    def subject_key(self, subject: str | None, subject_state: str | None) -> tuple[str, Actor | None]:
        actor = self.actor(subject)
        if actor is not None:
            return f"actor:{actor.id}", actor
        state = self.state(subject)
        if state is not None:
            return f"state:{state}", None
        if normalise_name(subject):
            return f"name:{normalise_name(subject)}", None
        return (f"state:{subject_state}", None) if subject_state else ("none", None)


def article_date(article: Mapping[str, Any]) -> str | None:
    """When an article appeared: its publication time, else its event or crawl time."""
    value = article.get("published_at") or article.get("event_time") or article.get("crawled_at")
    return str(value) if value else None


def _moment(article: Mapping[str, Any]) -> datetime | None:
    return parse_timestamp(article_date(article))


def _in_order(articles: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Oldest first; undated articles last; ties by id (so the fold is deterministic)."""
    def order(article: Mapping[str, Any]) -> tuple[bool, float, str]:
        moment = _moment(article)
        return moment is None, moment.timestamp() if moment else 0.0, str(article.get("id", ""))
    return sorted(articles, key=order)


def article_ref(article: Mapping[str, Any]) -> ArticleRef:
    return ArticleRef(id=str(article.get("id", "")), title=str(article.get("title", "")),
                      outlet=str(article.get("source", "")), date=article_date(article),
                      url=str(article.get("canonical_url") or article.get("url") or ""),
                      story_id=str(article["story_id"]) if article.get("story_id") else None)


def _text(claim: Mapping[str, Any], name: str) -> str | None:
    value = claim.get(name)
    return str(value).strip() or None if value is not None else None


_SUBJECT_INDEXES: dict[int, SubjectIndex] = {}


def subject_index(taxonomy: Taxonomy | None = None) -> SubjectIndex:
    """The name index of ``taxonomy`` (the default one when None), built once.
    Keyed by identity: an index is never changed once built."""
    taxonomy = taxonomy or default_taxonomy()
    index = _SUBJECT_INDEXES.get(id(taxonomy))
    if index is None or index.taxonomy is not taxonomy:
        if len(_SUBJECT_INDEXES) > 4:
            _SUBJECT_INDEXES.clear()
        index = _SUBJECT_INDEXES[id(taxonomy)] = SubjectIndex(taxonomy)
    return index


def fold_claims(articles: Iterable[Mapping[str, Any]], index: SubjectIndex | None = None,
                keep: ClaimFilter | None = None) -> tuple[list[LedgerRow], int, int]:
    """Every claim of ``articles`` folded into rows (in the order they first
    appeared), with how many claims were read and how many articles carried any.

    ``keep(claim, actor, article)``, when given, says which claims count (the
    actor ledger keeps those about its actor)."""
    index = index or subject_index()
    rows: dict[str, LedgerRow] = {}
    outlets: dict[str, set[str]] = {}
    article_ids: dict[str, set[str]] = {}
    story_ids: dict[str, set[str]] = {}
    claims_read = carrying = 0
    for article in _in_order(articles):
        counted = False
        for claim in article.get("claims") or ():
            if not isinstance(claim, Mapping):
                continue
            claimant, stance = _text(claim, "claimant"), _text(claim, "stance")
            if not claimant or not stance:
                continue
            subject, subject_state = _text(claim, "subject"), _text(claim, "subject_state")
            subject_key, actor = index.subject_key(subject, subject_state)
            if keep is not None and not keep(claim, actor, article):
                continue
            claims_read += 1
            counted = True
            key = f"{normalise_name(claimant)}|{stance}|{subject_key}"
            row = rows.get(key)
            if row is None:
                reference = article_ref(article)
                row = rows[key] = LedgerRow(
                    key=key, claimant=claimant, claimant_kind=_text(claim, "claimant_kind") or "other",
                    claimant_country=_text(claim, "claimant_country"), stance=stance, subject=subject,
                    subject_key=subject_key, subject_state=subject_state or (actor.state if actor else None),
                    actor_id=actor.id if actor else None, victim=_text(claim, "victim"),
                    evidence=str(claim.get("evidence") or ""), first_article=reference, first_at=reference.date)
                outlets[key], article_ids[key], story_ids[key] = set(), set(), set()
            if subject and subject not in row.subject_names:
                row.subject_names.append(subject)
                spelling = index.spelling(subject) if actor else None
                if spelling and spelling not in row.alias_names:
                    row.alias_names.append(spelling)
            row.victim = row.victim or _text(claim, "victim")
            outlet = str(article.get("source") or "")
            if outlet and outlet not in outlets[key]:
                outlets[key].add(outlet)
                row.outlet_names.append(outlet)
            article_ids[key].add(str(article.get("id", "")))
            if article.get("story_id"):
                story_ids[key].add(str(article["story_id"]))
        carrying += counted
    for key, row in rows.items():
        row.outlets, row.articles, row.stories = len(outlets[key]), len(article_ids[key]), len(story_ids[key])
        row.story_ids = sorted(story_ids[key])
    return list(rows.values()), claims_read, carrying


def group_rows(rows: Sequence[LedgerRow]) -> list[ClaimGroup]:
    """The rows by claimant kind, in :data:`KIND_TITLES` order (unknown kinds last), each in time order."""
    kinds = list(KIND_TITLES) + sorted({row.claimant_kind for row in rows} - set(KIND_TITLES))
    return [ClaimGroup(kind, KIND_TITLES.get(kind, kind.replace("_", " ").capitalize()),
                       [row for row in rows if row.claimant_kind == kind])
            for kind in kinds if any(row.claimant_kind == kind for row in rows)]
