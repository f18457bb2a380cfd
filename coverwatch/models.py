"""The records every stage passes along: an ``Article`` and the ``Story`` it joins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from coverwatch.fields import ARTICLE_FIELDS, ArticleField, enriched_fields
from coverwatch.urls import article_id, canonicalize_url

# Validation context key naming the article-field table to allow extras from
# (a copy of the table in tests); coverwatch/fields.py ``ARTICLE_FIELDS`` when not given.
FIELDS_CONTEXT = "article_fields"


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 (with Z), naive times read as UTC; None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Article(BaseModel):
    """One news article as crawled and as it is indexed.

    ``id`` is derived from ``canonical_url``; two spellings of one article's URL
    give the same id, so writing it twice stays one document.

    Today's fields are typed attributes. A field only the article-field table
    declares (an ``enriched`` row, coverwatch/fields.py) is a pydantic extra:
    kept when read, dumped into the stored document, set by the enrich stage
    through :meth:`set_fields`. Any other key is ignored, as it always was (a
    stored document's ``id``, ``event_time``, a crawler item's stray key), and
    assigning an attribute no field names still fails.
    """

    model_config = ConfigDict(extra="allow")

    url: str
    canonical_url: str = ""
    title: str = Field(min_length=1)
    body: str = Field(min_length=1)
    lead: str = ""
    source: str
    language: str = "en"
    country: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    crawled_at: datetime = Field(default_factory=utc_now)
    authors: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    image: str | None = None

    # Filled in by the worker stages.
    body_hash: str | None = None
    duplicate_of: str | None = None
    actors: list[str] = Field(default_factory=list)  # canonical actor ids (ATT&CK G-ids where known)
    actor_names: list[str] = Field(default_factory=list)
    attributed_states: list[str] = Field(default_factory=list)
    victim_countries: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)
    malware: list[str] = Field(default_factory=list)
    cves: list[str] = Field(default_factory=list)
    claim_type: str | None = None
    claim_evidence: str | None = None
    claimant: str | None = None
    # Every attribution claim reported (workers/attribution/): the eight claims-dev fields each.
    claims: list[dict[str, str | None]] = Field(default_factory=list)
    # Indicators of compromise ({"type", "value"}, refanged: workers/indicators/), ATT&CK
    # technique ids and their tactics (workers/techniques.py).
    indicators: list[dict[str, str]] = Field(default_factory=list)
    techniques: list[str] = Field(default_factory=list)
    tactics: list[str] = Field(default_factory=list)
    relevance: float | None = None
    relevance_evidence: list[str] = Field(default_factory=list)
    # "on_topic" (alerts), "possible" (indexed; digests of subscribers who opt in) or "off_topic"; workers/relevance.py.
    relevance_band: str | None = None
    relevance_model_version: str | None = None  # which model scored it (workers/relevance.py)
    on_topic: bool | None = None
    # An analyst's mark ("espionage" / "not_espionage") wins over the model: band and
    # on_topic follow it, and the model's own verdict waits here for the mark to be
    # cleared (search/relevance_marks.py).
    relevance_mark: str | None = None
    relevance_marked_by: str | None = None
    relevance_marked_at: datetime | None = None
    relevance_model_band: str | None = None
    relevance_model_on_topic: bool | None = None
    story_id: str | None = None
    story_lineage: list[str] = Field(default_factory=list)  # stories merged into story_id that held it before
    cluster_terms: list[str] = Field(default_factory=list)
    cluster_weights: list[float] = Field(default_factory=list)
    cluster_names: list[str] = Field(default_factory=list)  # salient names, lower case: who the story is about
    cluster_years: list[str] = Field(default_factory=list)  # years the text names: when
    # Keys no translation changes (actors, states, victims, malware, CVEs, numbers, days,
    # Latin-script names), for linking coverage across languages: workers/story_evidence.py.
    cluster_evidence: list[str] = Field(default_factory=list)

    @field_validator("title", "body", "lead")
    @classmethod
    def _strip(cls, text: str) -> str:
        return text.strip()

    @model_validator(mode="after")
    def _declared_extras_only(self, info: ValidationInfo) -> Self:
        extra = self.__pydantic_extra__
        if extra:
            allowed = _extra_names((info.context or {}).get(FIELDS_CONTEXT, ARTICLE_FIELDS))
            for key in [key for key in extra if key not in allowed]:
                del extra[key]
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        # extra="allow" would take any name; keep extra="ignore"'s refusal of a misspelt one.
        if name not in _ATTRIBUTES and name not in _DECLARED_EXTRAS and not name.startswith("_"):
            raise ValueError(f'"{type(self).__name__}" object has no field "{name}"')
        super().__setattr__(name, value)

    def set_fields(self, values: Mapping[str, Any], table: Iterable[ArticleField] = ARTICLE_FIELDS) -> None:
        """Set fields by name: typed attributes, and the extras ``table`` declares."""
        allowed = _extra_names(table)
        extra = self.__pydantic_extra__
        for name, value in values.items():
            if name in _ATTRIBUTES:
                setattr(self, name, value)
            elif name in allowed and extra is not None:
                extra[name] = value
            else:
                raise ValueError(f'"{type(self).__name__}" object has no field "{name}" (no enriched row declares it)')

    def model_post_init(self, __context: Any) -> None:
        if not self.canonical_url:
            self.canonical_url = canonicalize_url(self.url)

    @property
    def id(self) -> str:
        return article_id(self.canonical_url)

    def to_document(self) -> dict[str, Any]:
        """The JSON document stored in the search engine."""
        document = self.model_dump(mode="json")
        document["id"] = self.id
        # When it happened, as far as we know: clustering windows need one time per article.
        document["event_time"] = (self.published_at or self.crawled_at).isoformat()
        # Term and weight in one value: doc values sort each field on its own, so
        # two parallel arrays would lose their pairing there.
        document["cluster_features"] = [f"{term}|{weight}" for term, weight
                                        in zip(self.cluster_terms, self.cluster_weights, strict=False)]
        return document


_ATTRIBUTES = frozenset(Article.model_fields)


def _extra_names(table: Iterable[ArticleField]) -> frozenset[str]:
    """The extras an Article may hold under ``table``: its enriched rows the model does not name."""
    return _DECLARED_EXTRAS if table is ARTICLE_FIELDS else frozenset(enriched_fields(table)) - _ATTRIBUTES


_DECLARED_EXTRAS = frozenset(enriched_fields(ARTICLE_FIELDS)) - _ATTRIBUTES


class Story(BaseModel):
    """Related coverage of one incident, across outlets."""

    id: str
    title: str
    first_seen: datetime
    first_outlet: str
    outlets: list[str] = Field(default_factory=list)
    article_count: int = 0
    languages: list[str] = Field(default_factory=list)
    actors: list[str] = Field(default_factory=list)
    actor_names: list[str] = Field(default_factory=list)
    victim_countries: list[str] = Field(default_factory=list)
    merged_from: list[str] = Field(default_factory=list)  # ids of stories merged into this one: its lineage
    last_update: datetime = Field(default_factory=utc_now)
