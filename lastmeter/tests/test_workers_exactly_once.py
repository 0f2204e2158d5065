"""Two real `lastmeter worker` processes on PostgreSQL, one of them killed with SIGKILL mid-run.

Every effect still happens exactly once: each outbox message reaches the SMS gateway once (a
message whose sender died mid-request is sent again with the same idempotency key, which the
gateway — like a real provider — delivers once), each clock is breached and escalated once, each
inbound item makes one appeal. The surviving worker finishes what the killed one held.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from lastmeter.appeals.choices import ClockKind, ClockState, EventKind, OutboxState
from lastmeter.appeals.models import Appeal, AppealEvent, Clock, OutboxMessage
from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.appeals.services import NewAppeal, do_create_appeal
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.choices import ItemStatus
from lastmeter.intake.models import InboundItem
from lastmeter.intake.services import store_raw
from lastmeter.ops.models import WorkerHeartbeat
from lastmeter.testing.workers import SmsGateway, WorkerProcess, clear_task_queue
from lastmeter.testing.world import POINT_IN_A, build_world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.TASKS_IN_DATABASE, reason="several workers share a PostgreSQL queue"),
]

MESSAGES, ITEMS, CLOCKS = 160, 30, 20
CONCURRENCY = 4
LEASE = timedelta(seconds=5)


def _wait(predicate, timeout_s: float, what: str, workers: list[WorkerProcess]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    logs = "\n\n".join(f"--- worker {w.name} ---\n{w.log_tail()}" for w in workers)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def test_two_workers_do_each_thing_once_and_one_survives_the_others_sigkill():
    clear_task_queue()
    world = build_world()
    gateway = SmsGateway(delay_s=0.2).start()
    env = {
        "LASTMETER_SMS_BACKEND": "lastmeter.appeals.notify.backends.HttpJsonSmsBackend",
        "LASTMETER_SMS_HTTP_URL": gateway.url,
        "LASTMETER_VAR_DIR": str(settings.VAR_DIR),
        "LASTMETER_WORKER_CONCURRENCY": str(CONCURRENCY),
        "LASTMETER_SWEEP_EVERY_S": "2",
        # a dead worker is noticed in seconds, not minutes
        "LASTMETER_OUTBOX_LEASE_S": str(LEASE.total_seconds()),
        "LASTMETER_TASK_HEARTBEAT_S": "1",
        "LASTMETER_TASK_STALLED_S": "4",
    }
    killed, survivor = WorkerProcess("a", env=env), WorkerProcess("b", env=env)
    workers = [killed, survivor]
    try:
        for w in workers:
            w.start()
        pids = {f":{w.pid}" for w in workers}
        _wait(
            lambda: (
                {h[h.rindex(":") :] for h in WorkerHeartbeat.objects.values_list("worker", flat=True)} >= pids
            ),
            120,
            "both workers to start",
            workers,
        )

        # Appeals whose contact clock has run out: the sweeps breach and escalate them.
        appeals = [
            do_create_appeal(
                NewAppeal(
                    channel="web",
                    text=f"福州路{n}号门口车辆违停",
                    reporter_phone=f"1391000{n:04d}",
                    lat=POINT_IN_A[0],
                    lon=POINT_IN_A[1],
                    category=world.police_category,
                )
            )
            for n in range(CLOCKS)
        ]
        past = timezone.now() - timedelta(minutes=1)
        Clock.objects.filter(appeal__in=appeals, kind=ClockKind.CONTACT).update(due_at=past, warn_at=past)
        # Inbound items stored raw and left pending: the workers process them.
        texts = [f"汉口路{n}号路灯不亮，晚上很黑" for n in range(ITEMS)]
        for n, text in enumerate(texts):
            store_raw(
                channel="web",
                key=f"exactly-once-{n}",
                body=text.encode(),
                normalised=InboundMessage(channel="web", text=text, phone=f"1392000{n:04d}"),
            )
        # A burst of messages, each deferred to the workers in its own transaction.
        for n in range(MESSAGES):
            enqueue(key=f"burst:{n}", transport="sms", recipient={"phone": f"1393000{n:04d}"}, body="通知")

        # More messages in flight than one worker can hold: the one about to die is sending some.
        sending = OutboxMessage.objects.filter(state=OutboxState.SENDING)
        _wait(lambda: sending.count() > CONCURRENCY, 120, "both workers to be sending", workers)
        killed_at = timezone.now()
        killed.kill()
        delivered_before = len(gateway.delivered)
        time.sleep(2.0)  # the survivor's own requests (0.2 s each) are answered by now
        # Claimed before the kill and still unfinished: the dead worker's, held by their lease.
        orphans = set(sending.filter(locked_until__lt=killed_at + LEASE).values_list("key", flat=True))
        assert orphans, "the killed worker held no message"
        assert survivor.alive()

        def finished() -> bool:
            return (
                not OutboxMessage.objects.filter(
                    state__in=[OutboxState.PENDING, OutboxState.SENDING]
                ).exists()
                and not InboundItem.objects.filter(status=ItemStatus.PENDING).exists()
                and not Clock.objects.filter(
                    appeal__in=appeals, kind=ClockKind.CONTACT, state=ClockState.RUNNING
                ).exists()
            )

        _wait(finished, 180, "the survivor to finish the work", [survivor])
        assert survivor.alive(), survivor.log_tail()
    finally:
        for w in workers:
            w.stop()
        gateway.stop()
        clear_task_queue()

    messages = list(OutboxMessage.objects.values_list("key", "state", "last_error"))
    keys = [key for key, _, _ in messages]
    assert {f"burst:{n}" for n in range(MESSAGES)} <= set(keys)
    assert len([k for k in keys if k.startswith("escalation:")]) == CLOCKS  # one per breached clock
    assert [m for m in messages if m[1] != OutboxState.SENT] == []  # the orphans too
    delivered = Counter(gateway.delivered)
    assert sorted(delivered) == sorted(keys)  # every message, and nothing else
    assert max(delivered.values()) == 1  # … delivered once each
    # Only messages the killed worker was sending when it died were requested twice (same key).
    repeats = gateway.repeats()
    assert sum(n - 1 for n in repeats.values()) <= CONCURRENCY, repeats

    for clock in Clock.objects.filter(appeal__in=appeals, kind=ClockKind.CONTACT):
        assert clock.state == ClockState.BREACHED
        events = AppealEvent.objects.filter(appeal_id=clock.appeal_id, data__clock=clock.pk)
        assert events.filter(kind=EventKind.CLOCK_BREACH).count() == 1
        assert events.filter(kind=EventKind.ESCALATED).count() == 1
    assert all(a.escalation_level == 1 for a in Appeal.objects.filter(pk__in=[a.pk for a in appeals]))

    assert InboundItem.objects.filter(status=ItemStatus.DONE).count() == ITEMS
    for text in texts:
        assert Appeal.objects.filter(text=text).count() == 1, text
    print(
        f"\ntwo workers, one SIGKILLed after {delivered_before} deliveries holding {len(orphans)} message(s): "
        f"{len(messages)} messages delivered once each ({len(repeats)} re-sent with the same key after "
        f"the kill), {CLOCKS} clocks escalated once each, {ITEMS} inbound items -> {ITEMS} appeals"
    )
