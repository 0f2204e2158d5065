"""Authentication for the API: bearer tokens for devices/integrations, the session for pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from lastmeter.accounts.models import ApiToken, Person, hash_token
from lastmeter.accounts.selectors import Scope, scope_for, scope_for_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        row = (
            ApiToken.objects.select_related("person", "person__user")
            .filter(key_hash=hash_token(token), revoked=False, person__active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.lastmeter_scope = scope_for(  # type: ignore[attr-defined]
            row.person, superuser=bool(row.person.user and row.person.user.is_superuser)
        )
        return row.person


class StaffSessionAuth(SessionAuth):
    """Session auth (CSRF-protected) for the pages' own fetch calls."""

    def authenticate(self, request: HttpRequest, key: str | None):  # type: ignore[override]
        user = super().authenticate(request, key)
        if user is None:
            return None
        request.lastmeter_scope = scope_for_user(user)  # type: ignore[attr-defined]
        return user


def request_scope(request: HttpRequest) -> Scope:
    scope = getattr(request, "lastmeter_scope", None)
    if scope is None:
        scope = scope_for_user(getattr(request, "user", None))
        request.lastmeter_scope = scope  # type: ignore[attr-defined]
    return scope


def issue_token(person: Person, label: str) -> str:
    """Create a token and return the raw key once; only its hash is stored."""
    raw = ApiToken.new_raw_key()
    ApiToken.objects.create(person=person, label=label, key_hash=hash_token(raw))
    return raw


API_AUTH = [TokenAuth(), StaffSessionAuth()]
