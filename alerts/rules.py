"""Alert rules in the engine: register (validated against the article index),
list, show, delete. A rule is stored as a percolator document, so each new
article is matched against every percolated rule in one request; periodic
types are stored without a percolator query and evaluated on a schedule.

The rule model and its types live in alerts/rule_model.py and
alerts/rule_types/; ``AlertRule`` is re-exported here for existing callers.
"""

from __future__ import annotations

from typing import Any

from alerts.rule_model import AlertRule, DeliveryMode, RuleFilters, rule_id
from alerts.rule_types import RuleSchemaError, parse_rule, typed
from coverwatch.models import utc_now
from coverwatch.settings import Settings
from search.engine import EngineError, NotFound, SearchEngine
from search.indexes import ARTICLES, RULES
from search.queries import all_rules, query_validation

__all__ = [
    "AlertRule",
    "DeliveryMode",
    "InvalidRule",
    "RuleFilters",
    "RuleSchemaError",
    "check_query",
    "delete_rule",
    "from_document",
    "get_rule",
    "list_rules",
    "register_rule",
    "rule_id",
    "rule_spec",
    "to_document",
]


class InvalidRule(ValueError):
    """The rule's query string does not parse."""


def rule_spec(rule: AlertRule) -> dict[str, Any]:
    """The rule as a YAML author would write it: defaults left out, type always in."""
    return {"name": rule.name, "type": rule.type, **rule.model_dump(mode="json", exclude_defaults=True)}


def to_document(rule: AlertRule) -> dict[str, Any]:
    rule = typed(rule)
    document: dict[str, Any] = {
        "rule": {
            "id": rule.id,
            "name": rule.name,
            "type": rule.type,
            "query_string": rule.query_string,
            "subscribers": list(rule.subscribers),
            "mode": rule.mode.value,
            "enabled": rule.enabled,
            "created_at": utc_now().isoformat(),
            # The whole rule as written; mapped fields above are for filtering.
            "spec": rule_spec(rule),
        },
    }
    if rule.percolated:
        document["query"] = rule.matching_query()
    return document


def from_document(document: dict[str, Any]) -> AlertRule:
    stored = document["rule"]
    if "spec" in stored:
        return parse_rule(stored["spec"])
    # Stored before rule types existed: a plain query-string rule.
    return parse_rule({"name": stored["name"], "query_string": stored["query_string"],
                       "subscribers": stored["subscribers"], "mode": stored.get("mode", "immediate"),
                       "enabled": stored.get("enabled", True)})


def check_query(engine: SearchEngine, settings: Settings, rule: AlertRule) -> None:
    """InvalidRule unless the engine parses the rule's query against the article index."""
    try:
        engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                       query_validation(rule.matching_query()))
    except EngineError as failure:
        if failure.status == 400:
            raise InvalidRule(f"rule {rule.name!r}: query does not parse: "
                              f"{rule.query_string!r}") from failure
        raise


def register_rule(engine: SearchEngine, settings: Settings, rule: AlertRule) -> str:
    """Validate the query against the article index, then store it (same name = replace)."""
    rule = typed(rule)
    check_query(engine, settings, rule)
    engine.request("PUT", f"/{settings.index_name(RULES)}/_doc/{rule.id}", to_document(rule),
                   params={"refresh": "true"})
    return rule.id


def delete_rule(engine: SearchEngine, settings: Settings, name: str) -> bool:
    """Remove a rule by name; False when there was none. Deliveries already made stay recorded."""
    try:
        engine.request("DELETE", f"/{settings.index_name(RULES)}/_doc/{rule_id(name)}",
                       params={"refresh": "true"})
    except NotFound:
        return False
    return True


def get_rule(engine: SearchEngine, settings: Settings, name: str) -> AlertRule | None:
    try:
        answer = engine.request("GET", f"/{settings.index_name(RULES)}/_doc/{rule_id(name)}")
    except NotFound:
        return None
    return from_document(answer["_source"])


def list_rules(engine: SearchEngine, settings: Settings) -> list[AlertRule]:
    answer = engine.request("POST", f"/{settings.index_name(RULES)}/_search", all_rules())
    return [from_document(hit["_source"]) for hit in answer["hits"]["hits"]]
