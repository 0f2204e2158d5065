"""/healthz, /readyz and /metrics: what they report and when readiness fails."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from lastmeter.appeals.choices import OutboxState
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import OutboxMessage
from lastmeter.ops.health import beat
from lastmeter.ops.models import WorkerHeartbeat


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in Prometheus' text format."""
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{wanted} not in the metrics:\n{text[:3000]}")


def test_it_answers_liveness_without_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        r = client.get("/healthz")
    assert r.status_code == 200 and r.content == b"ok\n"


def test_it_is_ready_with_a_database_and_reports_a_missing_worker_strictly(db, client, settings):
    settings.REDIS_URL = ""  # the embedded default
    r = client.get("/readyz")
    assert r.status_code == 200
    checks = r.json()["checks"]
    assert checks["database"]["ok"] and checks["redis"] == {"ok": True, "configured": False}
    assert checks["worker"]["ok"] is False and "no worker" in checks["worker"]["error"]
    # the task engine's queue beside our own rows' queues
    assert {"tasks_due", "tasks_scheduled", "tasks_running", "tasks_failed"} <= set(checks["queues"])
    assert client.get("/readyz?strict=1").status_code == 503
    beat("host:1")
    r = client.get("/readyz?strict=1")
    assert r.status_code == 200 and r.json()["checks"]["worker"]["workers_alive"] == 1


def test_it_reports_a_stalled_worker_and_an_old_undelivered_message(world, new_appeal, client, settings):
    beat("host:1")
    new_appeal()  # acknowledges the reporter through the outbox
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING).exists()
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.LASTMETER_READY_MAX_OUTBOX_AGE_S + 60)
    ):
        r = client.get("/readyz?strict=1")
        checks = r.json()["checks"]
        assert r.status_code == 503
        assert checks["outbox"]["ok"] is False and checks["outbox"]["oldest_undelivered_age_s"] > 900
        assert checks["worker"]["ok"] is False and checks["worker"]["workers_alive"] == 0
        assert checks["queues"]["outbox_undelivered"] >= 1
        assert client.get("/readyz").status_code == 200  # the web process itself can still serve


def test_it_is_not_ready_when_the_configured_redis_does_not_answer(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["redis"]["ok"] is False


@pytest.mark.redis
def test_it_checks_a_real_redis(db, client, settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL")
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert client.get("/readyz").json()["checks"]["redis"] == {"ok": True, "configured": True}


def test_it_forgets_workers_silent_for_a_day(db):
    beat("old:1")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        beat("new:2")
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["new:2"]


def test_it_exports_requests_queues_breaches_and_delivery_failures(world, new_appeal, client):
    before = client.get("/metrics").content.decode()
    requests_before = (
        metric(before, "lastmeter_http_requests_total", 'method="GET",route="/healthz",status="2xx"')
        if 'route="/healthz"' in before
        else 0.0
    )
    client.get("/healthz")
    appeal = new_appeal()
    text = client.get("/metrics").content.decode()
    assert (
        metric(text, "lastmeter_http_requests_total", 'method="GET",route="/healthz",status="2xx"')
        == requests_before + 1
    )
    assert 'lastmeter_http_request_duration_seconds_bucket{le="0.01",route="/healthz"}' in text
    undelivered = OutboxMessage.objects.filter(state__in=[OutboxState.PENDING, OutboxState.SENDING]).count()
    assert metric(text, "lastmeter_queue_depth", 'queue="outbox_undelivered"') == undelivered > 0
    # The task engine's queue: on PostgreSQL each new message's delivery job waits there (the
    # embedded default's queue is in the memory of `lastmeter serve`, which runs no worker here).
    tasks_due = metric(text, "lastmeter_queue_depth", 'queue="tasks_due"')
    assert tasks_due >= undelivered if connection.vendor == "postgresql" else tasks_due == 0
    assert metric(text, "lastmeter_queue_depth", 'queue="tasks_failed"') >= 0
    assert metric(text, "lastmeter_outbox_delivery_failures") == 0
    assert metric(text, "lastmeter_worker_last_beat_age_seconds") == -1

    OutboxMessage.objects.filter(pk=OutboxMessage.objects.filter(appeal=appeal).first().pk).update(
        state=OutboxState.FAILED, last_error="provider said no"
    )
    deadline = max(c.due_at for c in appeal.clocks.all())
    with time_machine.travel(deadline + timedelta(minutes=1)):
        sweep()
        text = client.get("/metrics").content.decode()
    assert metric(text, "lastmeter_outbox_delivery_failures") == 1
    breached = {c.kind for c in appeal.clocks.filter(breached_at__isnull=False)}
    assert breached and all(metric(text, "lastmeter_clock_breaches", f'kind="{k}"') >= 1 for k in breached)


def test_it_keeps_the_metrics_behind_a_token_when_one_is_set(db, settings):
    settings.LASTMETER_METRICS_TOKEN = "scrape-secret"
    assert Client().get("/metrics").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer scrape-secret").get("/metrics").status_code == 200
