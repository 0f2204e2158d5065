"""Authentication for the API: bearer tokens for devices/integrations, the session for pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope, scope_for, scope_for_user
from lastmeter.accounts.tokens import check_token_scope, live_token, mark_used
from lastmeter.accounts.tokens import issue_token as issue_token
from lastmeter.accounts.twofactor import session_is_cleared


class TokenAuth(HttpBearer):
    """A live (unexpired, unrevoked) token of an active person; a request outside the token's
    scope is refused with 403 (NotAllowed, raised here and mapped by the API)."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        row = live_token(token)
        if row is None:
            return None
        check_token_scope(row, request.method or "GET", request.path)
        mark_used(row)
        # The scope (roles, grids: two queries) is worked out when an endpoint asks for it
        # (``request_scope``); a device reporting its own unit's position never needs it.
        request.lastmeter_token_person = row.person  # type: ignore[attr-defined]
        return row.person


class StaffSessionAuth(SessionAuth):
    """Session auth (CSRF-protected) for the pages' own fetch calls. A session that has not passed
    the second factor its user needs (accounts.twofactor) does not count."""

    def authenticate(self, request: HttpRequest, key: str | None):  # type: ignore[override]
        user = super().authenticate(request, key)
        if user is None or not session_is_cleared(user):
            return None
        request.lastmeter_scope = scope_for_user(user)  # type: ignore[attr-defined]
        return user


def request_scope(request: HttpRequest) -> Scope:
    scope = getattr(request, "lastmeter_scope", None)
    if scope is None:
        person = token_person(request)
        if person is not None:
            scope = scope_for(person, superuser=bool(person.user and person.user.is_superuser))
        else:
            scope = scope_for_user(getattr(request, "user", None))
        request.lastmeter_scope = scope  # type: ignore[attr-defined]
    return scope


def token_person(request: HttpRequest) -> Person | None:
    """The person whose API token authenticated this request (None for a session or no token)."""
    return getattr(request, "lastmeter_token_person", None)


API_AUTH = [TokenAuth(), StaffSessionAuth()]

__all__ = ["API_AUTH", "StaffSessionAuth", "TokenAuth", "issue_token", "request_scope", "token_person"]
