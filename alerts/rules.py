"""Alert rules: a query string and the subscribers who want to hear about it.

A rule is stored as a percolator document, so each new article is matched
against every rule in one request instead of each rule being run as a search.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from coverwatch.models import utc_now
from coverwatch.settings import Settings
from search.engine import EngineError, NotFound, SearchEngine
from search.indexes import ARTICLES, RULES
from search.queries import rule_query

# Deliberately plain: internal relays use names like alerts@host.local that
# strict public-mail validators refuse.
EmailAddress = Annotated[str, StringConstraints(
    strip_whitespace=True, max_length=254,
    pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")]


class DeliveryMode(StrEnum):
    IMMEDIATE = "immediate"


class InvalidRule(ValueError):
    """The rule's query string does not parse."""


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    query_string: str = Field(min_length=1, max_length=4000)
    subscribers: list[EmailAddress] = Field(min_length=1)
    mode: DeliveryMode = DeliveryMode.IMMEDIATE
    enabled: bool = True

    @property
    def id(self) -> str:
        return rule_id(self.name)

    def to_document(self) -> dict[str, Any]:
        return {
            "query": rule_query(self.query_string),
            "rule": {
                "id": self.id,
                "name": self.name,
                "query_string": self.query_string,
                "subscribers": [str(address) for address in self.subscribers],
                "mode": self.mode.value,
                "enabled": self.enabled,
                "created_at": utc_now().isoformat(),
            },
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> AlertRule:
        rule = document["rule"]
        return cls(name=rule["name"], query_string=rule["query_string"],
                   subscribers=rule["subscribers"], mode=rule.get("mode", "immediate"),
                   enabled=rule.get("enabled", True))


def rule_id(name: str) -> str:
    """Names are unique regardless of case: registering a name again replaces the rule."""
    return hashlib.sha1(name.casefold().encode("utf-8")).hexdigest()[:20]


def register_rule(engine: SearchEngine, settings: Settings, rule: AlertRule) -> str:
    """Validate the query against the article index, then store it (same name = replace)."""
    try:
        engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                       {"size": 0, "query": rule_query(rule.query_string)})
    except EngineError as failure:
        if failure.status == 400:
            raise InvalidRule(f"rule {rule.name!r}: query does not parse: "
                              f"{rule.query_string!r}") from failure
        raise
    engine.request("PUT", f"/{settings.index_name(RULES)}/_doc/{rule.id}", rule.to_document(),
                   params={"refresh": "true"})
    return rule.id


def delete_rule(engine: SearchEngine, settings: Settings, name: str) -> bool:
    """Remove a rule by name; False when there was none. Deliveries already made stay recorded."""
    try:
        engine.request("DELETE", f"/{settings.index_name(RULES)}/_doc/{rule_id(name)}", params={"refresh": "true"})
    except NotFound:
        return False
    return True


def list_rules(engine: SearchEngine, settings: Settings) -> list[AlertRule]:
    answer = engine.request("POST", f"/{settings.index_name(RULES)}/_search",
                            {"size": 1000, "query": {"match_all": {}}, "_source": ["rule"]})
    return [AlertRule.from_document(hit["_source"]) for hit in answer["hits"]["hits"]]
