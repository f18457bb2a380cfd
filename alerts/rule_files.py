"""Rules as data: YAML files in a folder (``COVERWATCH_RULES_DIR``). A file
holds one rule (a mapping) or several (``rules: [...]``). Every rule of every
file is checked before any is registered, so one typo cannot leave half a
folder applied."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from alerts.rule_model import AlertRule
from alerts.rule_types import RuleSchemaError, parse_rule


class RuleFileError(ValueError):
    """A rule file that cannot be read, or rules that do not validate."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def rule_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in {".yml", ".yaml"} and p.is_file())
    return [path]


def _entries(document: Any, origin: str) -> list[Any]:
    if document is None:
        return []
    if isinstance(document, dict) and set(document) == {"rules"}:
        entries = document["rules"]
        if not isinstance(entries, list):
            raise RuleFileError([f"{origin}: 'rules' must be a list of rules"])
        return entries
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise RuleFileError([f"{origin}: expected a rule, a list of rules or 'rules: [...]'"])


def parse_rule_documents(documents: Iterable[tuple[str, Any]]) -> list[AlertRule]:
    """Typed rules from (origin, parsed YAML) pairs; every problem is collected."""
    rules: list[AlertRule] = []
    problems: list[str] = []
    origin_by_name: dict[str, str] = {}
    for origin, document in documents:
        try:
            entries = _entries(document, origin)
        except RuleFileError as failure:
            problems.extend(failure.problems)
            continue
        for position, entry in enumerate(entries, start=1):
            where = f"{origin}#{position}" if len(entries) > 1 else origin
            if not isinstance(entry, dict):
                problems.append(f"{where}: a rule must be a mapping of fields")
                continue
            try:
                rule = parse_rule(entry, origin=where)
            except RuleSchemaError as failure:
                problems.append(str(failure))
                continue
            key = rule.name.casefold()
            if key in origin_by_name:
                problems.append(f"rule {rule.name!r} in {where}: field 'name': "
                                f"already defined in {origin_by_name[key]}")
                continue
            origin_by_name[key] = where
            rules.append(rule)
    if problems:
        raise RuleFileError(problems)
    return rules


def load_rule_files(path: Path) -> list[AlertRule]:
    documents = []
    unreadable = []
    for file in rule_files(path):
        try:
            documents.append((file.name, yaml.safe_load(file.read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as failure:
            unreadable.append(f"{file}: cannot read: {failure}")
    if unreadable:
        raise RuleFileError(unreadable)
    return parse_rule_documents(documents)
