"""Photos re-encoded on the way in: what is stored is only the pixels.

A phone's photo carries EXIF — the GPS position of the reporter's home, the phone's make and
serial, the time — and PNG text chunks can carry anything. We decide to re-encode **every photo
when it is stored** (not only before showing it to non-staff): then no copy with the location
exists anywhere, for staff, backups or a leaked media folder alike. The orientation EXIF would
have applied is applied to the pixels first, so the photo still shows the right way up.

``reencode(data)`` returns the new bytes and their content type, or raises ``ImageRefused`` (a
ServiceError) for what is not a JPEG/PNG/WebP picture Pillow can read, or one with more than
``MAX_PIXELS`` pixels (a decompression bomb is refused before it is decoded).
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from lastmeter.lib.errors import ServiceError

MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; more is refused, not decoded
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class ImageRefused(ServiceError):
    pass


def reencode(data: bytes) -> tuple[bytes, str]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            if kind not in FORMATS:
                raise ImageRefused("the photo must be a JPEG, PNG or WebP image")
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused("the photo has too many pixels")
            upright = ImageOps.exif_transpose(image)
            if kind == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            out = io.BytesIO()
            # Saved without exif=, icc/pnginfo text: Pillow writes only the pixels.
            upright.save(out, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise ImageRefused("the photo could not be read as an image") from exc
    return out.getvalue(), FORMATS[kind]


__all__ = ["FORMATS", "MAX_PIXELS", "ImageRefused", "reencode"]
