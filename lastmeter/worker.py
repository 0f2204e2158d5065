"""The background work of every app, on the task engine (procrastinate, lastmeter.lib.taskengine).

Two kinds of job:

- **Event-driven**, deferred by an app in the transaction of the change that needs it, and run by
  the first free worker (on PostgreSQL woken by NOTIFY, so within milliseconds of the commit):
  ``appeals.deliver_outbox_message`` (a new message, or a retry when its back-off elapses) and
  ``intake.process_inbound_item`` (an inbound item's retry when its back-off elapses).
- **Sweeps**, on a periodic schedule (every ``LASTMETER_SWEEP_EVERY_S`` seconds, 5 by default).
  Each tick is deferred once for the whole cluster — procrastinate records each (task, tick) —
  and while a sweep's job waits, the next tick is not queued behind it:
  - ``appeals.clocks.sweep`` and ``complaints.clocks.sweep``: warnings, breaches, escalation;
  - ``mediation.jobs.sweep_follow_ups`` and ``link_recurrences``; ``meetings.jobs.sweep_actions``;
  - ``intake.services.process_pending``: inbound items due for a retry (the safety net of the
    event-driven retry);
  - ``broadcasts.services.fire_due``: scheduled broadcasts whose time has come, into the outbox;
  - ``appeals.notify.outbox.deliver_due``: messages due whose job was lost (the in-memory queue
    after a restart) or whose sender died mid-lease;
  - ``broadcasts.alerts.purge_closed``; ``stats.rollups.refresh``;
  - the engine's own housekeeping: jobs held by a worker that stopped beating are run again, and
    failed jobs older than a week are deleted.
- **Daily**: ``ops.retention.retention_job`` erases the personal data of appeals, complaints and
  mediation cases finished longer ago than their retention periods (``LASTMETER_RETENTION_DAYS``,
  ``LASTMETER_COMPLAINT_RETENTION_DAYS``, ``LASTMETER_MEDIATION_RETENTION_DAYS``), at
  ``LASTMETER_RETENTION_CRON``, once for the cluster.

Every job is idempotent and safe in several workers at once (compare-and-set on the rows; the
engine hands each job to one worker). This module is the top floor: it imports the apps, no app
imports it. A new background job is one public function in its app, bound here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from procrastinate import JobContext, exceptions
from procrastinate.app import WorkerOptions
from procrastinate.jobs import Status
from procrastinate.worker import Worker

from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.notify.outbox import DELIVER_TASK, deliver_due, deliver_one
from lastmeter.broadcasts.alerts import purge_closed
from lastmeter.broadcasts.services import fire_due
from lastmeter.complaints.clocks import sweep as sweep_complaints
from lastmeter.demo.live import start_demo
from lastmeter.intake.services import RETRY_TASK, process_item, process_pending
from lastmeter.lib.taskengine import QUEUE, app, worker_connector
from lastmeter.mediation.jobs import link_recurrences, sweep_follow_ups
from lastmeter.meetings.jobs import sweep_actions
from lastmeter.ops.health import beat, worker_name
from lastmeter.ops.retention import retention_job
from lastmeter.stats.rollups import refresh as refresh_stats

log = logging.getLogger("lastmeter.worker")

# The sweeps, in the order one pass of `run_once` runs them; each is also a periodic task.
SWEEPS: dict[str, Callable[[], dict[str, int]]] = {
    "appeals.sweep_clocks": sweep,
    "complaints.sweep_clocks": sweep_complaints,
    "mediation.sweep_follow_ups": sweep_follow_ups,
    "mediation.link_recurrences": link_recurrences,
    "meetings.sweep_actions": sweep_actions,
    "intake.process_pending": process_pending,
    "broadcasts.fire_due": fire_due,
    "appeals.deliver_due": deliver_due,
    "broadcasts.purge_closed_alerts": purge_closed,
    "stats.refresh_rollups": refresh_stats,
}
RECOVER_TASK = "lastmeter.recover_stalled_jobs"
RETENTION_TASK = "ops.retention"
CLEANUP_TASK = "lastmeter.delete_old_jobs"


def run_once() -> dict[str, int]:
    """One pass of every sweep in this process, without the engine (`lastmeter worker --once`,
    tests); the counts of what each did (intake's prefixed ``intake_``)."""
    result: dict[str, int] = {}
    for name, job in SWEEPS.items():
        counts = job()
        result.update({f"intake_{k}": v for k, v in counts.items()} if name.startswith("intake.") else counts)
    return result


# --- the tasks ----------------------------------------------------------------------------------


@app.task(name=DELIVER_TASK, queue=QUEUE)
def deliver_outbox_message(message_id: int) -> str:
    return deliver_one(message_id)


@app.task(name=RETRY_TASK, queue=QUEUE)
def process_inbound_item(item_id: int) -> str:
    return process_item(item_id).status


def _sweep_task(name: str, job: Callable[[], dict[str, int]]):
    def run_sweep(timestamp: int | None = None) -> dict[str, int]:
        return job()

    run_sweep.__name__ = run_sweep.__qualname__ = name.replace(".", "_")
    return app.task(name=name, queue=QUEUE)(run_sweep)


SWEEP_TASKS = {name: _sweep_task(name, job) for name, job in SWEEPS.items()}
# Not a sweep (it runs daily, not every few seconds), but bound the same way.
retention_task = _sweep_task(RETENTION_TASK, retention_job)


@app.task(name=RECOVER_TASK, queue=QUEUE, pass_context=True)
async def recover_stalled_jobs(context: JobContext, timestamp: int | None = None) -> int:
    """Jobs held by a worker that stopped beating (killed, frozen) are run again. A stalled sweep
    is closed as failed instead: the next tick runs it anyway, and may already wait."""
    jobs = context.app.job_manager
    retried = 0
    for job in await jobs.get_stalled_jobs(seconds_since_heartbeat=settings.LASTMETER_TASK_STALLED_S):
        try:
            if job.task_name in SWEEPS:
                raise exceptions.AlreadyEnqueued("the next tick runs this sweep")
            await jobs.retry_job(job)
            retried += 1
            log.warning("job %s (%s) of a stalled worker: queued again", job.id, job.task_name)
        except (exceptions.AlreadyEnqueued, exceptions.UniqueViolation):
            # Another job for the same thing already waits (its queueing lock): that one runs it.
            await jobs.finish_job(job, status=Status.FAILED, delete_job=False)
            log.warning("job %s (%s) of a stalled worker: closed, another runs it", job.id, job.task_name)
    return retried


@app.task(name=CLEANUP_TASK, queue=QUEUE, pass_context=True)
async def delete_old_jobs(context: JobContext, timestamp: int | None = None) -> None:
    """Failed jobs stay for inspection (procrastinate's admin, `lastmeter procrastinate`) a week."""
    await context.app.job_manager.delete_old_jobs(nb_hours=7 * 24, include_failed=True)


def schedule(every_s: int | None = None) -> None:
    """Put the sweeps and the housekeeping on their schedules, replacing those this process had (a
    worker calls this before it starts). ``every_s`` divides 60: the cron lines have a seconds
    field."""
    every_s = every_s or settings.LASTMETER_SWEEP_EVERY_S
    app.periodic_registry.periodic_tasks.clear()
    every = f"* * * * * */{every_s}"
    for name, task in SWEEP_TASKS.items():
        app.periodic(cron=every, queueing_lock=name)(task)
    app.periodic(cron=every, queueing_lock=RECOVER_TASK)(recover_stalled_jobs)
    app.periodic(cron="17 3 * * *", queueing_lock=CLEANUP_TASK)(delete_old_jobs)  # daily, 03:17
    app.periodic(cron=settings.LASTMETER_RETENTION_CRON, queueing_lock=RETENTION_TASK)(retention_task)


# --- running a worker ---------------------------------------------------------------------------


def _beat_once(name: str) -> None:
    try:
        beat(name)
    finally:
        connection.close()  # this runs in a pool thread: hold no connection between beats


async def _beat_while(worker_done: asyncio.Event, name: str) -> None:
    """Our heartbeat (ops.WorkerHeartbeat, read by /readyz and /metrics), once per sweep interval."""
    while not worker_done.is_set():
        try:
            await asyncio.to_thread(_beat_once, name)
        except Exception:  # a database hiccup: report it and beat again next time
            log.exception("worker heartbeat failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker_done.wait(), timeout=settings.LASTMETER_SWEEP_EVERY_S)


async def _stop_when(stop: threading.Event, worker: Worker) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.2)
    worker.stop()


async def run_worker(
    *,
    concurrency: int,
    stop: threading.Event | None = None,
    every_s: int | None = None,
    sweeps: bool = True,
) -> None:
    """Run the engine's worker until it is stopped: by SIGINT/SIGTERM (a `lastmeter worker`
    process), or by ``stop`` (the in-process worker of `lastmeter serve`, in a thread). Without
    ``sweeps`` it runs only the jobs deferred to it (tests of the event-driven path)."""
    if sweeps:
        schedule(every_s)
    else:
        app.periodic_registry.periodic_tasks.clear()
    name = worker_name()
    pool = worker_connector()
    with app.replace_connector(pool) if pool is not None else contextlib.nullcontext():
        async with app.open_async():
            options: WorkerOptions = {
                **app.worker_defaults,  # DjangoApp's connection clean-up, deleting finished jobs
                "name": name,
                "concurrency": concurrency,
                "install_signal_handlers": stop is None,
                "update_heartbeat_interval": settings.LASTMETER_TASK_HEARTBEAT_S,
                "stalled_worker_timeout": settings.LASTMETER_TASK_STALLED_S,
            }
            worker = Worker(app=app, **options)
            done = asyncio.Event()
            side = [asyncio.create_task(_beat_while(done, name))]
            if stop is not None:
                side.append(asyncio.create_task(_stop_when(stop, worker)))
            try:
                await worker.run()
            finally:
                done.set()
                for task in side:
                    task.cancel()
                await asyncio.gather(*side, return_exceptions=True)


def start_in_process(*, sweeps: bool = True) -> threading.Event:
    """The engine's worker in a daemon thread of this process (`lastmeter serve`); set the event to
    stop it. On the embedded SQLite default it runs one job at a time (one writer at a time suits
    SQLite), on PostgreSQL as many as a worker process.

    Beside it runs the live demo (simulated officers, arriving appeals, incidents, SOS), which
    starts only when LASTMETER_DEMO_SIMULATION is on (default: only the embedded demo)."""
    stop = threading.Event()
    concurrency = settings.LASTMETER_WORKER_CONCURRENCY if settings.TASKS_IN_DATABASE else 1

    def run() -> None:
        try:
            asyncio.run(run_worker(concurrency=concurrency, stop=stop, sweeps=sweeps))
        except Exception:
            log.exception("the in-process worker stopped")

    threading.Thread(target=run, name="lastmeter-worker", daemon=True).start()
    start_demo(stop)
    return stop
