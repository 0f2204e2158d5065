"""The authentication backend that throttles password attempts (django-axes)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class ThrottledBackend(AxesStandaloneBackend):
    """django-axes' check, first in AUTHENTICATION_BACKENDS: a username and address that failed
    too often are refused before their password is looked at.

    A password checked without a request (code calling ``authenticate()`` itself: a management
    command, Django's test client) has no address to throttle and is not an attempt from the
    network, so it is passed on to the next backend rather than refused as axes would. Every login
    page (ours and the admin's) passes its request.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
