"""`coverwatch export`: what it refuses before it touches a service."""

from __future__ import annotations

import pytest

from console.main import main


def test_an_unknown_format_is_refused_naming_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "yaml"]) == 2
    error = capsys.readouterr().err
    assert "no exchange format 'yaml'" in error
    assert "known:" in error


def test_a_story_needs_a_story_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--story", "s1"]) == 2
    assert "--story needs a story format" in capsys.readouterr().err


def test_a_bad_date_is_refused(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.exchange import FORMATS, ExchangeFormat

    monkeypatch.setitem(FORMATS, "test-format", ExchangeFormat("test-format", "text/plain", lambda records, o: ""))
    assert main(["export", "--format", "test-format", "--since", "last week"]) == 2
    assert "--since 'last week' is not a date (YYYY-MM-DD)" in capsys.readouterr().err
