"""Structured logs: a stage's lines carry its task, batch and article ids; JSON on request."""

from __future__ import annotations

import json
import logging

import pytest

from coverwatch.logs import (
    JsonFormatter,
    StageContextFilter,
    begin_task,
    current_context,
    end_task,
    note_articles,
    stage_context,
    use_format,
)
from coverwatch.settings import Settings


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("workers.tasks", logging.INFO, __file__, 1, message, args or None, None)
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def _formatted(record: logging.LogRecord) -> dict[str, object]:
    StageContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert isinstance(line, dict)
    return line


def test_lines_inside_a_task_carry_its_ids_and_lines_outside_do_not() -> None:
    begin_task("workers.enrich", "task-7", ["coverwatch:batch:abc", {"keep_off_topic": False}])
    note_articles(["a1", "a2"])
    line = _formatted(_record("off-topic article dropped: %s", "https://a.example/x"))
    assert line["stage"] == "workers.enrich" and line["task_id"] == "task-7"
    assert line["batch_id"] == "coverwatch:batch:abc" and line["article_ids"] == ["a1", "a2"]
    assert line["message"] == "off-topic article dropped: https://a.example/x" and line["level"] == "INFO"
    end_task("success")
    assert current_context() == {}
    assert "batch_id" not in _formatted(_record("between tasks"))


def test_an_explicit_article_id_wins_over_the_context() -> None:
    with stage_context("workers.cluster", "t", "coverwatch:batch:1"):
        note_articles(["a1", "a2"])
        line = _formatted(_record("engine refused article", article_id="a2"))
    assert line["article_id"] == "a2" and line["article_ids"] == ["a1", "a2"]


def test_a_task_whose_argument_is_no_batch_has_no_batch_id() -> None:
    begin_task("workers.crawl", "t", ["desk-wire"])
    assert current_context()["batch_id"] == "desk-wire"  # a string first argument is named as given
    end_task("success")
    begin_task("workers.deliver", "t", [{"name": "rule"}, {}])
    assert current_context()["batch_id"] is None
    end_task("success")


def test_the_end_of_a_stage_names_how_many_articles_it_handled(caplog: pytest.LogCaptureFixture) -> None:
    begin_task("workers.dedupe", "t9", ["coverwatch:batch:2"])
    note_articles(["a1", "a2", "a3"])
    with caplog.at_level(logging.INFO, logger="coverwatch.logs"):
        end_task("success")
    assert [r.getMessage() for r in caplog.records] == ["workers.dedupe success: 3 article(s)"]
    assert caplog.records[0].article_ids == ["a1", "a2", "a3"]  # type: ignore[attr-defined]


def test_json_is_opt_in() -> None:
    text_handler, json_handler = logging.StreamHandler(), logging.StreamHandler()
    use_format([text_handler], Settings(log_format="text"))
    use_format([json_handler], Settings(log_format="json"))
    use_format([json_handler], Settings(log_format="json"))  # twice: still one filter
    assert not isinstance(text_handler.formatter, JsonFormatter)
    assert isinstance(json_handler.formatter, JsonFormatter)
    assert sum(isinstance(f, StageContextFilter) for f in json_handler.filters) == 1
    assert any(isinstance(f, StageContextFilter) for f in text_handler.filters)


def test_exceptions_are_kept_in_the_json_line() -> None:
    try:
        raise ValueError("engine said no")
    except ValueError:
        import sys

        record = logging.LogRecord("workers.base", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = _formatted(record)
    assert "ValueError: engine said no" in str(line["exception"])
