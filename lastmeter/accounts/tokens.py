"""API tokens: issue, check, revoke. The raw token is shown once; only its SHA-256 is kept.

A token acts as its person (the same Scope as their session would have), narrowed by its scope
(``TokenScope``) and ended by its expiry or revocation.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lastmeter.accounts.choices import TokenScope
from lastmeter.accounts.models import ApiToken, Person, hash_token
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.queries import one_or_none

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The endpoints a position-only token may post to: /api/v1/positions and /api/v1/units/<id>/positions.
POSITIONS_PATH = re.compile(r"/positions/?$")
PREFIX_LENGTH = 8


def issue_token(
    person: Person,
    label: str,
    *,
    scope: str = TokenScope.WRITE,
    days: int | None = None,
) -> str:
    """Create a token for ``person`` and return the raw token once. It expires after ``days``
    (default ``settings.LASTMETER_TOKEN_DAYS``)."""
    if scope not in TokenScope.values:
        raise ServiceError(f"unknown token scope {scope!r}; use one of {', '.join(TokenScope.values)}")
    lifetime = settings.LASTMETER_TOKEN_DAYS if days is None else days
    if lifetime <= 0:
        raise ServiceError("a token must live at least one day")
    raw = ApiToken.new_raw_key()
    ApiToken.objects.create(
        person=person,
        label=label[:100],
        key_hash=hash_token(raw),
        prefix=raw[:PREFIX_LENGTH],
        scope=scope,
        expires_at=timezone.now() + timedelta(days=lifetime),
    )
    return raw


def live_token(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The token ``raw`` names, if it exists, is neither revoked nor expired, and its person is
    active; None otherwise (the same answer for every reason, so nothing leaks)."""
    now = now or timezone.now()
    return one_or_none(
        ApiToken.objects.select_related("person", "person__user").filter(
            key_hash=hash_token(raw), revoked_at__isnull=True, expires_at__gt=now, person__active=True
        )
    )


def check_token_scope(token: ApiToken, method: str, path: str) -> None:
    """Raise NotAllowed when ``token``'s scope does not cover this request."""
    if token.scope == TokenScope.WRITE:
        return
    if token.scope == TokenScope.READ and method.upper() in SAFE_METHODS:
        return
    if token.scope == TokenScope.POSITIONS and method.upper() == "POST" and POSITIONS_PATH.search(path):
        return
    raise NotAllowed(f"this token's scope ({token.scope}) does not allow {method.upper()} {path}")


# How stale "last used" may be. A unit's device posts its position every few seconds: writing the
# time on every request was a second write on the hottest endpoint, for a column staff read in days.
USED_PRECISION = timedelta(minutes=1)


def mark_used(token: ApiToken, *, now: datetime | None = None) -> bool:
    """Record that ``token`` was used now, unless it was already recorded less than a minute ago
    (``USED_PRECISION``); True when the row was written."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < USED_PRECISION:
        return False
    return bool(ApiToken.objects.filter(pk=token.pk).update(last_used_at=now))


def revoke_token(token_id: int) -> bool:
    """Revoke a token; True if it was live. Revoking twice keeps the first time."""
    with transaction.atomic():
        return bool(
            ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
        )


def revoke_tokens_of(person: Person) -> int:
    """Revoke every live token of ``person`` (leaving, or a lost phone); returns how many."""
    return ApiToken.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=timezone.now())
