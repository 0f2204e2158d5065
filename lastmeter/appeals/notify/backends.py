"""Delivery backends for the outbox: one class per transport, chosen by dotted path in settings.

A backend's `send(message)` either returns (delivered) or raises DeliveryError (retry later).
Backends get the outbox key to use as an idempotency key with the provider.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.db import IntegrityError, transaction

from lastmeter.appeals.models import DeliveryReceipt, OutboxMessage

log = logging.getLogger("lastmeter.notify")


class DeliveryError(Exception):
    """The provider did not take the message; the worker retries with back-off."""


class Backend(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class ConsoleBackend:
    """Logs the message; for the demo and for SMS without a provider. Records a receipt per key,
    so a re-delivery of the same key after a crash is not logged twice."""

    def send(self, message: OutboxMessage) -> None:
        try:
            with transaction.atomic():
                DeliveryReceipt.objects.create(key=message.key, transport=message.transport)
        except IntegrityError:
            return  # already delivered before a crash: idempotent no-op
        log.info("[%s → %s] %s", message.transport, message.recipient, message.body)


class EmailBackend:
    """Sends through Django's e-mail machinery (EMAIL_BACKEND decides SMTP/console/locmem)."""

    def send(self, message: OutboxMessage) -> None:
        from django.conf import settings
        from django.core.mail import EmailMessage

        address = message.recipient.get("email", "")
        if not address:
            raise DeliveryError("no e-mail address")
        try:
            # The outbox key as Message-ID lets receiving servers drop a re-delivered copy.
            EmailMessage(
                subject=message.subject or "lastmeter",
                body=message.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
                headers={"Message-ID": f"<{message.key}@lastmeter>"},
            ).send()
        except OSError as exc:
            raise DeliveryError(str(exc)) from exc
