"""Writing to and delivering from the outbox.

`enqueue` must be called inside the transaction that makes the change being reported, so the
message exists if and only if the change does. `deliver_due` is the worker's loop body: it claims
each row with a compare-and-set update (two workers never send the same row at once), calls the
backend, and records the result: ``sent`` when a real provider accepted the message, ``logged``
("logged, not delivered") when a console backend only wrote it to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from lastmeter.appeals.choices import OUTBOX_TRANSITIONS, OutboxState
from lastmeter.appeals.models import Appeal, OutboxMessage
from lastmeter.appeals.notify.backends import LOGGED, Backend, ConsoleBackend, DeliveryError
from lastmeter.lib.transitions import check_transition

log = logging.getLogger("lastmeter.notify")


def lease() -> timedelta:
    return timedelta(seconds=settings.LASTMETER_OUTBOX_LEASE_S)


# Transports of chat channels register here (lastmeter.intake does it for its platforms).
_channel_backends: dict[str, Callable[[], Backend]] = {}


def register_channel_backend(channel: str, factory: Callable[[], Backend]) -> None:
    _channel_backends[channel] = factory


def channel_can_answer(channel: str) -> bool:
    return channel in _channel_backends


def backend_for(transport: str) -> Backend:
    if transport == "sms":
        return import_string(settings.LASTMETER_SMS_BACKEND)()
    if transport == "email":
        return import_string(settings.LASTMETER_EMAIL_BACKEND)()
    if transport == "console":
        return ConsoleBackend()
    if transport.startswith("channel:"):
        factory = _channel_backends.get(transport.split(":", 1)[1])
        if factory is None:
            raise DeliveryError(f"no backend registered for {transport}")
        return factory()
    raise DeliveryError(f"unknown transport {transport}")


def enqueue(
    *,
    key: str,
    transport: str,
    recipient: dict[str, Any],
    body: str,
    subject: str = "",
    appeal: Appeal | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Add a message unless one with this key exists (so retried services do not duplicate).

    ``not_before`` holds the first attempt back (a broadcast paces a platform's rate limit)."""
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                key=key,
                transport=transport,
                recipient=recipient,
                body=body,
                subject=subject,
                appeal=appeal,
                next_attempt_at=max(not_before, timezone.now()) if not_before else timezone.now(),
            )
    except IntegrityError:
        return None


def _claim(message_id: int, from_state: str, attempts: int, now) -> bool:
    check_transition(OUTBOX_TRANSITIONS, from_state, OutboxState.SENDING, "outbox")
    return (
        OutboxMessage.objects.filter(id=message_id, state=from_state, attempts=attempts).update(
            state=OutboxState.SENDING, attempts=F("attempts") + 1, locked_until=now + lease()
        )
        == 1
    )


def backoff(attempts: int) -> timedelta:
    base = settings.LASTMETER_OUTBOX_BACKOFF_S
    return timedelta(seconds=min(base * (2 ** max(0, attempts - 1)), 6 * 3600))


def deliver_due(limit: int = 50) -> dict[str, int]:
    """Deliver messages that are due (and re-take those whose sender died mid-lease).

    Returns counts of sent (a provider accepted it) / logged (a console backend wrote it to the
    log; nobody received it) / retried / failed, for logging and tests. Safe to run concurrently.
    """
    now = timezone.now()
    counts = {"sent": 0, "logged": 0, "retried": 0, "failed": 0}
    candidates = list(
        OutboxMessage.objects.filter(
            Q(state=OutboxState.PENDING, next_attempt_at__lte=now)
            | Q(state=OutboxState.SENDING, locked_until__lt=now)
        )
        .order_by("id")
        .values_list("id", "state", "attempts")[:limit]
    )
    for message_id, state, attempts in candidates:
        if not _claim(message_id, state, attempts, now):
            continue  # another worker took it
        message = OutboxMessage.objects.get(id=message_id)
        try:
            result = backend_for(message.transport).send(message)
        except Exception as exc:  # any provider failure is retried; the error is kept for staff
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= settings.LASTMETER_OUTBOX_MAX_ATTEMPTS:
                OutboxMessage.objects.filter(id=message_id, state=OutboxState.SENDING).update(
                    state=OutboxState.FAILED, last_error=error, locked_until=None
                )
                counts["failed"] += 1
                log.warning("outbox %s parked after %s attempts: %s", message.key, message.attempts, error)
            else:
                OutboxMessage.objects.filter(id=message_id, state=OutboxState.SENDING).update(
                    state=OutboxState.PENDING,
                    last_error=error,
                    locked_until=None,
                    next_attempt_at=timezone.now() + backoff(message.attempts),
                )
                counts["retried"] += 1
            continue
        # "sent" only when a real provider accepted it; a console backend's row says "logged".
        final = OutboxState.LOGGED if result == LOGGED else OutboxState.SENT
        check_transition(OUTBOX_TRANSITIONS, OutboxState.SENDING, final, "outbox")
        OutboxMessage.objects.filter(id=message_id, state=OutboxState.SENDING).update(
            state=final, sent_at=timezone.now(), locked_until=None, last_error=""
        )
        counts["sent" if final == OutboxState.SENT else "logged"] += 1
    return counts


def retry_failed(message_id: int) -> bool:
    """Staff action: put a parked message back in the queue."""
    check_transition(OUTBOX_TRANSITIONS, OutboxState.FAILED, OutboxState.PENDING, "outbox")
    return (
        OutboxMessage.objects.filter(id=message_id, state=OutboxState.FAILED).update(
            state=OutboxState.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        == 1
    )
