"""The task runtime (workers/runtime/), the pure stage logic (dedupe, enrich,
cluster) and the pipeline's tasks.

``workers.app`` is the Celery app (``celery -A workers``), built on first use:
importing a stage module (``workers.dedupe``, ``workers.enrichment`` ...) builds
no app and imports no task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    app: Celery

__all__ = ["app"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from workers.runtime.app import app

        return app
    raise AttributeError(f"module 'workers' has no attribute {name!r}")
