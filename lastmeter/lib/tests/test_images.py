"""Photos are re-encoded without their EXIF (GPS above all), upright, and junk is refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lastmeter.lib.images import ImageRefused, reencode

GPS_IFD = 0x8825


def photo_with_gps(fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    exif[GPS_IFD] = {1: "N", 2: (31.0, 13.0, 48.0), 3: "E", 4: (121.0, 28.0, 12.0)}
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_strips_the_location_and_keeps_the_picture_upright(fmt):
    original = photo_with_gps(fmt)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture has GPS
    data, content_type = reencode(original)
    cleaned = Image.open(io.BytesIO(data))
    assert content_type == f"image/{fmt.lower()}"
    assert not cleaned.getexif().get_ifd(GPS_IFD) and 0x010F not in cleaned.getexif()
    assert cleaned.size == (20, 40)  # the orientation was applied to the pixels


def test_it_refuses_what_is_not_a_picture():
    with pytest.raises(ImageRefused):
        reencode(b"\xff\xd8\xff\xe0 not really a jpeg")
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    with pytest.raises(ImageRefused):
        reencode(gif.getvalue())


def test_it_refuses_a_decompression_bomb(monkeypatch):
    monkeypatch.setattr("lastmeter.lib.images.MAX_PIXELS", 100)
    with pytest.raises(ImageRefused):
        reencode(photo_with_gps())
