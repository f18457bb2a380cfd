"""What every alert rule has, whatever its type: a name, what it matches (a
query string and structured filters), who hears about it and how often.

A rule type (alerts/rule_types/) subclasses :class:`AlertRule`, pins ``type``,
adds its own fields and says when it fires; :class:`Firing` is one occasion to
tell the rule's subscribers about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from alerts.channels import normalise_target
from coverwatch.fields import ARTICLE_FIELDS, ArticleField, rule_filter_rows
from coverwatch.models import Article
from coverwatch.settings import Settings
from coverwatch.taxonomy import countries, default_taxonomy
from coverwatch.taxonomy.attack import tactic_name, technique_id
from search.engine import SearchEngine
from search.queries import rule_filter_query


class DeliveryMode(StrEnum):
    IMMEDIATE = "immediate"
    # Collected into the subscriber's digest (alerts/digests.py) instead of sent at once.
    DIGEST = "digest"


@lru_cache(maxsize=1)
def _actor_ids_by_name() -> dict[str, str]:
    return {name.casefold(): actor.id for actor in default_taxonomy().actors
            for name in (actor.id, *actor.names)}


@lru_cache(maxsize=1)
def _country_codes_by_name() -> dict[str, str]:
    by_name: dict[str, str] = {}
    for country in countries():
        for name in (country.code, *country.names, *country.adjectives):
            by_name[name.casefold()] = country.code
    return by_name


def resolve_actor(name: str) -> str | None:
    """The canonical actor id behind any of its aliases (Fancy Bear, APT28, G0007)."""
    return _actor_ids_by_name().get(name.strip().casefold())


def resolve_country(name: str) -> str | None:
    """The ISO alpha-2 code articles carry, from a code, a name or an adjective."""
    return _country_codes_by_name().get(name.strip().casefold())


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _all_resolve(names: list[str], resolve: Callable[[str], object | None], complaint: str) -> list[str]:
    """``names`` unchanged when every one resolves; else the complaint naming those that do not."""
    unknown = [name for name in names if resolve(name) is None]
    if unknown:
        raise ValueError(complaint.format(", ".join(map(repr, unknown))))
    return names


def _known_actors(names: list[str]) -> list[str]:
    return _all_resolve(names, resolve_actor, "unknown actor(s) {} (not in the taxonomy)")


def _known_countries(names: list[str]) -> list[str]:
    return _all_resolve(names, resolve_country, "unknown country {} (use a name or ISO code)")


# Per vocabulary of a field (coverwatch/fields.py): how a rule's values are checked
# when it is read, and become the values articles hold.
def _known_techniques(names: list[str]) -> list[str]:
    return _all_resolve(names, technique_id, "unknown ATT&CK technique(s) {} (use an id like T1566.001 or a name)")


_CHECKS: dict[str, Callable[[list[str]], list[str]]] = {
    "actor": _known_actors, "country": _known_countries, "technique": _known_techniques}
_RESOLVERS: dict[str, Callable[[str], str | None]] = {
    "actor": resolve_actor, "country": resolve_country, "technique": technique_id, "tactic": tactic_name}


def _stored(row: ArticleField, value: str) -> str:
    resolve = _RESOLVERS.get(row.vocabulary or "")
    if resolve is not None:
        return resolve(value) or value
    return value.strip().lower() if row.rule_filter and row.rule_filter.lower else value


class RuleFilterSet(BaseModel):
    """Structured conditions on an article's enrichment; all given ones must
    hold, any value within one will do. Values are kept as written (shown back
    by `rules show`) and resolved to the indexed codes by :meth:`terms`.

    One field per rule filter of coverwatch/fields.py: :func:`rule_filters_model`
    makes the class, ``RuleFilters``, from the table."""

    rows: ClassVar[tuple[ArticleField, ...]] = ()

    if TYPE_CHECKING:  # the fields are made from the table, so the type checker cannot see them
        def __getattr__(self, name: str) -> Any: ...

    def is_empty(self) -> bool:
        return not any(self.terms().values()) and not self.minimums()

    def terms(self) -> dict[str, list[str]]:
        """Filter values as the article index holds them (actor ids, country codes)."""
        return {row.rule_filter.name: sorted({_stored(row, value) for value in getattr(self, row.rule_filter.name)})
                for row in self.rows if row.rule_filter and row.rule_filter.at_least is None}

    def minimums(self) -> dict[str, float]:
        """The number filters given (``min_relevance``), by name."""
        given = {row.rule_filter.name: getattr(self, row.rule_filter.name)
                 for row in self.rows if row.rule_filter and row.rule_filter.at_least is not None}
        return {name: value for name, value in given.items() if value is not None}


def rule_filters_model(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> type[RuleFilterSet]:
    """The rule filters of ``table`` as a model: a list of values per term filter
    (one of its ``choices`` when it has them), a bounded number per ``at_least`` one."""
    filter_rows = tuple(rule_filter_rows(table))

    class Filters(RuleFilterSet):
        model_config = ConfigDict(extra="forbid")
        rows: ClassVar[tuple[ArticleField, ...]] = filter_rows

    fields: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    lists: list[str] = []
    for row in filter_rows:
        spec = row.rule_filter
        assert spec is not None
        if spec.at_least is not None:
            low, high = spec.at_least
            fields[spec.name] = (float | None, Field(default=None, ge=low, le=high))
            continue
        value_type: Any = Literal[spec.choices] if spec.choices else str
        fields[spec.name] = (list[value_type], Field(default_factory=list))
        lists.append(spec.name)
        check = _CHECKS.get(row.vocabulary or "")
        if check is not None:
            validators[f"_known_{spec.name}"] = field_validator(spec.name)(check)
    # YAML authors write `actors: Turla` as often as `actors: [Turla]`.
    validators["_coerce_lists"] = field_validator(*lists, mode="before")(_as_list)
    return create_model("RuleFilters", __base__=Filters, __module__=__name__, __validators__=validators, **fields)


if TYPE_CHECKING:
    RuleFilters = RuleFilterSet
else:
    RuleFilters = rule_filters_model()


def hours_text(hours: float) -> str:
    return "1 hour" if hours == 1 else f"{hours:g} hours"


def rule_id(name: str) -> str:
    """Names are unique regardless of case: registering a name again replaces the rule."""
    return hashlib.sha1(name.casefold().encode("utf-8")).hexdigest()[:20]


class AlertRule(BaseModel):
    """The fields every rule type shares. Constructed directly it is a ``match``
    rule, as it was before rule types existed."""

    model_config = ConfigDict(extra="forbid")

    type: str = "match"
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    query_string: str = Field(default="", max_length=4000)
    filters: RuleFilters = Field(default_factory=RuleFilters)
    subscribers: list[str] = Field(min_length=1)
    mode: DeliveryMode = DeliveryMode.IMMEDIATE
    enabled: bool = True
    # Minutes before the same (rule, subscriber, story) may alert again; None: never.
    realert_minutes: int | None = Field(default=None, ge=0, le=366 * 24 * 60)

    # Matched by the percolator as articles are indexed, or evaluated on a schedule.
    percolated: ClassVar[bool] = True
    periodic: ClassVar[bool] = False
    # Percolated types that read the engine to decide (what a story already carried):
    # the alert stage asks engine_firings, not fires_on, about each on-topic match.
    reads_engine: ClassVar[bool] = False
    # The folder in alerts/templates/ its emails are rendered from.
    email_template: ClassVar[str] = "article_alert"

    @field_validator("subscribers")
    @classmethod
    def _known_targets(cls, targets: list[str]) -> list[str]:
        return [normalise_target(target) for target in targets]

    @model_validator(mode="after")
    def _matches_something(self) -> AlertRule:
        if not self.query_string.strip() and self.filters.is_empty():
            raise ValueError("give a query_string or at least one filter")
        return self

    @property
    def id(self) -> str:
        return rule_id(self.name)

    def matching_query(self) -> dict[str, Any]:
        """The engine query for the articles this rule is about."""
        return rule_filter_query(self.query_string, self.filters.terms(), self.filters.minimums())

    def realert_window(self) -> timedelta | None:
        return None if self.realert_minutes is None else timedelta(minutes=self.realert_minutes)

    def fires_on(self, article: Article, opened_story: bool) -> bool:
        """For percolated types: does this matching article alert?"""
        return True

    def percolated_firing(self, article: Article, now: datetime) -> Firing:
        """The firing for a matching article it fires on: keyed by its story."""
        return Firing(self, article, article.story_id or article.id, now)

    def engine_firings(self, engine: SearchEngine, settings: Settings, article: Article,
                       now: datetime) -> list[Firing]:
        """For ``reads_engine`` types: what this matching article fires, given what the index holds."""
        return []

    @property
    def counts_possible(self) -> bool:
        """Whether possibly on-topic matches can fire it (into opted-in digests)."""
        return self.percolated and not self.reads_engine

    def summary(self) -> str:
        """One line saying what the rule watches for, for `rules list`."""
        what = self.query_string or "(filters only)"
        return f"{self.type}: {what}"

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        """For periodic types: what fires now. Percolated types fire at index time."""
        return []

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        """What the rule would have fired on in [since, until)."""
        raise NotImplementedError(f"rule type {self.type!r} has no preview")


@dataclass(frozen=True)
class Firing:
    """One occasion to alert: the article a message leads with, and the key that
    exactly-once delivery and realert count by (a story, an article or a window)."""

    rule: AlertRule
    article: Article
    group_key: str
    fired_at: datetime
    # What the rule type adds to the message: one line ("reached 5 outlets within
    # 6 hours") and the figures behind it, as plain JSON values.
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def occasion(self) -> dict[str, Any]:
        """The firing without its rule and article, as a task message carries it."""
        return {"group_key": self.group_key, "fired_at": self.fired_at.isoformat(), "summary": self.summary,
                "details": self.details}
