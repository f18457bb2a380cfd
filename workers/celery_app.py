"""The Celery application: Redis broker and result store, one queue per stage."""

from __future__ import annotations

from celery import Celery

from coverwatch.settings import get_settings

STAGES = ("ingest", "dedupe", "index", "alerts", "deliver")


def make_app() -> Celery:
    settings = get_settings()
    app = Celery("coverwatch", broker=settings.redis_url, backend=settings.redis_url,
                 include=["workers.tasks"])
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        # A worker killed mid-task hands the message back instead of losing it.
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        task_default_queue=settings.queue_name("ingest"),
        task_routes={f"workers.{stage}": {"queue": settings.queue_name(stage)}
                     for stage in STAGES},
        worker_hijack_root_logger=False,
    )
    return app


app = make_app()


def all_queues() -> list[str]:
    settings = get_settings()
    return [settings.queue_name(stage) for stage in STAGES]
