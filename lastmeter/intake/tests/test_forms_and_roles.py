"""The resident's form, staff's call form, volunteers' on-behalf form, the API, and who may see
raw items: named roles (resident, dispatcher, grid officer, officer of another grid, building head)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from lastmeter.accounts.auth import issue_token
from lastmeter.appeals.models import Appeal, AppealMedia
from lastmeter.intake.models import InboundItem
from lastmeter.lib.tests.test_images import GPS_IFD, photo_with_gps
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db
# A real picture carrying the phone's GPS position in its EXIF (lib/tests/test_images.py).
PNG = photo_with_gps("PNG")


def login(client, username):
    assert client.login(username=username, password="pass-" + username)


def form(**extra):
    data = {
        "nonce": "n-1",
        "text": "小区门口有人乱停车，挡住了消防通道",
        "address": "福州路1号",
        "lat": str(POINT_IN_A[0]),
        "lon": str(POINT_IN_A[1]),
        "name": "刘女士",
        "phone": "13912345678",
    }
    data.update(extra)
    return data


def test_it_files_a_residents_form_with_a_photo_and_returns_the_tracking_link(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo = io.BytesIO(PNG)
    photo.name = "p.png"
    r = client.post(reverse("intake:report"), {**form(), "photo": photo})
    appeal = Appeal.objects.get()
    # The tracking page opens with "please save this link" (?new=1).
    assert (
        r.status_code == 302
        and r["Location"] == reverse("appeals:track", args=[appeal.tracking_token]) + "?new=1"
    )
    assert appeal.channel == "web" and appeal.grid == world.grid_a
    media = AppealMedia.objects.get(appeal=appeal)
    assert media.content_type == "image/png"
    # Stored re-encoded: the location the phone wrote into the photo is gone.
    assert not Image.open(media.file.path).getexif().get_ifd(GPS_IFD)
    assert client.get(reverse("intake:report")).status_code == 200


def test_it_makes_one_appeal_when_the_form_is_submitted_twice(client, world):
    client.post(reverse("intake:report"), form())
    client.post(reverse("intake:report"), form())
    assert Appeal.objects.count() == 1 and InboundItem.objects.count() == 1


ENGLISH = {"accept-language": "en"}  # the messages are checked in English; zh-Hans is the default


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"text": "  "}, "describe"),
        ({"lat": "95"}, "latitude"),
        ({"lat": "nan"}, "finite"),
        ({"lon": ""}, "both"),
    ],
)
def test_it_refuses_bad_forms_with_a_message(client, world, extra, words):
    r = client.post(reverse("intake:report"), form(**extra), headers=ENGLISH)
    assert r.status_code == 400 and words in r.content.decode()
    assert Appeal.objects.count() == 0


def test_it_refuses_a_photo_that_is_not_an_image_or_too_big(client, world, settings):
    fake = io.BytesIO(b"MZ\x90\x00 not a png")
    fake.name = "x.png"
    r = client.post(reverse("intake:report"), {**form(nonce="n-2"), "photo": fake}, headers=ENGLISH)
    assert r.status_code == 400 and "JPEG or PNG" in r.content.decode()
    settings.LASTMETER_MAX_PHOTO_BYTES = 10
    big = io.BytesIO(PNG)
    big.name = "big.png"
    assert client.post(reverse("intake:report"), {**form(nonce="n-3"), "photo": big}).status_code == 400
    assert Appeal.objects.count() == 0


def test_it_lets_a_dispatcher_record_a_call_for_a_caller(client, world):
    login(client, "dispatcher")
    r = client.post(reverse("intake:call"), form(text="来电：九江路有人打架"))
    appeal = Appeal.objects.get()
    assert r.status_code == 302 and appeal.channel == "hotline" and appeal.filed_by == world.dispatcher


def test_it_lets_a_building_head_file_on_behalf_of_a_resident(client, world):
    login(client, "head_a")
    client.post(reverse("intake:on_behalf"), form(text="3楼住户反映楼道电动车充电有隐患"))
    appeal = Appeal.objects.get()
    assert appeal.channel == "volunteer" and appeal.filed_by == world.building_head
    assert appeal.reporter_name == "刘女士"


def test_it_refuses_the_call_form_to_a_building_head_and_residents(client, world):
    assert client.get(reverse("intake:call")).status_code == 302  # resident: to the login page
    login(client, "head_a")
    assert client.get(reverse("intake:call")).status_code == 404


def test_it_shows_raw_items_only_to_staff_and_the_appeals_officer(client, world):
    client.post(reverse("intake:report"), form())
    item = InboundItem.objects.get()
    url = reverse("intake:item", args=[item.pk])
    assert client.get(url).status_code == 302  # a resident without an account
    login(client, "officer_b")  # officer of another grid
    assert client.get(url).status_code == 404
    assert client.get(reverse("intake:inbox")).status_code == 404
    login(client, "head_a")  # a building head is not staff
    assert client.get(url).status_code == 404
    login(client, "officer_a")  # the grid's officer
    r = client.get(url)
    assert r.status_code == 200 and "消防通道" in r.content.decode()
    login(client, "dispatcher")
    assert client.get(reverse("intake:inbox")).status_code == 200


def test_it_hides_other_grids_appeals_from_the_locate_queue(client, world, new_appeal):
    unlocated = new_appeal(lat=None, lon=None, text="某小区门口有人乱摆摊")
    login(client, "officer_b")
    assert unlocated.reference not in client.get(reverse("intake:locate")).content.decode()
    login(client, "dispatcher")
    assert unlocated.reference in client.get(reverse("intake:locate")).content.decode()
    r = client.post(
        reverse("intake:set_location", args=[unlocated.pk]),
        {"lat": str(POINT_IN_A[0]), "lon": str(POINT_IN_A[1]), "address": "福州路"},
    )
    assert r.status_code == 302
    unlocated.refresh_from_db()
    assert unlocated.grid == world.grid_a and unlocated.assignee == world.grid_officer


def test_it_files_through_the_api_with_an_idempotency_key(client, world):
    token = issue_token(world.grid_member, "app")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    body = {"text": "福州路有车辆违停", "lat": POINT_IN_A[0], "lon": POINT_IN_A[1]}
    r = client.post("/api/v1/intake/messages", body, content_type="application/json", headers=headers)
    assert r.status_code == 201 and r.json()["decision"] == "new_appeal"
    again = client.post("/api/v1/intake/messages", body, content_type="application/json", headers=headers)
    assert again.status_code == 200 and Appeal.objects.count() == 1
    bad = client.post(
        "/api/v1/intake/messages",
        {"text": "x", "lat": 200, "lon": 0},
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 400
    assert client.post("/api/v1/intake/messages", body, content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    "extra, words",
    [({"lat": "95"}, "纬度 95.0 超出"), ({"lon": ""}, "请同时填写纬度和经度")],
)
def test_it_tells_residents_what_is_wrong_with_the_pin_in_chinese_by_default(client, world, extra, words):
    r = client.post(reverse("intake:report"), form(**extra))
    assert r.status_code == 400 and words in r.content.decode()
    assert Appeal.objects.count() == 0


def test_it_tells_staff_what_is_wrong_with_a_location_or_a_category(client, world, new_appeal):
    unlocated = new_appeal(lat=None, lon=None, text="某小区门口有人乱摆摊")
    category = unlocated.category
    login(client, "dispatcher")
    for data, words in [
        ({"lat": "", "lon": ""}, "give latitude and longitude"),
        ({"lat": "x", "lon": "1"}, "number"),
    ]:
        r = client.post(
            reverse("intake:set_location", args=[unlocated.pk]), data, headers=ENGLISH, follow=True
        )
        assert words in r.content.decode()
    r = client.post(
        reverse("intake:correct_category", args=[unlocated.pk]),
        {"category": "nope"},
        headers=ENGLISH,
        follow=True,
    )
    assert "unknown category" in r.content.decode()
    unlocated.refresh_from_db()
    assert unlocated.lat is None and unlocated.category == category
