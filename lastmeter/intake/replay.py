"""Replay memory of the chat webhooks: each signed request's nonce is remembered per platform.

The adapters already refuse stale timestamps (LASTMETER_MAX_CLOCK_SKEW_S) and wrong signatures
(constant-time comparisons). Inside the window, the same request may legitimately arrive twice (a
platform's retry): the same nonce with the *same* body goes on to the normal path, where the
idempotency key stores it once. The same nonce with *another* body is a replay carrying forged
content — possible where a platform's signature does not cover the body (DingTalk) — and is refused
before anything is stored.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from lastmeter.intake.models import WebhookNonce


def spend_nonce(channel: str, nonce: str, body: bytes) -> bool:
    """Remember ``nonce`` for ``channel`` with this body; False when it was already used with a
    different body (refuse the request). Safe against two requests at once (unique constraint)."""
    digest = hashlib.sha256(body).hexdigest()
    now = timezone.now()
    row, created = WebhookNonce.objects.get_or_create(
        channel=channel, nonce=nonce[:300], defaults={"body_sha256": digest, "seen_at": now}
    )
    if created:
        # Older nonces can no longer pass the timestamp check: forget them (an indexed range delete).
        cutoff = now - timedelta(seconds=2 * settings.LASTMETER_MAX_CLOCK_SKEW_S)
        WebhookNonce.objects.filter(channel=channel, seen_at__lt=cutoff).delete()
        return True
    return row.body_sha256 == digest
