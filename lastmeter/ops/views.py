"""/healthz (liveness), /readyz (readiness, JSON) and /metrics (Prometheus text format)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lastmeter.ops.health import readiness
from lastmeter.ops.metrics import REGISTRY


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers: no database, nothing else (a liveness probe restarts on failure)."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    ready, report = readiness(strict=request.GET.get("strict") == "1")
    return JsonResponse(report, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape. With LASTMETER_METRICS_TOKEN set, only ``Authorization: Bearer <it>``."""
    token = settings.LASTMETER_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), token.encode()):
            return HttpResponse("metrics need the bearer token\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
