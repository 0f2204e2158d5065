"""Writing to and delivering from the outbox.

`enqueue` must be called inside the transaction that makes the change being reported, so the
message exists if and only if the change does; in the same transaction it defers the job that
delivers it (``DELIVER_TASK``, run by the task engine's first free worker as soon as the change
commits). `deliver_one` is that job: it claims the row with a compare-and-set update (two workers
never send the same row at once), calls the backend, and records the result: ``sent`` when a real
provider accepted the message, ``logged`` ("logged, not delivered") when a console backend only
wrote it to the log. A failed attempt puts the row back with its back-off and, in the same
transaction, defers the next attempt for that time; after LASTMETER_OUTBOX_MAX_ATTEMPTS the row is
parked as ``failed`` with the reason. `deliver_due`, a periodic sweep, delivers what is due and
has no job waiting (the in-memory queue forgot it in a restart; its sender died mid-lease).
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
from lastmeter.appeals.notify.backends import (
    LOGGED,
    Backend,
    ConsoleBackend,
    DeliveryError,
    NotYet,
    Undeliverable,
)
from lastmeter.lib.taskengine import defer
from lastmeter.lib.transitions import check_transition

log = logging.getLogger("lastmeter.notify")

# The task engine's name of the delivery job; lastmeter/worker.py binds it to ``deliver_one``.
DELIVER_TASK = "appeals.deliver_outbox_message"


def lease() -> timedelta:
    return timedelta(seconds=settings.LASTMETER_OUTBOX_LEASE_S)


# Delivery jobs run before the other due jobs (procrastinate's priority): sending is a short network
# call, and a reply must not wait behind a backlog of inbound items to triage (a burst of webhooks
# queues hundreds of them, each tens of milliseconds of CPU).
DELIVERY_PRIORITY = 10


def defer_delivery(message_id: int, at: datetime | None = None) -> None:
    """Queue the delivery job of one message (not before ``at``) in the current transaction; at
    most one waits per message."""
    defer(
        DELIVER_TASK,
        lock_key=f"outbox:{message_id}",
        run_at=at,
        priority=DELIVERY_PRIORITY,
        message_id=message_id,
    )


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
            message = OutboxMessage.objects.create(
                key=key,
                transport=transport,
                recipient=recipient,
                body=body,
                subject=subject,
                appeal=appeal,
                next_attempt_at=max(not_before, timezone.now()) if not_before else timezone.now(),
            )
            defer_delivery(message.pk, message.next_attempt_at)
            return message
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


def _due(now) -> Q:
    """Rows to (re)send now: pending and due, or claimed by a sender whose lease ran out."""
    return Q(state=OutboxState.PENDING, next_attempt_at__lte=now) | Q(
        state=OutboxState.SENDING, locked_until__lt=now
    )


def deliver_one(message_id: int) -> str:
    """The delivery job of one message: claim it if it is due, send it, record what happened.

    Returns what became of it: ``sent`` / ``logged`` / ``retried`` / ``failed``, ``paced`` (the
    backend's rate limit put it back for later, not counted as an attempt), or, when this job
    had nothing to send, ``not-due`` (not yet due: the next attempt is queued for its time),
    ``taken`` (another worker holds or finished it) or ``gone``."""
    now = timezone.now()
    row = OutboxMessage.objects.filter(id=message_id).values_list("state", "attempts").first()
    if row is None:
        return "gone"
    state, attempts = row
    if not OutboxMessage.objects.filter(_due(now), id=message_id).exists():
        pending = OutboxMessage.objects.filter(id=message_id, state=OutboxState.PENDING)
        at = pending.values_list("next_attempt_at", flat=True).first()
        if at is None:
            return "taken"
        defer_delivery(message_id, at)  # early (clock skew, a staff retry): wait for its time
        return "not-due"
    if not _claim(message_id, state, attempts, now):
        return "taken"  # another worker took it
    message = OutboxMessage.objects.get(id=message_id)
    try:
        result = backend_for(message.transport).send(message)
    except NotYet as wait:
        return _put_back(message, wait.at)
    except Undeliverable as exc:
        return _record_failure(message, f"{type(exc).__name__}: {exc}"[:2000], final=True)
    except Exception as exc:  # any provider failure is retried; the error is kept for staff
        return _record_failure(message, f"{type(exc).__name__}: {exc}"[:2000])
    # "sent" only when a real provider accepted it; a console backend's row says "logged".
    final = OutboxState.LOGGED if result == LOGGED else OutboxState.SENT
    check_transition(OUTBOX_TRANSITIONS, OutboxState.SENDING, final, "outbox")
    OutboxMessage.objects.filter(id=message_id, state=OutboxState.SENDING).update(
        state=final, sent_at=timezone.now(), locked_until=None, last_error=""
    )
    return "sent" if final == OutboxState.SENT else "logged"


def _put_back(message: OutboxMessage, at: datetime) -> str:
    """The backend's pace said "not yet": back to the queue for ``at``, the claim's attempt
    undone (the provider was not called), and the job queued for that time."""
    with transaction.atomic():
        if OutboxMessage.objects.filter(id=message.pk, state=OutboxState.SENDING).update(
            state=OutboxState.PENDING, attempts=F("attempts") - 1, locked_until=None, next_attempt_at=at
        ):
            defer_delivery(message.pk, at)
    return "paced"


def _record_failure(message: OutboxMessage, error: str, *, final: bool = False) -> str:
    """Park the message after its last attempt (or at once when ``final``: it can never be
    delivered), or put it back with its back-off and queue the next attempt for that time, in
    one transaction."""
    sending = OutboxMessage.objects.filter(id=message.pk, state=OutboxState.SENDING)
    if final or message.attempts >= settings.LASTMETER_OUTBOX_MAX_ATTEMPTS:
        sending.update(state=OutboxState.FAILED, last_error=error, locked_until=None)
        log.warning("outbox %s parked after %s attempts: %s", message.key, message.attempts, error)
        return "failed"
    retry_at = timezone.now() + backoff(message.attempts)
    with transaction.atomic():
        if sending.update(
            state=OutboxState.PENDING, last_error=error, locked_until=None, next_attempt_at=retry_at
        ):
            defer_delivery(message.pk, retry_at)
    return "retried"


def deliver_due(limit: int = 50) -> dict[str, int]:
    """The sweep: deliver messages that are due (and re-take those whose sender died mid-lease).

    Returns counts of sent (a provider accepted it) / logged (a console backend wrote it to the
    log; nobody received it) / retried / failed, for logging and tests. Safe to run concurrently,
    and beside the delivery jobs: whoever claims a row first sends it, the other does nothing.
    """
    counts = {"sent": 0, "logged": 0, "retried": 0, "failed": 0}
    candidates = list(
        OutboxMessage.objects.filter(_due(timezone.now())).order_by("id").values_list("id", flat=True)[:limit]
    )
    for message_id in candidates:
        outcome = deliver_one(message_id)
        if outcome in counts:
            counts[outcome] += 1
    return counts


def retry_failed(message_id: int) -> bool:
    """Staff action: put a parked message back in the queue."""
    check_transition(OUTBOX_TRANSITIONS, OutboxState.FAILED, OutboxState.PENDING, "outbox")
    with transaction.atomic():
        if not OutboxMessage.objects.filter(id=message_id, state=OutboxState.FAILED).update(
            state=OutboxState.PENDING, attempts=0, next_attempt_at=timezone.now()
        ):
            return False
        defer_delivery(message_id)
        return True
