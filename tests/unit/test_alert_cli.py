"""`coverwatch rules load --check`: the schema alone, no engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.main import main


def test_check_lists_valid_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "desk.yml").write_text(
        "- {name: Growth, type: story_growth, query_string: Turla, min_outlets: 3, within_hours: 6,"
        " subscribers: [desk@example.org]}\n"
        "- {name: Hooks, filters: {actors: Volt Typhoon}, subscribers: ['https://hooks.example.com/cw']}\n")
    assert main(["rules", "load", "--check", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["rule 'Growth' (story_growth) valid", "rule 'Hooks' (match) valid"]


def test_check_fails_naming_file_rule_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "desk.yml").write_text("name: Busy\ntype: threshold\nquery_string: APT41\nwindow_hours: 2\n"
                                       "subscribers: [desk@example.org]\n")
    assert main(["rules", "load", "--check", str(tmp_path / "desk.yml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == "error: rule 'Busy' in desk.yml: field 'min_articles': Field required"
