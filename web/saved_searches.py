"""Saved searches, per user, and turning one into a ``match`` alert rule.

A saved search keeps what the analyst asked (query string, facet choices,
dates, order) so the page can be opened again; kept in Redis beside the
accounts (web/accounts.py says why), one hash per user.

"Alert me on this search" makes a match rule through the alerts package's
public model (``AlertRule`` with ``RuleFilters``): the query string with its
actor aliases expanded, as the search ran it, and every facet a rule can
filter on. What a rule cannot carry is said, not dropped silently.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import cast
from urllib.parse import urlencode

import redis

from alerts.rule_model import AlertRule, RuleFilters
from coverwatch.fields import ARTICLE_FIELDS, ArticleField, facet_rows
from coverwatch.settings import Settings
from coverwatch.taxonomy import Taxonomy
from search.query_syntax import QuerySyntaxError, check_syntax, expand_actor_aliases
from search.story_records import SearchScope
from search.vocabulary import FACET_TITLES, facet_label, normalise_terms
from web.workspace import SearchRequest


def rule_filter_of_facet(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, str]:
    """Search facet -> rule filter (alerts/rule_model.py RuleFilters), for the facets
    whose field is also a term filter of rules (coverwatch/fields.py)."""
    return {row.facet.name: row.rule_filter.name for row in facet_rows(table)
            if row.facet and row.rule_filter and row.rule_filter.at_least is None}


def not_carried(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, str]:
    """Search facet -> why a rule made from the search cannot carry it, for every other facet."""
    carried = rule_filter_of_facet(table)
    return {row.facet.name: row.facet.not_in_rules or f"{row.facet.title.lower()} (rules cannot filter on it)"
            for row in facet_rows(table) if row.facet and row.facet.name not in carried}


RULE_FILTER_OF_FACET = rule_filter_of_facet()
NOT_CARRIED = not_carried()
# The facets a saved search keeps.
SAVED_FACETS = tuple(row.facet.name for row in facet_rows() if row.facet and row.facet.saved)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
SORTS = ("relevance", "newest")
MAX_SAVED_PER_USER = 200


class SavedSearchError(ValueError):
    """A search that cannot be saved or turned into a rule; the message says why."""


@dataclass
class SavedSearch:
    id: str
    owner: str
    name: str
    query: str = ""
    terms: dict[str, list[str]] = field(default_factory=dict)
    since: str | None = None
    until: str | None = None
    sort: str = "relevance"
    created_at: str = ""
    rule_name: str | None = None
    rule_notes: list[str] = field(default_factory=list)

    def search_request(self) -> SearchRequest:
        return SearchRequest(query=self.query, terms=self.terms, since=self.since, until=self.until, sort=self.sort)

    def page_link(self) -> str:
        """The search page showing this search."""
        pairs = [("q", self.query)] + [(name, value) for name, values in self.terms.items() for value in values]
        pairs += [(name, value) for name, value in (("since", self.since), ("until", self.until)) if value]
        pairs.append(("sort", self.sort))
        return "/?" + urlencode(pairs)


def search_from_pairs(pairs: Iterable[tuple[str, str]]) -> SearchRequest:
    """The search a form or query string describes (the page's own parameter names);
    anything the search page would refuse is refused here with the reason."""
    query, since, until, sort = "", None, None, "relevance"
    terms: dict[str, list[str]] = {}
    for name, value in pairs:
        if name == "q":
            query = value
        elif name in SAVED_FACETS and value.strip():
            terms.setdefault(name, []).append(value.strip()[:200])
        elif name in ("since", "until") and value:
            if not DATE.match(value):
                raise SavedSearchError(f"{name}: not an ISO date: {value!r}")
            since, until = (value, until) if name == "since" else (since, value)
        elif name == "sort" and value:
            if value not in SORTS:
                raise SavedSearchError(f"sort: one of {', '.join(SORTS)}")
            sort = value
    if len(query) > 2000:
        raise SavedSearchError("q: at most 2000 characters")
    return SearchRequest(query=query, terms=terms, since=since, until=until, sort=sort)


def match_rule_for(saved: SavedSearch, subscriber: str,
                   taxonomy: Taxonomy | None = None) -> tuple[AlertRule, list[str]]:
    """The match rule that alerts ``subscriber`` on new articles this search
    would find, and notes on what of the search the rule does not carry."""
    scope = search_scope(saved, taxonomy)
    terms = scope.terms
    filters = {RULE_FILTER_OF_FACET[name]: list(values) for name, values in terms.items()
               if name in RULE_FILTER_OF_FACET}
    notes = [f"not carried: {NOT_CARRIED[name]}" for name in terms if name in NOT_CARRIED]
    if saved.since or saved.until:
        notes.append("not carried: the date range (a rule watches new articles)")
    try:
        rule = AlertRule(name=f"{saved.owner}: {saved.name}"[:200], query_string=scope.query,
                         description=f"made from the saved search {saved.name!r} of {saved.owner}",
                         filters=RuleFilters(**filters), subscribers=[subscriber])
    except ValueError as failure:  # pydantic's ValidationError is a ValueError
        raise SavedSearchError(_first_problem(failure)) from failure
    return rule, notes


def search_scope(saved: SavedSearch, taxonomy: Taxonomy | None = None) -> SearchScope:
    """The stories the saved search reaches, for its feed and its TAXII collection:
    its query with actor aliases expanded and its facet values as stored, as the
    workspace runs it. Its date range is not kept: a feed follows what is new."""
    try:
        check_syntax(saved.query)
        expanded = expand_actor_aliases(saved.query, taxonomy)
    except QuerySyntaxError as failure:
        raise SavedSearchError(f"cannot parse the query {saved.query!r}: {failure}") from failure
    return SearchScope(expanded.query_string, normalise_terms(saved.terms, taxonomy))


def _first_problem(failure: ValueError) -> str:
    errors = getattr(failure, "errors", None)
    if callable(errors):
        problems = cast(list[Mapping[str, object]], errors())
        if problems:
            where = ".".join(str(part) for part in cast(tuple[object, ...], problems[0].get("loc", ())))
            message = str(problems[0].get("msg", failure)).removeprefix("Value error, ")
            return f"{where}: {message}" if where else message
    return str(failure)


def describe(saved: SavedSearch) -> str:
    """One line saying what the search looks for, for the list of saved searches."""
    parts = [f"“{saved.query}”" if saved.query else "everything"]
    parts += [f"{FACET_TITLES[name].lower()}: {', '.join(facet_label(name, value) for value in values)}"
              for name, values in saved.terms.items()]
    if saved.since or saved.until:
        parts.append(f"{saved.since or '…'} to {saved.until or '…'}")
    return "; ".join(parts)


class SavedSearches:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    def _key(self, owner: str) -> str:
        return self._settings.redis_key("saved-searches", owner)

    def save(self, owner: str, name: str, request: SearchRequest) -> SavedSearch:
        name = " ".join(name.split())[:120]
        if not name:
            raise SavedSearchError("name: give the search a name")
        if cast(int, self._client.hlen(self._key(owner))) >= MAX_SAVED_PER_USER:
            raise SavedSearchError(f"at most {MAX_SAVED_PER_USER} saved searches per user; delete some first")
        saved = SavedSearch(secrets.token_hex(6), owner, name, request.query,
                            {facet: list(values) for facet, values in request.terms.items()},
                            request.since, request.until, request.sort, datetime.now(UTC).isoformat())
        self.put(saved)
        return saved

    def put(self, saved: SavedSearch) -> None:
        self._client.hset(self._key(saved.owner), saved.id, json.dumps(asdict(saved)))

    def get(self, owner: str, search_id: str) -> SavedSearch | None:
        raw = cast(bytes | None, self._client.hget(self._key(owner), search_id))
        return SavedSearch(**json.loads(raw)) if raw else None

    def of(self, owner: str) -> list[SavedSearch]:
        stored = cast(dict[bytes, bytes], self._client.hgetall(self._key(owner)))
        searches = [SavedSearch(**json.loads(raw)) for raw in stored.values()]
        return sorted(searches, key=lambda saved: saved.created_at, reverse=True)

    def delete(self, owner: str, search_id: str) -> bool:
        return bool(self._client.hdel(self._key(owner), search_id))
