"""The access log is real: every view of an appeal's personal data writes one row (who, what,
when, why), admin change pages of personal data too, and the admin lists it read-only."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.models import AccessLog
from lastmeter.accounts.services import log_access
from lastmeter.appeals.models import AppealMedia
from lastmeter.intake import services as intake
from lastmeter.intake.channels.base import InboundMessage


def _png() -> bytes:
    """A real (decodable) 4×4 PNG: the report form re-encodes photos and refuses what is not one."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


@pytest.fixture
def admin_client(db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pass-root")
    c = Client()
    c.force_login(user)
    return c, user


def test_it_logs_each_view_of_an_appeals_detail_page_and_api(world, new_appeal):
    appeal = new_appeal()
    officer = login("officer_a")
    assert officer.get(f"/appeals/{appeal.pk}/").status_code == 200
    row = AccessLog.objects.get()
    assert (row.person, row.what, row.object_type, row.object_id) == (
        world.grid_officer,
        "appeal detail",
        "appeals.appeal",
        str(appeal.pk),
    )
    assert row.object_label == appeal.reference and row.why and row.at and row.user is not None
    token = issue_token(world.dispatcher, "tablet")
    r = Client().get(f"/api/v1/appeals/{appeal.pk}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert AccessLog.objects.filter(person=world.dispatcher, what="appeal detail", why="API").count() == 1
    # Refused views read nothing and log nothing.
    assert login("officer_b").get(f"/appeals/{appeal.pk}/").status_code == 404
    assert AccessLog.objects.count() == 2


def test_it_offers_one_public_function_for_other_screens(world, new_appeal):
    appeal = new_appeal()
    row = log_access(world.grid_officer, "reporter phone", appeal, "call the reporter")
    assert (row.person, row.what, row.object_label, row.why) == (
        world.grid_officer,
        "reporter phone",
        appeal.reference,
        "call the reporter",
    )
    assert row.user == world.grid_officer.user


def test_it_logs_admin_change_pages_of_personal_data(world, new_appeal, admin_client):
    client, user = admin_client
    appeal = new_appeal()
    item, _ = intake.submit(
        InboundMessage(channel="api", text="福州路噪音", phone="13900000000"), key="a", body=b"x"
    )
    for path, what in [
        (f"/admin/appeals/appeal/{appeal.pk}/change/", "admin: appeal"),
        (f"/admin/accounts/person/{world.grid_officer.pk}/change/", "admin: person"),
        (f"/admin/intake/inbounditem/{item.pk}/change/", "admin: inbound item"),
    ]:
        r = client.get(path)
        assert r.status_code == 200, path
        row = AccessLog.objects.filter(what=what).get()
        assert row.user == user and row.why == "admin change page"
    # A missing row shows nothing and logs nothing.
    client.get("/admin/appeals/appeal/999999/change/")
    assert AccessLog.objects.count() == 3


def test_it_lists_the_log_read_only_in_the_admin(world, new_appeal, admin_client):
    client, _user = admin_client
    appeal = new_appeal()
    login("officer_a").get(f"/appeals/{appeal.pk}/")
    page = client.get("/admin/accounts/accesslog/?what=appeal+detail")
    html = page.content.decode()
    assert page.status_code == 200 and appeal.reference in html and world.grid_officer.name in html
    row = AccessLog.objects.get(what="appeal detail")
    assert client.get("/admin/accounts/accesslog/add/").status_code == 403
    assert client.post(f"/admin/accounts/accesslog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/accounts/accesslog/{row.pk}/change/", {"what": "nothing"}).status_code == 403
    row.refresh_from_db()
    assert row.what == "appeal detail"


def test_it_shows_the_residents_photo_to_staff_who_may_see_the_appeal_and_logs_it(
    world, new_appeal, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    appeal = new_appeal()
    name = default_storage.save("intake/2026/03/p.png", ContentFile(PNG))
    photo = AppealMedia.objects.create(appeal=appeal, file=name, content_type="image/png")
    officer = login("officer_a")
    page = officer.get(f"/appeals/{appeal.pk}/").content.decode()
    url = f"/appeals/{appeal.pk}/media/{photo.pk}/"
    assert url in page
    r = officer.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert r["Content-Type"] == "image/png" and "private" in r["Cache-Control"]
    assert AccessLog.objects.filter(person=world.grid_officer, what="appeal photo").count() == 1
    # The officer of another grid, an anonymous visitor, and a wrong pairing get nothing.
    assert login("officer_b").get(url).status_code == 404
    assert Client().get(url).status_code == 302
    other = new_appeal(text="另一件事")
    assert officer.get(f"/appeals/{other.pk}/media/{photo.pk}/").status_code == 404
    assert AccessLog.objects.filter(what="appeal photo").count() == 1


def test_it_stores_a_photo_from_the_form_where_no_public_url_reaches_it(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = io.BytesIO(PNG)
    upload.name = "p.png"
    client.post(
        "/intake/report/",
        {"nonce": "n", "text": "违停", "lat": "31.23", "lon": "121.47", "photo": upload},
    )
    photo = AppealMedia.objects.get()
    assert Client().get(f"/media/{photo.file.name}").status_code == 404
    assert login("dispatcher").get(f"/appeals/{photo.appeal_id}/media/{photo.pk}/").status_code == 200


def test_it_logs_the_intake_item_page_that_shows_the_raw_message(world):
    item, _ = intake.submit(
        InboundMessage(channel="api", text="福州路噪音", phone="13900000000"), key="b", body=b"x"
    )
    page = login("dispatcher").get(f"/intake/items/{item.pk}/")
    assert page.status_code == 200
    row = AccessLog.objects.get()
    assert (row.person, row.what, row.object_type) == (world.dispatcher, "inbound item", "intake.inbounditem")
