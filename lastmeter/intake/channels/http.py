"""Small HTTP helpers shared by the reply senders (httpx, JSON in and out).

Every failure becomes DeliveryError so the outbox worker backs off and retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings

from lastmeter.appeals.notify.backends import DeliveryError


def request_json(
    method: str,
    url: str,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send and return the JSON object answer; DeliveryError on network errors, non-2xx
    statuses and non-JSON answers."""
    try:
        response = httpx.request(
            method,
            url,
            json=json,
            params=params,
            headers=headers,
            timeout=settings.LASTMETER_HTTP_TIMEOUT_S,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        data = response.json()
    except ValueError:
        raise DeliveryError(f"not JSON: {response.text[:200]}") from None
    if not isinstance(data, dict):
        raise DeliveryError("answer is not a JSON object")
    return data


def url_under(url: str, base: str) -> bool:
    """True when ``url`` is on the configured API base (reply URLs that arrive inside webhook
    payloads must not make us call arbitrary hosts)."""
    base = base.rstrip("/")
    return bool(base) and (url == base or url.startswith(base + "/") or url.startswith(base + "?"))


class TokenCache:
    """An access token per key, refreshed a minute before it expires (per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}

    def get(self, key: str, fetch: Callable[[], tuple[str, float]]) -> str:
        with self._lock:
            token, expires = self._tokens.get(key, ("", 0.0))
            if token and expires - 60 > time.monotonic():
                return token
        token, lifetime = fetch()
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + lifetime)
        return token

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


tokens = TokenCache()
