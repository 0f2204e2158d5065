"""The background work on the task engine: schedules, transactional enqueue, the in-process worker."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from lastmeter import worker
from lastmeter.appeals.choices import OutboxState
from lastmeter.appeals.models import DeliveryReceipt, OutboxMessage
from lastmeter.appeals.notify import outbox
from lastmeter.appeals.notify.backends import DeliveryError
from lastmeter.intake import services as intake
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.lib import taskengine
from lastmeter.ops.health import queue_depths
from lastmeter.ops.models import WorkerHeartbeat
from lastmeter.testing.workers import clear_task_queue

on_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the queue is in PostgreSQL")
on_sqlite = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the queue is in memory")


def jobs(task_name: str, **args) -> list[tuple[str, object]]:
    """(status, scheduled_at) of the engine's jobs for ``task_name`` with these arguments."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, scheduled_at FROM procrastinate_jobs WHERE task_name = %s AND args @> %s::jsonb",
            [task_name, json.dumps(args)],
        )
        return list(cursor.fetchall())


def message(key: str, transport: str = "console") -> OutboxMessage | None:
    return outbox.enqueue(key=key, transport=transport, recipient={"phone": "13900000000"}, body="测试")


class RolledBack(Exception):
    pass


def test_it_puts_every_sweep_and_the_housekeeping_on_the_engine_schedule():
    worker.schedule(10)
    periodic = {task.task.name: task for task in taskengine.app.periodic_registry.periodic_tasks.values()}
    assert set(periodic) == {*worker.SWEEPS, worker.RECOVER_TASK, worker.CLEANUP_TASK, worker.RETENTION_TASK}
    # the retention job daily, once for the cluster
    assert periodic[worker.RETENTION_TASK].cron == "41 2 * * *"
    assert periodic[worker.RETENTION_TASK].configure_kwargs["queueing_lock"] == worker.RETENTION_TASK
    for name in worker.SWEEPS:
        # every 10 s; while one tick's job waits, the next is not queued behind it
        assert periodic[name].cron == "* * * * * */10"
        assert periodic[name].configure_kwargs["queueing_lock"] == name
    worker.schedule(5)  # a new schedule replaces the old one
    crons = {task.cron for task in taskengine.app.periodic_registry.periodic_tasks.values()}
    assert crons == {"* * * * * */5", "17 3 * * *", "41 2 * * *"}
    # each event-driven job has its task: the names the apps defer are bound here
    assert {outbox.DELIVER_TASK, intake.RETRY_TASK} <= set(taskengine.app.tasks)


@on_postgres
def test_it_writes_the_delivery_job_in_the_transaction_of_the_message(db):
    with pytest.raises(RolledBack), transaction.atomic():
        gone = message("engine:rolled-back")
        assert gone is not None and jobs(outbox.DELIVER_TASK, message_id=gone.pk) == [("todo", None)]
        raise RolledBack
    assert jobs(outbox.DELIVER_TASK, message_id=gone.pk) == []  # no change, no job
    kept = message("engine:kept")
    assert kept is not None and jobs(outbox.DELIVER_TASK, message_id=kept.pk) == [("todo", None)]
    assert message("engine:kept") is None  # the same key again: no message, no second job
    assert len(jobs(outbox.DELIVER_TASK, message_id=kept.pk)) == 1
    assert queue_depths()["tasks_due"] >= 1


@on_postgres
def test_it_queues_the_next_attempt_for_the_time_its_back_off_ends(db, settings):
    settings.LASTMETER_SMS_BACKEND = "lastmeter.tests.test_task_engine.DownSms"
    settings.LASTMETER_OUTBOX_BACKOFF_S = 60.0
    msg = message("engine:retry", transport="sms")
    assert msg is not None
    with connection.cursor() as cursor:  # the first job ran: a worker would have taken it
        cursor.execute(
            "UPDATE procrastinate_jobs SET status = 'doing' WHERE args @> %s::jsonb",
            [f'{{"message_id": {msg.pk}}}'],
        )
    assert outbox.deliver_one(msg.pk) == "retried"
    msg.refresh_from_db()
    assert msg.state == OutboxState.PENDING and msg.attempts == 1 and "provider down" in msg.last_error
    waiting = [at for status, at in jobs(outbox.DELIVER_TASK, message_id=msg.pk) if status == "todo"]
    assert waiting == [msg.next_attempt_at]
    assert msg.next_attempt_at - timezone.now() > timedelta(seconds=55)
    assert queue_depths()["tasks_scheduled"] >= 1
    # too early (a clock a little fast): nothing is sent, the job stays queued for its time
    assert outbox.deliver_one(msg.pk) == "not-due"
    assert len([s for s, _ in jobs(outbox.DELIVER_TASK, message_id=msg.pk) if s == "todo"]) == 1


@on_postgres
def test_it_queues_an_inbound_items_retry_with_its_failure(world, settings, monkeypatch):
    settings.LASTMETER_BACKOFF_S = 30.0

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(intake, "decide", broken)
    item, _ = intake.submit(
        InboundMessage(channel="web", text="路灯坏了", phone="13900000001"), key="e1", body=b"x"
    )
    assert item.status == "pending" and item.attempts == 1
    assert [at for _, at in jobs(intake.RETRY_TASK, item_id=item.pk)] == [item.next_attempt_at]


@on_sqlite
def test_it_hands_a_job_to_the_in_memory_queue_only_when_the_change_commits(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as handed_over, pytest.raises(RolledBack), transaction.atomic():
        message("engine:rolled-back")
        raise RolledBack
    assert handed_over == []
    with django_capture_on_commit_callbacks() as handed_over:
        message("engine:kept")
    assert len(handed_over) == 1


class DownSms:
    def send(self, message):
        raise DeliveryError("provider down")


def _wait(predicate, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _worker_thread_gone() -> bool:
    return not any(t.name == "lastmeter-worker" for t in threading.enumerate())


@pytest.mark.django_db(transaction=True)
def test_it_delivers_a_new_message_from_the_in_process_worker_without_a_sweep(settings):
    """`lastmeter serve`'s worker, with no sweep scheduled: the message is delivered by the job its
    change deferred, moments after the commit, not by the next poll."""
    settings.LASTMETER_SMS_BACKEND = "lastmeter.appeals.notify.backends.ConsoleBackend"
    clear_task_queue()
    stop = worker.start_in_process(sweeps=False)
    try:
        assert _wait(WorkerHeartbeat.objects.exists), "the in-process worker did not start"
        with pytest.raises(RolledBack), transaction.atomic():
            message("engine:never")
            raise RolledBack
        kept = message("engine:at-once")
        assert kept is not None
        assert _wait(lambda: OutboxMessage.objects.get(pk=kept.pk).state == OutboxState.LOGGED, 15)
        assert list(DeliveryReceipt.objects.values_list("key", flat=True)) == ["engine:at-once"]
        if connection.vendor == "sqlite":
            # procrastinate's test connector, kept small for a long-running process
            assert taskengine.app.connector.queries == []
            assert set(taskengine.app.connector.events) <= set(taskengine.app.connector.jobs)
    finally:
        stop.set()
        assert _wait(_worker_thread_gone, 15)
