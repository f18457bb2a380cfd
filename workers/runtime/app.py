"""The Celery application: Redis broker and result store, one queue per stage.

The app names the modules that declare tasks (``TASK_MODULES``) and imports
none of them: a worker (``celery -A workers worker``, ``coverwatch worker``) and
beat import them at start, while a process that only sends work (the crawler's
hand-off, a dead-letter replay) builds its chains from task names."""

from __future__ import annotations

from celery import Celery, signals

from coverwatch.connections import celery_connection
from coverwatch.logs import install_celery_logging
from coverwatch.metrics import stamp_enqueue_time
from coverwatch.settings import get_settings
from workers.runtime.lifecycle import watch_worker_lifecycle
from workers.runtime.queues import route_to_stage_queue

# Every module that declares tasks: the pipeline's stages, and each domain's own
# beside that domain (story upkeep, alert delivery, crawl dispatch).
TASK_MODULES = ("workers.tasks", "workers.story_tasks", "alerts.tasks", "crawlers.tasks")


def make_app() -> Celery:
    settings = get_settings()
    # Password, TLS and Sentinel for broker and backend (coverwatch/connections.py).
    connection = celery_connection(settings)
    app = Celery("coverwatch", broker=connection.broker_url, backend=connection.backend_url,
                 include=list(TASK_MODULES))
    app.conf.update(connection.conf)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        # A worker killed mid-task hands the message back instead of losing it.
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Stage results carry whole batches; waiters read them within minutes.
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        # Ride out a broker restart when publishing (a chain's next stage, a retry):
        # Celery drops a message whose retry cannot be published (Reject, requeue=False).
        task_publish_retry_policy={"max_retries": 40, "interval_start": 0, "interval_step": 0.5,
                                   "interval_max": 2},
        # Storing a stage's result comes before its chain goes on: a failed store would
        # end the chain there, so it too waits for the broker (up to a minute or so).
        result_backend_always_retry=True,
        result_backend_max_retries=20,
        result_backend_max_sleep_between_retries_ms=5000,
        broker_transport_options={"visibility_timeout": 3600, **connection.broker_transport_options},
        task_default_queue=settings.queue_name("ingest"),
        task_routes=(route_to_stage_queue,),
        worker_hijack_root_logger=False,
        beat_schedule_filename=str(settings.var_dir / "run" / f"celerybeat-{settings.index_prefix}"),
        beat_schedule={
            "merge-converged-stories": {"task": "workers.merge_stories", "schedule": 600.0},
            "refresh-dirty-stories": {"task": "workers.refresh_stories", "schedule": 30.0},
            "dispatch-due-crawls": {"task": "workers.dispatch_crawls", "schedule": settings.dispatch_seconds},
            "evaluate-periodic-rules": {"task": "workers.evaluate_rules",
                                        "schedule": settings.rule_evaluation_seconds},
            "send-due-digests": {"task": "workers.send_digests", "schedule": settings.digest_check_seconds},
        },
    )
    return app


app = make_app()

# Observability (coverwatch/logs.py, coverwatch/metrics.py): every task's log lines
# carry its stage, task, batch and article ids; every message its publish time,
# from which /metrics and `coverwatch status` tell how old a queue's oldest is.
# Here, not in the task base, so a process that sends by name stamps too.
install_celery_logging(get_settings())
signals.before_task_publish.connect(stamp_enqueue_time, weak=False, dispatch_uid="coverwatch-enqueued-at")

# Worker processes heartbeat, note which messages they hold, and return the
# messages of workers that died (workers/runtime/lifecycle.py).
watch_worker_lifecycle(app)
