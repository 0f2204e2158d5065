"""The task engine: procrastinate, one App for the whole project (docs/ARCHITECTURE.md).

Where the queue lives:

- PostgreSQL (a deployment): procrastinate's tables. A job is deferred through Django's own
  connection (``DjangoConnector``), so a job deferred inside ``transaction.atomic()`` is committed
  with the change it belongs to, or rolled back with it; workers fetch jobs with
  ``SELECT … FOR UPDATE SKIP LOCKED`` and are woken by LISTEN/NOTIFY when one is committed.
- Anything else (the embedded SQLite default): procrastinate has no SQLite backend, so the queue is
  its in-memory connector inside the one process that runs the worker (``lastmeter serve``). A job is
  handed to it when the change commits (``transaction.on_commit``). When no worker runs in this
  process, or the process restarts, such a job is gone — and nothing is lost: every job here is a
  wake-up call for rows that say themselves what is due (an outbox message, an inbound item), and
  the periodic sweeps find those rows.

Apps defer by task name (``defer("appeals.deliver_outbox_message", message_id=…)``): the names
belong to the apps, and the top floor (lastmeter/worker.py) binds each name to its function, so no
app imports a floor above it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from procrastinate import App, PsycopgConnector, exceptions, manager, tasks, testing
from procrastinate.contrib.django import DjangoApp, connector_params
from procrastinate.contrib.django.django_connector import DjangoConnector

log = logging.getLogger("lastmeter.tasks")

QUEUE = "lastmeter"


class EmbeddedConnector(testing.InMemoryConnector):
    """procrastinate's in-memory queue, made fit for a process that runs for months.

    The library ships it for tests, and for tests it remembers every query and every finished
    job's events; here both would grow without end, so queries are not recorded and a deleted
    job's events go with it. It also remembers the event loop it was opened on, where ``defer``
    hands jobs over from other threads."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def generic_execute(self, query: str, suffix: str, **arguments: Any) -> Any:
        return await getattr(self, f"{self.reverse_queries[query]}_{suffix}")(**arguments)

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        await super().finish_job_run(job_id=job_id, status=status, delete_job=delete_job)
        if delete_job:
            self.events.pop(job_id, None)

    async def open_async(self, pool: Any = None) -> None:
        # A worker starting in this process starts with an empty queue, as after a restart: what an
        # earlier worker here left undone is found again by the sweeps.
        self.reset()
        await super().open_async(pool)
        self.loop = asyncio.get_running_loop()

    async def close_async(self) -> None:
        self.loop = None
        await super().close_async()


def in_database() -> bool:
    """True when the queue is procrastinate's tables (PostgreSQL), False when it is in memory."""
    return bool(settings.TASKS_IN_DATABASE)


def _connector() -> DjangoConnector | EmbeddedConnector:
    return DjangoConnector() if in_database() else EmbeddedConnector()


# DjangoApp closes Django's per-thread connections around every task, as Django does around a
# request. Successful jobs are deleted when they finish (the queue stays small under load); failed
# ones stay for inspection until the daily cleanup.
app: App = DjangoApp(connector=_connector(), worker_defaults={"delete_jobs": "successful"})

# The jobs deferred by web processes and by tasks go through Django's connection on PostgreSQL
# (see the module's docstring); a worker process swaps ``app``'s connector for a pool of its own,
# which must never carry a deferral, so deferring uses this manager of its own.
_deferring = manager.JobManager(connector=app.connector)


def defer(
    task_name: str,
    *,
    lock_key: str | None = None,
    run_at: datetime | None = None,
    priority: int = 0,
    **kwargs: Any,
) -> None:
    """Queue ``task_name(**kwargs)`` to run (not before ``run_at``), as part of the current change.

    On PostgreSQL the job is written in the caller's transaction (a savepoint, so that a refused
    job never aborts the change); elsewhere it is handed over when the change commits.
    ``lock_key`` is procrastinate's queueing lock: while a job with that key waits, another is not
    queued (a message has at most one delivery job waiting). A job of higher ``priority`` is run
    before every due job of lower priority (procrastinate's order: priority, then age)."""
    options: dict[str, Any] = {"queue": QUEUE, "queueing_lock": lock_key, "priority": priority}
    if run_at is not None and run_at > timezone.now():
        options["schedule_at"] = run_at
    if not in_database():
        transaction.on_commit(lambda: _hand_over(task_name, options, kwargs))
        return
    deferrer = tasks.configure_task(name=task_name, job_manager=_deferring, **options)
    try:
        with transaction.atomic():
            deferrer.defer(**kwargs)
    except exceptions.AlreadyEnqueued:
        log.debug("%s(%s) already waits (%s)", task_name, kwargs, lock_key)


def _hand_over(task_name: str, options: dict[str, Any], kwargs: dict[str, Any]) -> None:
    """The in-memory queue: give the job to the worker's event loop, if a worker runs here."""
    embedded = app.connector
    loop = getattr(embedded, "loop", None)
    if loop is None or loop.is_closed():
        log.debug("no worker in this process for %s(%s); the sweeps will find it", task_name, kwargs)
        return
    deferrer = app.configure_task(task_name, **options)
    future = asyncio.run_coroutine_threadsafe(deferrer.defer_async(**kwargs), loop)
    future.add_done_callback(_log_refusal)


def _log_refusal(future: Any) -> None:
    exc = future.exception()
    if exc is not None and not isinstance(exc, exceptions.AlreadyEnqueued):
        log.warning("a job could not be handed to the in-process worker: %s", exc)


def worker_connector() -> PsycopgConnector | None:
    """The connector a worker process runs on: a pool of its own on PostgreSQL (the engine needs
    LISTEN/NOTIFY, which Django's connection does not offer); None for the in-memory queue."""
    if not in_database():
        return None
    return PsycopgConnector(
        kwargs=connector_params(), min_size=1, max_size=settings.LASTMETER_WORKER_CONCURRENCY + 3
    )


def queue_depths(now: datetime | None = None) -> dict[str, int]:
    """The engine's jobs: due and waiting to run, scheduled for later, running, failed."""
    now = now or timezone.now()
    if in_database():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= %s)),"
                " count(*) FILTER (WHERE status = 'todo' AND scheduled_at > %s),"
                " count(*) FILTER (WHERE status = 'doing'),"
                " count(*) FILTER (WHERE status = 'failed')"
                " FROM procrastinate_jobs",
                [now, now],
            )
            due, later, running, failed = cursor.fetchone()
        return {"tasks_due": due, "tasks_scheduled": later, "tasks_running": running, "tasks_failed": failed}
    jobs: Iterable[dict[str, Any]] = list(getattr(app.connector, "jobs", {}).values())
    counts = {"tasks_due": 0, "tasks_scheduled": 0, "tasks_running": 0, "tasks_failed": 0}
    for job in jobs:
        if job["status"] == "todo":
            later = job["scheduled_at"] is not None and job["scheduled_at"] > now
            counts["tasks_scheduled" if later else "tasks_due"] += 1
        elif job["status"] == "doing":
            counts["tasks_running"] += 1
        elif job["status"] == "failed":
            counts["tasks_failed"] += 1
    return counts
