"""Celery app, tasks and the pure stage logic (dedupe, enrich, cluster)."""

from workers.celery_app import app

__all__ = ["app"]
