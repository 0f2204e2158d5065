"""Photos that come with a Telegram message: fetched through the Bot API's getFile and file
download (played on loopback), re-encoded without EXIF before anyone sees them, and refused —
the appeal's text kept — when too large, not an image, or a decompression bomb."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.storage import default_storage
from PIL import ExifTags, Image

from lastmeter.appeals.models import AppealEvent, AppealMedia
from lastmeter.intake.models import InboundItem
from lastmeter.intake.services import process_item
from lastmeter.intake.tests.test_telegram import BOT, send

TOKEN = "123456:ABC-DEF"  # intake_conf's LASTMETER_TELEGRAM_BOT_TOKEN
CAPTION = f"{BOT} 福州路有车辆违停，堵住了小区出口，照片里是车牌"
GPS = ExifTags.IFD.GPSInfo

pytestmark = pytest.mark.django_db


def jpeg_with_gps() -> bytes:
    """A phone-like JPEG whose EXIF says where it was taken (People's Square, Shanghai)."""
    image = Image.new("RGB", (320, 240), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X"
    gps = exif.get_ifd(GPS)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 5.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 30.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the fixture really carries a location
        assert check.getexif().get_ifd(GPS)[ExifTags.GPS.GPSLatitude] == (31.0, 14.0, 5.0)
    return data


def png_bomb() -> bytes:
    """64 megapixels of one colour: a few kilobytes that would decode to 64 MB and more."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def photo_update(update_id: int, *, as_document: bool = False, size: int = 0) -> dict:
    message: dict = {
        "message_id": 7001,
        "from": {"id": 5012345678, "is_bot": False, "first_name": "张", "last_name": "三"},
        "chat": {"id": -1001987654321, "title": "福州路小区邻里群", "type": "supergroup"},
        "date": int(time.time()),
        "caption": CAPTION,
        "caption_entities": [{"offset": 0, "length": len(BOT), "type": "mention"}],
    }
    if as_document:
        message["document"] = {
            "file_name": "IMG_0412.jpg",
            "mime_type": "image/jpeg",
            "file_id": "BQACAgUAAxkBAAIBig",
            "file_unique_id": "AgADig",
            "file_size": size,
        }
    else:
        message["photo"] = [
            {
                "file_id": "AgACAgUAAxkBAAIBiw-s",
                "file_unique_id": "AQADs",
                "file_size": 900,
                "width": 90,
                "height": 67,
            },
            {
                "file_id": "AgACAgUAAxkBAAIBiw-m",
                "file_unique_id": "AQADm",
                "file_size": size,
                "width": 320,
                "height": 240,
            },
        ]
    return {"update_id": update_id, "message": message}


def serve_file(fake_api, data: bytes, *, status: int = 200, file_size: int | None = None) -> None:
    """Telegram's getFile (the file's path) and its file download, for whatever file_id is asked."""
    answer: dict[str, str | int] = {"file_id": "x", "file_unique_id": "y", "file_path": "photos/file_12.jpg"}
    if file_size is not None:
        answer["file_size"] = file_size
    fake_api.route(f"/bot{TOKEN}/getFile", answer={"ok": True, "result": answer})
    fake_api.route(
        f"/file/bot{TOKEN}/photos/file_12.jpg", status=status, answer=data if status == 200 else {}
    )


def deliver_and_work(client, payload) -> InboundItem:
    """The webhook answers at once (the photo is the worker's), then the worker processes it."""
    r = send(client, payload)
    assert r.status_code == 200, r.content
    item = InboundItem.objects.get()
    assert item.status == "pending" and item.appeal is None
    return process_item(item.pk)


@pytest.mark.parametrize("as_document", [False, True], ids=["photo", "image-as-file"])
def test_it_stores_a_chat_photo_without_its_gps_exif(client, world, intake_conf, fake_api, as_document):
    original = jpeg_with_gps()
    serve_file(fake_api, original, file_size=len(original))
    item = deliver_and_work(client, photo_update(880001, as_document=as_document, size=len(original)))
    assert item.status == "done" and item.decision == "new_appeal"
    assert "违停" in item.appeal.text
    media = AppealMedia.objects.get(appeal=item.appeal)
    assert media.content_type == "image/jpeg"
    with default_storage.open(media.file.name) as fh:
        stored = fh.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (320, 240)
        exif = image.getexif()
        assert not exif.get_ifd(GPS) and ExifTags.Base.Make not in exif
    assert b"PhoneMaker" not in stored
    # The largest rendition that fits the limit was asked for, not the thumbnail.
    asked = fake_api.calls(f"/bot{TOKEN}/getFile")[0].query["file_id"][0]
    assert asked == ("BQACAgUAAxkBAAIBig" if as_document else "AgACAgUAAxkBAAIBiw-m")


@pytest.mark.parametrize(
    ("what", "served", "reason"),
    [
        ("html", b"<!doctype html><title>Not an image</title>", "could not be read as an image"),
        ("bomb", None, "too many pixels"),
    ],
)
def test_it_keeps_the_appeal_and_refuses_a_non_image_or_a_bomb(
    client, world, intake_conf, fake_api, what, served, reason
):
    data = served if served is not None else png_bomb()
    serve_file(fake_api, data)
    item = deliver_and_work(client, photo_update(880002, size=len(data)))
    assert item.status == "done" and item.decision == "new_appeal"
    assert "违停" in item.appeal.text  # the appeal text is not lost
    assert not AppealMedia.objects.filter(appeal=item.appeal).exists()
    note = AppealEvent.objects.get(appeal=item.appeal, data__photo_refused__isnull=False)
    assert reason in note.data["photo_refused"]
    assert item.normalised["media"][0]["refused"] == note.data["photo_refused"]


def test_it_refuses_a_photo_over_the_size_limit_without_reading_it_all(
    client, world, intake_conf, fake_api, settings
):
    settings.LASTMETER_MAX_PHOTO_BYTES = 4096
    big = jpeg_with_gps() + b"\0" * 8192  # whatever Telegram says, the body is what counts
    serve_file(fake_api, big)  # getFile without a file_size: the download is capped
    item = deliver_and_work(client, photo_update(880003, size=0))
    assert item.decision == "new_appeal"
    assert not AppealMedia.objects.filter(appeal=item.appeal).exists()
    note = AppealEvent.objects.get(appeal=item.appeal, data__photo_refused__isnull=False)
    assert "larger than 4 KB" in note.data["photo_refused"]


def test_it_retries_the_item_when_telegram_cannot_serve_the_file(client, world, intake_conf, fake_api):
    original = jpeg_with_gps()
    serve_file(fake_api, original, status=502)
    item = deliver_and_work(client, photo_update(880004, size=len(original)))
    assert item.status == "pending" and item.attempts == 1 and "502" in item.last_error
    assert item.appeal is None
    serve_file(fake_api, original)  # Telegram is back
    item = process_item(item.pk)
    assert item.status == "done" and AppealMedia.objects.filter(appeal=item.appeal).count() == 1
