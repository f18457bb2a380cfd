"""`coverwatch extract`: many pages in one call, one JSON line each, failures reported and skipped."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from console.main import main

ARTICLE = ("<html><head><title>Ministry breach</title></head><body><article>"
           + "<p>Officials said the attackers used a stolen contractor account to reach the ministry's mail "
             "servers and copied messages for several weeks before they were found.</p>" * 4
           + "</article></body></html>")
SHELL = "<html><head><title>App</title></head><body><div id='root'></div></body></html>"


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_many_files_one_line_each_and_a_failure_does_not_stop_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.html.gz"
    good.write_bytes(gzip.compress(ARTICLE.encode()))
    shell = tmp_path / "shell.html"
    shell.write_text(SHELL, encoding="utf-8")
    again = tmp_path / "again.html"
    again.write_text(ARTICLE, encoding="utf-8")

    assert main(["extract", str(good), str(shell), str(again)]) == 0
    rows = _lines(capsys.readouterr().out)
    assert [row["file"] for row in rows] == [str(good), str(shell), str(again)]
    assert rows[0]["title"] == "Ministry breach" and "stolen contractor account" in str(rows[0]["body"])
    assert str(rows[1]["error"]).startswith("NoArticleBody")
    assert "error" not in rows[2]


def test_exit_is_non_zero_when_every_page_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shell = tmp_path / "shell.html"
    shell.write_text(SHELL, encoding="utf-8")
    assert main(["extract", str(shell)]) == 1
    assert "error" in _lines(capsys.readouterr().out)[0]


def test_exit_is_non_zero_when_a_file_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.html"
    good.write_text(ARTICLE, encoding="utf-8")
    assert main(["extract", str(good), str(tmp_path / "missing.html")]) == 1
    rows = _lines(capsys.readouterr().out)
    assert "body" in rows[0] and "error" in rows[1]


def test_a_corrupt_gzip_is_a_page_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(b"not gzip at all")
    good = tmp_path / "good.html"
    good.write_text(ARTICLE, encoding="utf-8")
    assert main(["extract", str(broken), str(good)]) == 0
    assert "error" in _lines(capsys.readouterr().out)[0]


def test_starting_the_cli_does_not_import_the_extractors() -> None:
    # Start-up cost is what a one-page call pays; the extractors load only when a page is read.
    probe = ("import sys, console.main, crawlers.extraction; "
             "print(sorted(m for m in ('trafilatura', 'readability', 'py3langid') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "[]"
