"""Delivery backends for the outbox: one class per transport, chosen by dotted path in settings.

A backend's ``send(message)`` either returns or raises DeliveryError (retry later). What it
returns says what happened: ``None`` (or ``DELIVERED``) when a real provider accepted the message,
``LOGGED`` when it was only written to a log and reached nobody (the console backends, Django's
console/locmem/file e-mail backends). The outbox records the second as state ``logged`` —
"logged, not delivered" — so staff never read "sent" for a message nobody received.
Backends get the outbox key to use as an idempotency key with the provider.

Configuring real delivery (README, "Messages to residents"):
- SMS: ``LASTMETER_SMS_BACKEND=lastmeter.appeals.notify.backends.HttpJsonSmsBackend`` with
  ``LASTMETER_SMS_HTTP_URL`` (and ``LASTMETER_SMS_HTTP_TOKEN``), or the dotted path of a class of
  your own with a ``send(message)`` method for your provider's API;
- e-mail: ``LASTMETER_DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend`` and the
  ``LASTMETER_EMAIL_*`` settings (host, port, user, password, TLS).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from lastmeter.appeals.models import DeliveryReceipt, OutboxMessage
from lastmeter.lib.text import mask_phone

log = logging.getLogger("lastmeter.notify")

DELIVERED = "delivered"
LOGGED = "logged"

# Django e-mail backends that keep the message on this machine (console, memory, files, nowhere).
NON_DELIVERING_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


class DeliveryError(Exception):
    """The provider did not take the message; the worker retries with back-off."""


class Undeliverable(DeliveryError):
    """The provider says the message can never be delivered (the bot was removed from the
    group, the number does not exist): the row is parked as failed at once, not retried."""


class NotYet(Exception):
    """The destination's pace says wait: the row goes back to the queue for ``at`` and the
    attempt is not counted (nothing was sent, the provider was not called)."""

    def __init__(self, at: datetime) -> None:
        super().__init__(f"paced until {at.isoformat()}")
        self.at = at


class Backend(Protocol):
    def send(self, message: OutboxMessage) -> str | None: ...


class ConsoleBackend:
    """Logs the message; for the demo and for SMS without a provider. Nothing is delivered, and the
    outbox row says so (state ``logged``). Records a receipt per key, so a re-delivery of the
    same key after a crash is not logged twice."""

    def send(self, message: OutboxMessage) -> str:
        try:
            with transaction.atomic():
                DeliveryReceipt.objects.create(key=message.key, transport=message.transport)
        except IntegrityError:
            return LOGGED  # already logged before a crash: idempotent no-op
        # The number is masked here too: a log file is not encrypted at rest as the row is.
        shown = {k: mask_phone(str(v)) if k == "phone" else v for k, v in message.recipient.items()}
        log.info("[%s → %s] %s", message.transport, shown, message.body)
        return LOGGED


class EmailBackend:
    """Sends through Django's e-mail machinery (EMAIL_BACKEND decides SMTP/console/locmem).
    Only an EMAIL_BACKEND that leaves this machine (SMTP or a provider's) counts as delivered."""

    def send(self, message: OutboxMessage) -> str:
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
        return LOGGED if settings.EMAIL_BACKEND in NON_DELIVERING_EMAIL_BACKENDS else DELIVERED


class HttpJsonSmsBackend:
    """A generic HTTP SMS gateway: ``POST LASTMETER_SMS_HTTP_URL`` with the JSON body
    ``{"to": phone, "text": body, "key": outbox key, "sender": LASTMETER_SMS_HTTP_SENDER}``, the
    headers ``Authorization: Bearer LASTMETER_SMS_HTTP_TOKEN`` (when set) and
    ``Idempotency-Key: <outbox key>``. Any 2xx answer means the gateway accepted the message;
    anything else (network error, timeout, 4xx, 5xx) is a DeliveryError and the outbox retries
    with the same key, so a gateway that honours the key sends it once.

    Most Chinese SMS providers (Aliyun, Tencent Cloud) sign requests their own way; put a small
    relay in front of them that speaks this JSON, or write a backend class for the provider."""

    def send(self, message: OutboxMessage) -> str:
        url = settings.LASTMETER_SMS_HTTP_URL
        if not url:
            raise DeliveryError("LASTMETER_SMS_HTTP_URL is not set")
        phone = str(message.recipient.get("phone", "")).strip()
        if not phone:
            raise DeliveryError("no phone number")
        headers = {"Idempotency-Key": message.key}
        if settings.LASTMETER_SMS_HTTP_TOKEN:
            headers["Authorization"] = f"Bearer {settings.LASTMETER_SMS_HTTP_TOKEN}"
        payload = {"to": phone, "text": message.body, "key": message.key}
        if settings.LASTMETER_SMS_HTTP_SENDER:
            payload["sender"] = settings.LASTMETER_SMS_HTTP_SENDER
        try:
            response = httpx.post(
                url, json=payload, headers=headers, timeout=settings.LASTMETER_HTTP_TIMEOUT_S
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"SMS gateway answered HTTP {response.status_code}: {response.text[:300]}")
        return DELIVERED
