"""Structured logs: with ``COVERWATCH_LOG_FORMAT=json`` every line is one JSON
object, and lines written while a stage runs carry its stage, task id, batch
key and the ids of the articles in the batch, so one article can be followed
from crawl to alert with a single search in the log store.

The ids travel in context variables set by the shared task base
(workers/base.py), so no log call has to pass them along.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from coverwatch.settings import Settings

log = logging.getLogger(__name__)
_stage: ContextVar[dict[str, Any] | None] = ContextVar("coverwatch_stage", default=None)
# Fields a caller may also give with ``extra=``; the context fills in the rest.
CONTEXT_FIELDS = ("stage", "task_id", "batch_id", "article_ids", "article_id", "source")


@contextmanager
def stage_context(stage: str, task_id: str | None, batch_id: str | None) -> Iterator[dict[str, Any]]:
    """Everything logged inside is tagged with this stage run."""
    context: dict[str, Any] = {"stage": stage, "task_id": task_id, "batch_id": batch_id}
    token = _stage.set(context)
    try:
        yield context
    finally:
        _stage.reset(token)


def note_articles(article_ids: Iterable[str]) -> None:
    """The articles the running stage works on (a no-op outside a stage)."""
    context = _stage.get()
    if context is not None:
        context["article_ids"] = list(article_ids)


def current_context() -> dict[str, Any]:
    return dict(_stage.get() or {})


class StageContextFilter(logging.Filter):
    """Copies the running stage's ids onto each record, where ``extra`` did not set them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_context().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def use_format(handlers: Iterable[logging.Handler], settings: Settings) -> None:
    """Give these handlers the stage filter and, when asked for, the JSON format."""
    for handler in handlers:
        if not any(isinstance(existing, StageContextFilter) for existing in handler.filters):
            handler.addFilter(StageContextFilter())
        if settings.log_format == "json":
            handler.setFormatter(JsonFormatter())


def configure_logging(settings: Settings) -> None:
    """For processes that set up the root logger themselves (the CLI)."""
    use_format(logging.getLogger().handlers, settings)


def begin_task(task_name: str, task_id: str | None, args: tuple[Any, ...] | list[Any] | None) -> None:
    """A task starts: its first argument, when it is a stored batch's key, is the batch id."""
    first = args[0] if args else None
    _stage.set({"stage": task_name, "task_id": task_id, "batch_id": first if isinstance(first, str) else None})


def end_task(outcome: str) -> None:
    """One line per stage run names every article it handled, then the context ends."""
    context = _stage.get()
    if context is not None and context.get("article_ids") is not None:
        log.info("%s %s: %d article(s)", context["stage"], outcome, len(context["article_ids"]),
                 extra={"article_ids": context["article_ids"]})
    _stage.set(None)


def install_celery_logging(settings: Settings) -> None:
    """Apply the format to the handlers Celery sets up in workers and beat, and
    tag every task's lines with its ids (prerun and postrun run in the task's own
    thread, around the task body)."""
    from celery import signals

    def on_logger_setup(logger: logging.Logger | None = None, **_: Any) -> None:
        if logger is not None:
            use_format(logger.handlers, settings)

    def on_prerun(task_id: str | None = None, task: Any = None, args: Any = None, **_: Any) -> None:
        begin_task(getattr(task, "name", "?"), task_id, args)

    def on_postrun(state: str | None = None, **_: Any) -> None:
        end_task((state or "done").lower())

    signals.after_setup_logger.connect(on_logger_setup, weak=False, dispatch_uid="coverwatch-log-format")
    signals.after_setup_task_logger.connect(on_logger_setup, weak=False, dispatch_uid="coverwatch-task-log-format")
    signals.task_prerun.connect(on_prerun, weak=False, dispatch_uid="coverwatch-log-context")
    signals.task_postrun.connect(on_postrun, weak=False, dispatch_uid="coverwatch-log-context-end")
