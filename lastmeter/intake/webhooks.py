"""The one webhook endpoint of every chat platform: /intake/hooks/<kind>/.

Order, for every POST: size → verify (signature, secret, freshness) → replay memory (a nonce seen
with another body is refused: intake.replay) → parse → store raw (own transaction) → process. Answers: 200 when stored (also for a replay of the same platform id, which
makes no second appeal), 400 malformed/empty, 401/403 not authentic or stale, 404 unknown or
unconfigured channel, 413 too large.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from lastmeter.intake.channels.base import ChannelError, RawRequest, adapter_for, body_key
from lastmeter.intake.choices import ItemStatus
from lastmeter.intake.replay import spend_nonce
from lastmeter.intake.services import process_item, store_raw

log = logging.getLogger("lastmeter.intake")


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})


def _raw(request: HttpRequest, body: bytes) -> RawRequest:
    return RawRequest(
        method=request.method or "POST",
        body=body,
        headers={k: str(v) for k, v in request.headers.items()},
        query={k: request.GET.get(k, "") for k in request.GET},
        content_type=request.META.get("CONTENT_TYPE", ""),
    )


@csrf_exempt
def hook(request: HttpRequest, kind: str) -> HttpResponse:
    adapter = adapter_for(kind)
    if adapter is None:
        return _error(404, f"no channel {kind!r}")
    if not adapter.configured():
        return _error(404, f"channel {kind!r} is not configured")
    if request.method == "GET":
        try:
            handled = adapter.handle_get(_raw(request, b""))
        except ChannelError as exc:
            return _error(exc.status, str(exc))
        if handled is None:
            return _error(405, "use POST")
        status, text = handled
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    if request.method != "POST":
        return _error(405, "use POST")
    limit = settings.LASTMETER_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(413, f"body larger than {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, f"body larger than {limit} bytes")
    raw = _raw(request, body)
    try:
        adapter.verify(raw)
    except ChannelError as exc:
        log.warning("%s webhook refused: %s", kind, exc)
        return _error(exc.status, str(exc))
    nonce = adapter.replay_nonce(raw)
    if nonce is not None and not spend_nonce(kind, nonce, body):
        log.warning("%s webhook refused: nonce %s replayed with another body", kind, nonce)
        return _error(403, "replayed request: this signature was already used for another body")
    try:
        envelope = adapter.parse(raw)
    except ChannelError as exc:
        if exc.store:  # authentic but unusable: kept, with the reason, for staff to see
            store_raw(
                channel=kind,
                key=body_key(body),
                body=body,
                headers=raw.headers,
                query=raw.query,
                content_type=raw.content_type,
                status=ItemStatus.REJECTED,
                reason=str(exc),
            )
        return _error(exc.status, str(exc))
    if envelope.control_response is not None:
        return JsonResponse(envelope.control_response)
    item, created = store_raw(
        channel=kind,
        key=envelope.idempotency_key,
        body=body,
        headers=raw.headers,
        query=raw.query,
        content_type=raw.content_type,
    )
    if not created:
        return JsonResponse({"ok": True, "duplicate": True})
    item = process_item(item.pk, in_request=True)  # photos are fetched by the worker
    if item.status == ItemStatus.REJECTED:
        return _error(400, item.decision_reason)
    return JsonResponse(adapter.ok_response())
