"""The task runtime: the Celery app (``app``), the task base (``base``), stored
batches (``batches``), crash recovery (``recovery``, ``recovery_plan``,
``lifecycle``) and locks (``locks``).

This is the layer every task module stands on, and it stands on nothing above
``coverwatch`` core: it imports no domain (alerts, search, web, crawlers, the
pipeline's stages or stories). The app knows the modules that declare tasks by
name only (``app.TASK_MODULES``), so building or sending a chain imports none.
"""
