"""Prometheus metrics (prometheus-client): this process's requests, and the database's queues.

Two kinds, because lastmeter runs several processes:
- per process, counted as requests pass (``RequestMetricsMiddleware``): requests by method,
  route and status class, and their latency — scrape every web process;
- from the database at scrape time (``DatabaseCollector``): queue depths, outbox failures, clock
  breaches, worker heartbeats — the same from any process, so work done by the workers (which
  serve no HTTP) is seen too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from lastmeter.appeals.choices import ClockState, OutboxState
from lastmeter.appeals.models import Clock, OutboxMessage
from lastmeter.ops.health import oldest_undelivered_age_s, queue_depths
from lastmeter.ops.models import WorkerHeartbeat

# Our own registry: the default one would also carry whatever other libraries register.
REGISTRY = CollectorRegistry()  # no auto_describe: that would query the database at import

REQUESTS = Counter(
    "lastmeter_http_requests",
    "HTTP requests answered by this process",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "lastmeter_http_request_duration_seconds",
    "Time to answer an HTTP request in this process",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)


def _route(request: HttpRequest) -> str:
    """The URL pattern, not the path: /appeals/<int:appeal_id>/ keeps the label set small."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + (match.route or "")


class RequestMetricsMiddleware:
    """Counts and times every request (first in MIDDLEWARE, so it sees the whole answer)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = _route(request)
        REQUESTS.labels(request.method or "", route, f"{response.status_code // 100}xx").inc()
        LATENCY.labels(route).observe(time.perf_counter() - started)
        return response


class DatabaseCollector(Collector):
    """Gauges read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        queues = GaugeMetricFamily("lastmeter_queue_depth", "Rows waiting to be worked", labels=["queue"])
        for name, depth in queue_depths(now).items():
            queues.add_metric([name], depth)
        yield queues

        outbox = GaugeMetricFamily("lastmeter_outbox_messages", "Outbox messages by state", labels=["state"])
        by_state = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")))
        for state in OutboxState.values:
            outbox.add_metric([state], by_state.get(state, 0))
        yield outbox
        yield GaugeMetricFamily(
            "lastmeter_outbox_delivery_failures",
            "Messages parked as failed after their last attempt",
            value=by_state.get(OutboxState.FAILED, 0),
        )
        yield GaugeMetricFamily(
            "lastmeter_outbox_retrying",
            "Undelivered messages whose delivery failed at least once and will be retried",
            value=OutboxMessage.objects.filter(state=OutboxState.PENDING, attempts__gt=0).count(),
        )
        age = oldest_undelivered_age_s(now)
        yield GaugeMetricFamily(
            "lastmeter_outbox_oldest_undelivered_seconds",
            "Age of the oldest message not yet delivered (0 when none)",
            value=age or 0.0,
        )

        breaches = GaugeMetricFamily(
            "lastmeter_clock_breaches", "Clocks that ran out before they were met, by kind", labels=["kind"]
        )
        for kind, n in (
            Clock.objects.filter(breached_at__isnull=False).values_list("kind").annotate(n=Count("id"))
        ):
            breaches.add_metric([kind], n)
        yield breaches
        yield GaugeMetricFamily(
            "lastmeter_clocks_overdue",
            "Running clocks past their deadline that no sweep has breached yet",
            value=Clock.objects.filter(state=ClockState.RUNNING, due_at__lt=now).count(),
        )
        newest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
        yield GaugeMetricFamily(
            "lastmeter_worker_last_beat_age_seconds",
            "Seconds since the last worker pass (-1: no worker has reported)",
            value=(now - newest).total_seconds() if newest else -1.0,
        )


REGISTRY.register(DatabaseCollector())
