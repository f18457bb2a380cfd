"""The rule-type registry: ``type`` name -> rule class. A new type is one module
in this package that subclasses alerts.rule_model.AlertRule, pins ``type`` with
a Literal and decorates the class with :func:`register_rule_type`; every public
module here is imported (and so registered) when the package is."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from alerts.rule_model import AlertRule

RULE_TYPES: dict[str, type[AlertRule]] = {}
SomeRule = TypeVar("SomeRule", bound=AlertRule)


class RuleSchemaError(ValueError):
    """A rule that does not fit its type's schema; says which rule and which fields."""

    def __init__(self, rule: str, problems: list[tuple[str, str]], origin: str = "") -> None:
        self.rule = rule
        self.problems = problems
        self.origin = origin
        where = f" in {origin}" if origin else ""
        details = "; ".join(f"field {field!r}: {message}" for field, message in problems)
        super().__init__(f"rule {rule!r}{where}: {details}")


def register_rule_type(rule_class: type[SomeRule]) -> type[SomeRule]:
    name = rule_class.model_fields["type"].default
    if not isinstance(name, str) or name in RULE_TYPES:
        raise TypeError(f"{rule_class.__name__} needs a unique `type` default, got {name!r}")
    RULE_TYPES[name] = rule_class
    return rule_class


def _field_name(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(rule)"


def parse_rule(spec: Mapping[str, Any], origin: str = "") -> AlertRule:
    """The typed rule a mapping (a YAML entry, a stored document) describes."""
    name = str(spec.get("name") or "(unnamed)")
    type_name = spec.get("type", "match")
    rule_class = RULE_TYPES.get(type_name) if isinstance(type_name, str) else None
    if rule_class is None:
        known = ", ".join(sorted(RULE_TYPES))
        raise RuleSchemaError(name, [("type", f"unknown rule type {type_name!r}; known: {known}")], origin)
    try:
        return rule_class.model_validate({**spec, "type": type_name})
    except ValidationError as failure:
        problems = [(_field_name(error["loc"]), error["msg"].removeprefix("Value error, "))
                    for error in failure.errors()]
        raise RuleSchemaError(name, problems, origin) from None


def typed(rule: AlertRule) -> AlertRule:
    """A rule as its registered type (a bare AlertRule becomes a match rule)."""
    if type(rule) is RULE_TYPES.get(rule.type):
        return rule
    return parse_rule(rule.model_dump(mode="json"))


def _import_rule_type_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_rule_type_modules()
