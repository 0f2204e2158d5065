"""Alert photos through /api/v1 (multipart): size and type limits, re-encoded without EXIF/GPS,
shown on the alert and in CAP's <resource> (mimeType, size, SHA-1 digest), purged after the
retention period like the description."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from PIL import Image

from lastmeter.broadcasts import alerts, cap
from lastmeter.broadcasts.models import Alert
from lastmeter.broadcasts.tests.test_alerts import cap_schema, media, new_alert  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
GPS_IFD = 0x8825


def phone_photo(fmt: str = "JPEG") -> bytes:
    """A photo as a phone writes it: EXIF with the camera and the GPS position of the shot."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 13.0, 48.0), 3: "E", 4: (121.0, 28.0, 12.0)})
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


def officer(world) -> Client:
    c = Client()
    c.force_login(world.grid_officer.user)
    return c


def upload(client: Client, alert: Alert, data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return client.post(
        f"/api/v1/broadcasts/alerts/{alert.pk}/photo",
        {"photo": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def test_a_photo_uploaded_through_the_api_is_kept_without_exif_and_shown_in_cap(world, groups, media):  # noqa: F811
    original = phone_photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the input does carry GPS
    alert = new_alert(world, photo=None)
    r = upload(officer(world), alert, original)
    assert r.status_code == 200, r.content
    alert.refresh_from_db()
    stored = alert.photo.read()
    kept = Image.open(io.BytesIO(stored))
    assert kept.format == "JPEG" and kept.size == (64, 48)
    assert not kept.getexif() and b"PhoneMaker" not in stored and b"Exif" not in stored
    photo = r.json()["photo"]
    assert photo["mime_type"] == "image/jpeg" and photo["size"] == len(stored) == alert.photo_size
    assert photo["digest"] == hashlib.sha1(stored, usedforsecurity=False).hexdigest()

    alerts.do_submit_alert(world.scope(world.grid_officer), alert.pk)
    alerts.do_approve_alert(world.scope(world.leader), alert.pk)
    alert.refresh_from_db()
    xml = etree.fromstring(cap.cap_xml(alert))
    cap_schema().assertValid(xml)
    ns = {"cap": cap.NS}
    resource = xml.find("cap:info/cap:resource", namespaces=ns)
    assert resource.findtext("cap:mimeType", namespaces=ns) == "image/jpeg"
    assert resource.findtext("cap:size", namespaces=ns) == str(len(stored))
    assert resource.findtext("cap:digest", namespaces=ns) == photo["digest"]
    served = Client().get(resource.findtext("cap:uri", namespaces=ns).split("testserver")[-1])
    assert served.status_code == 200 and b"".join(served.streaming_content) == stored
    public = Client().get(reverse("broadcasts:alert_public", args=[alert.public_token])).content.decode()
    assert reverse("broadcasts:alert_photo", args=[alert.public_token]) in public

    alerts.do_close_alert(world.scope(world.grid_officer), alert.pk, "已找到")
    path = alert.photo.path
    alerts.purge_closed(timezone.now() + timedelta(days=31))
    alert.refresh_from_db()
    assert not alert.photo and alert.photo_size is None and alert.photo_digest == ""
    import os

    assert not os.path.exists(path)
    assert etree.fromstring(cap.cap_xml(alert)).find("cap:info/cap:resource", namespaces=ns) is None


def test_the_author_and_approver_see_the_photo_before_it_is_public(world, groups, media):  # noqa: F811
    alert = new_alert(world, photo=None)
    upload(officer(world), alert, phone_photo("PNG"), name="p.png", content_type="image/png")
    url = reverse("broadcasts:alert_photo", args=[alert.public_token])
    assert Client().get(url).status_code == 404  # a draft is not public
    leader = Client()
    leader.force_login(world.leader.user)
    assert leader.get(url).status_code == 200
    other = Client()
    other.force_login(world.other_officer.user)
    assert other.get(url).status_code == 404
    page = officer(world).get(reverse("broadcasts:alert", args=[alert.pk])).content.decode()
    assert 'data-testid="photo"' in page and "去除位置信息" in page


def test_bad_photos_are_refused_with_a_message_and_change_nothing(world, groups, media, settings):  # noqa: F811
    alert = new_alert(world)  # with the small photo of new_alert
    before = (alert.photo.name, alert.photo_size, alert.photo_digest)
    c = officer(world)
    too_big = upload(c, alert, b"\xff\xd8" + b"0" * (alerts.MAX_PHOTO_BYTES + 1))
    assert too_big.status_code == 400 and "太大" in too_big.json()["detail"]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    r = upload(c, alert, gif.getvalue(), name="a.gif", content_type="image/gif")
    assert r.status_code == 400 and "image/gif" in r.json()["detail"]
    r = upload(c, alert, gif.getvalue(), name="a.jpg", content_type="image/jpeg")  # lies about its type
    assert r.status_code == 400 and "JPEG" in r.json()["detail"]
    r = upload(c, alert, b"not an image at all", name="x.jpg")
    assert r.status_code == 400 and r.json()["detail"]
    r = c.post(f"/api/v1/broadcasts/alerts/{alert.pk}/photo", {})
    assert r.status_code in (400, 422)
    other = Client()
    other.force_login(world.other_officer.user)
    assert upload(other, alert, phone_photo()).status_code == 404
    resident = Client()  # no login at all
    assert upload(resident, alert, phone_photo()).status_code == 401
    alerts.do_submit_alert(world.scope(world.grid_officer), alert.pk)
    alerts.do_approve_alert(world.scope(world.leader), alert.pk)
    alerts.do_close_alert(world.scope(world.grid_officer), alert.pk, "已找到")
    r = upload(c, alert, phone_photo())
    assert r.status_code == 400 and "解除" in r.json()["detail"]
    alert.refresh_from_db()
    assert (alert.photo.name, alert.photo_size, alert.photo_digest) == before
