"""Photos that come with a report: stored only after re-encoding (``lib.images``: the pixels,
without the EXIF that carries the phone's GPS position), so no copy with the reporter's location
exists for anyone — staff included — to see.

Two ways in:
- the resident's web form: ``store_photo`` on the uploaded bytes (the form has checked them);
- chat platforms: the adapter only notes the platform's file reference in the message's media
  (``{"platform": "telegram", "file_id": …}``); ``resolve_media`` fetches it from the platform's
  file API — outside any transaction, as it is network I/O — with a size cap, and replaces the
  reference by the stored photo (``{"path", "content_type"}``) or by the reason it was refused
  (``{"refused": …}``).

A refusal is final and costs only the photo: the message is still processed, the appeal keeps its
text, and its timeline says the photo was not kept and why (``intake.services``). A transient
failure (network, the platform's 5xx) raises ``MediaUnavailable`` and the whole item is retried
with back-off, as for any other processing failure; the raw item is stored either way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from lastmeter.lib.images import ImageRefused, reencode

SUFFIXES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def too_large(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return f"the photo is larger than {size} (LASTMETER_MAX_PHOTO_BYTES)"


class MediaRefused(Exception):
    """The platform's file is not a photo we keep (too large, not an image, a bomb, gone)."""


class MediaUnavailable(Exception):
    """The platform could not be reached or failed (5xx): worth retrying later."""


def store_photo(data: bytes) -> dict[str, str]:
    """Re-encode and store a photo; its media entry. Raises ``ImageRefused`` for a non-image,
    an unreadable image or one with too many pixels (a decompression bomb)."""
    clean, content_type = reencode(data)
    name = default_storage.save(
        f"intake/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{SUFFIXES[content_type]}", ContentFile(clean)
    )
    return {"path": name, "content_type": content_type}


def needs_fetching(media: list[dict[str, Any]]) -> bool:
    return any("file_id" in entry and "path" not in entry and "refused" not in entry for entry in media)


def _download(url: str, *, limit: int, params: dict[str, str] | None = None) -> bytes:
    """GET ``url`` and return at most ``limit`` bytes; refuses a longer body without reading it all."""
    try:
        with httpx.stream("GET", url, params=params, timeout=settings.LASTMETER_HTTP_TIMEOUT_S) as response:
            if response.status_code >= 500:
                raise MediaUnavailable(f"HTTP {response.status_code} from the platform's file API")
            if response.status_code >= 400:
                raise MediaRefused(f"the platform answered HTTP {response.status_code} for the file")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise MediaRefused(too_large(limit))
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise MediaRefused(too_large(limit))
            return bytes(data)
    except httpx.HTTPError as exc:
        raise MediaUnavailable(f"{type(exc).__name__}: {exc}") from exc


def _telegram(entry: dict[str, Any], limit: int) -> bytes:
    """Bot API: getFile gives the file's path, then /file/bot<token>/<path> gives its bytes."""
    token = settings.LASTMETER_TELEGRAM_BOT_TOKEN
    if not token:
        raise MediaRefused("LASTMETER_TELEGRAM_BOT_TOKEN is not set: the photo cannot be fetched")
    base = settings.LASTMETER_TELEGRAM_API_BASE.rstrip("/")
    answer = _download(f"{base}/bot{token}/getFile", limit=64 * 1024, params={"file_id": entry["file_id"]})
    try:
        result = json.loads(answer)["result"]
        file_path, size = str(result["file_path"]), int(result.get("file_size") or 0)
    except (ValueError, KeyError, TypeError):
        raise MediaRefused("Telegram's getFile answer has no file_path") from None
    if size > limit:
        raise MediaRefused(too_large(limit))
    return _download(f"{base}/file/bot{token}/{file_path}", limit=limit)


FETCHERS: dict[str, Callable[[dict[str, Any], int], bytes]] = {"telegram": _telegram}


def resolve_media(media: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The media list with every platform reference fetched, re-encoded and stored, or refused
    with its reason. Raises ``MediaUnavailable`` when a platform cannot be reached (retry later)."""
    limit = settings.LASTMETER_MAX_PHOTO_BYTES
    resolved: list[dict[str, Any]] = []
    for entry in media:
        if "file_id" not in entry or "path" in entry or "refused" in entry:
            resolved.append(entry)
            continue
        fetch = FETCHERS.get(str(entry.get("platform", "")))
        try:
            if fetch is None:
                raise MediaRefused(f"photos from {entry.get('platform')!r} are not fetched")
            if int(entry.get("file_size") or 0) > limit:
                raise MediaRefused(too_large(limit))
            stored = store_photo(fetch(entry, limit))
        except (ImageRefused, MediaRefused) as exc:
            resolved.append({**_reference(entry), "refused": str(exc)})
        else:
            resolved.append({**_reference(entry), **stored})
    return resolved


def _reference(entry: dict[str, Any]) -> dict[str, Any]:
    """What is kept of the platform's reference next to the result (for the record)."""
    return {k: entry[k] for k in ("platform", "file_id") if k in entry}


__all__ = ["MediaRefused", "MediaUnavailable", "needs_fetching", "resolve_media", "store_photo"]
