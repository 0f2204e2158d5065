"""Liveness, readiness and the worker's heartbeat.

``readiness()`` answers "can this instance serve, and is the machinery behind it keeping up": the
database and Redis (when configured) must answer — without them nothing works, so they decide the
HTTP status of /readyz; the worker's heartbeat, the queues' depths and the age of the oldest
undelivered outbox message are reported with their own ``ok`` and decide the status only with
``?strict=1`` (a monitoring probe's view): taking every web process out of the load balancer
because the worker stalled would turn a late SMS into an outage.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from lastmeter.appeals.choices import OutboxState
from lastmeter.appeals.models import OutboxMessage
from lastmeter.intake.choices import ItemStatus
from lastmeter.intake.models import InboundItem
from lastmeter.lib.taskengine import queue_depths as task_queue_depths
from lastmeter.ops.models import WorkerHeartbeat

UNDELIVERED = (OutboxState.PENDING, OutboxState.SENDING)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(name: str | None = None) -> None:
    """Record one pass of this worker process; forget workers silent for a day."""
    now = timezone.now()
    row, created = WorkerHeartbeat.objects.get_or_create(
        worker=name or worker_name(), defaults={"beat_at": now, "passes": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=row.pk).update(beat_at=now, passes=row.passes + 1)
    WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()


@dataclass
class Check:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)
    essential: bool = False  # decides /readyz's status even without ?strict=1

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.detail}


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready", reported with its text
        return Check(ok=False, detail={"error": str(exc)[:200]}, essential=True)
    return Check(ok=True, detail={"vendor": connection.vendor}, essential=True)


def check_redis() -> Check:
    if not settings.REDIS_URL:
        return Check(ok=True, detail={"configured": False}, essential=True)
    import redis  # only deployments with REDIS_URL pay for the import

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # connection refused, timeout, auth: all "not ready"
        return Check(ok=False, detail={"configured": True, "error": str(exc)[:200]}, essential=True)
    return Check(ok=True, detail={"configured": True})


def check_worker(now=None) -> Check:
    now = now or timezone.now()
    newest = WorkerHeartbeat.objects.order_by("-beat_at").first()
    if newest is None:
        return Check(ok=False, detail={"error": "no worker has reported yet"})
    age = (now - newest.beat_at).total_seconds()
    alive = WorkerHeartbeat.objects.filter(
        beat_at__gte=now - timedelta(seconds=settings.LASTMETER_WORKER_STALE_S)
    ).count()
    return Check(
        ok=age <= settings.LASTMETER_WORKER_STALE_S,
        detail={"last_beat_age_s": round(age, 1), "workers_alive": alive},
    )


def queue_depths(now=None) -> dict[str, int]:
    """Rows waiting: outbox messages due now, all undelivered ones, inbound items to process; and
    the task engine's jobs (``tasks_due``: due and not yet taken by a worker, ``tasks_scheduled``:
    retries and paced messages waiting for their time, ``tasks_running``, ``tasks_failed``). On
    the embedded default the engine's queue is in the memory of the process running the worker,
    so only that process counts its jobs."""
    now = now or timezone.now()
    return {
        "outbox_due": OutboxMessage.objects.filter(
            state=OutboxState.PENDING, next_attempt_at__lte=now
        ).count(),
        "outbox_undelivered": OutboxMessage.objects.filter(state__in=UNDELIVERED).count(),
        "intake_pending": InboundItem.objects.filter(status=ItemStatus.PENDING).count(),
        **task_queue_depths(now),
    }


# Queues whose depth decides /readyz?strict=1: work waiting that should already have been done.
BACKLOGS = ("outbox_due", "intake_pending", "tasks_due")


def check_queues(now=None) -> Check:
    depths = queue_depths(now)
    limit = settings.LASTMETER_READY_MAX_QUEUE
    return Check(ok=all(depths[name] <= limit for name in BACKLOGS), detail={**depths, "limit": limit})


def oldest_undelivered_age_s(now=None) -> float | None:
    now = now or timezone.now()
    oldest = OutboxMessage.objects.filter(state__in=UNDELIVERED).aggregate(at=Min("created_at"))["at"]
    return None if oldest is None else max((now - oldest).total_seconds(), 0.0)


def check_outbox_age(now=None) -> Check:
    age = oldest_undelivered_age_s(now)
    limit = settings.LASTMETER_READY_MAX_OUTBOX_AGE_S
    return Check(
        ok=age is None or age <= limit,
        detail={"oldest_undelivered_age_s": None if age is None else round(age, 1), "limit_s": limit},
    )


def readiness(*, strict: bool = False) -> tuple[bool, dict[str, Any]]:
    """(ready, report). The database check runs first: without it the others cannot run."""
    database = check_database()
    checks: dict[str, Check] = {"database": database, "redis": check_redis()}
    if database.ok:
        now = timezone.now()
        checks.update(worker=check_worker(now), queues=check_queues(now), outbox=check_outbox_age(now))
    ready = all(c.ok for c in checks.values() if c.essential or strict)
    return ready, {"ready": ready, "checks": {name: c.as_dict() for name, c in checks.items()}}
