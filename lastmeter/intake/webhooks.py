"""The one webhook endpoint of every chat platform: /intake/hooks/<kind>/.

Order, for every POST: size → verify (signature, secret, freshness) → replay memory (a nonce seen
with another body is refused: intake.replay) → parse → normalise → store the raw item and defer its
processing, in one transaction → answer. Answers: 200 when stored (also for a re-delivery of the
same platform id, which stores nothing new), 400 malformed/empty, 401/403 not authentic or stale,
404 unknown or unconfigured channel, 413 too large.

The answer does not wait for triage: a platform retries a webhook that is not answered within a few
seconds, and deciding what a message becomes (classifier, gazetteer, duplicate search, the appeal
and its acknowledgement) costs far more than storing it. The item is committed with its processing
job (``intake.services.store_and_defer``), so a stored item is always processed — by the first free
worker, or by the ``process_pending`` sweep if the job was lost (the embedded in-memory queue after
a restart). Only what can be refused without the database is refused here (authenticity, size,
malformed or empty content); a refusal found while deciding is kept on the item for staff.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from lastmeter.intake.channels.base import (
    BadPayload,
    ChannelAdapter,
    ChannelError,
    Envelope,
    Ignored,
    InboundMessage,
    RawRequest,
    adapter_for,
    body_key,
)
from lastmeter.intake.choices import ItemStatus
from lastmeter.intake.replay import spend_nonce
from lastmeter.intake.services import EMPTY_TEXT, store_and_defer, store_raw

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
    envelope: Envelope | None = None
    try:
        envelope = adapter.parse(raw)
        if envelope.control_response is not None:
            return JsonResponse(envelope.control_response)
        message = _normalised(adapter, envelope, kind)
        if isinstance(message, InboundMessage) and message.kind == "text" and not message.text.strip():
            raise BadPayload(EMPTY_TEXT)
    except ChannelError as exc:
        if exc.store:  # authentic but unusable: kept, with the reason, for staff to see
            store_raw(
                channel=kind,
                key=envelope.idempotency_key if envelope is not None else body_key(body),
                body=body,
                headers=raw.headers,
                query=raw.query,
                content_type=raw.content_type,
                status=ItemStatus.REJECTED,
                reason=str(exc),
            )
        return _error(exc.status, str(exc))
    created = store_and_defer(
        channel=kind,
        key=envelope.idempotency_key,
        body=body,
        headers=raw.headers,
        query=raw.query,
        content_type=raw.content_type,
        normalised=message if isinstance(message, InboundMessage) else None,
    )
    if not created:
        return JsonResponse({"ok": True, "duplicate": True})
    return JsonResponse(adapter.ok_response())


def _normalised(adapter: ChannelAdapter, envelope: Envelope, kind: str) -> InboundMessage | Ignored | None:
    """The message (pure: adapters touch neither database nor network), so that malformed or empty
    content is refused while the platform waits. A ChannelError is a refusal; any other failure is
    an adapter's bug: the raw item is stored all the same and its processing records the error and
    retries (None here)."""
    try:
        return adapter.normalise(envelope)
    except ChannelError:
        raise
    except Exception:
        log.exception("%s webhook: normalising failed; stored for the worker to retry", kind)
        return None
