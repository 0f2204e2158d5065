"""Enforcement of two-factor sign-in: pages (TwoFactorMiddleware) and websockets (the guard).

API sessions are refused in ``auth.StaffSessionAuth``; bearer tokens are not sessions and are
governed by their own scopes and expiry.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from lastmeter.accounts.twofactor import has_enrolled, is_verified, must_verify, session_is_cleared

# The API answers 401 itself (auth.StaffSessionAuth): a redirect to a page means nothing to fetch().
API_PREFIX = "/api/"
# What a signed-in but not yet verified person may still open: the two-factor pages, signing out,
# switching language. Names, resolved once the URLconf is loaded.
OPEN_URL_NAMES = ("accounts:enrol", "accounts:verify", "login", "logout", "set_language")


class TwoFactorMiddleware:
    """Sends a signed-in person who must pass a second factor and has not to enrolment (no
    authenticator yet) or to verification, with ``next`` pointing back to the page asked for.
    Installed after django-otp's OTPMiddleware, which marks verified sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        if self._open_paths is None:
            self._open_paths = frozenset(reverse(name) for name in OPEN_URL_NAMES)
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(API_PREFIX)
            and request.path not in self.open_paths()
            and not is_verified(user)
            and must_verify(user)
        ):
            target = "accounts:verify" if has_enrolled(user) else "accounts:enrol"
            return redirect_to_login(request.get_full_path(), reverse(target))
        return self.get_response(request)


class TwoFactorWebsocketGuard:
    """ASGI middleware inside Channels' AuthMiddlewareStack: a websocket whose session has not
    passed a second factor its user needs is treated as anonymous (the consumers then refuse it)."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is not None and user.is_authenticated:
            cleared = await database_sync_to_async(session_is_cleared)(user, scope.get("session"))
            if not cleared:
                scope = dict(scope, user=AnonymousUser())
        return await self.inner(scope, receive, send)
