"""The resident's side of intake: the form's map and its jurisdiction check, and the chat
replies that carry the right tracking link."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from lastmeter.appeals.models import Appeal, OutboxMessage
from lastmeter.appeals.notify.reporter import follow_link, tracking_link
from lastmeter.grids.models import Grid
from lastmeter.intake import services
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.models import InboundItem
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db
ENGLISH = {"accept-language": "en"}
OUTSIDE = (31.2600, 121.5200)  # Lujiazui, across the river: no grid of the test world


def form(lat, lon, **extra):
    data = {
        "nonce": f"n-{lat}-{lon}",
        "text": "路口有车辆违停",
        "lat": str(lat),
        "lon": str(lon),
        "phone": "13912345678",
    }
    data.update(extra)
    return data


def test_it_refuses_a_pin_outside_every_grid_with_a_clear_message(client, world):
    r = client.post(reverse("intake:report"), form(*OUTSIDE), headers=ENGLISH)
    page = r.content.decode()
    assert r.status_code == 400 and "outside our jurisdiction" in page and "31.26000" in page
    assert Appeal.objects.count() == 0 and InboundItem.objects.count() == 0
    # The resident's other input is kept for the next try.
    assert "路口有车辆违停" in page
    r = client.post(reverse("intake:report"), form(*POINT_IN_A))
    assert r.status_code == 302 and Appeal.objects.get().grid == world.grid_a


def test_it_accepts_any_pin_while_no_grid_is_adopted(client, db):
    assert not Grid.objects.exists()
    r = client.post(reverse("intake:report"), form(*OUTSIDE))
    assert r.status_code == 302 and Appeal.objects.count() == 1


def test_it_accepts_a_report_without_a_pin(client, world):
    r = client.post(reverse("intake:report"), form("", "", address="福州路1号"))
    assert r.status_code == 302 and Appeal.objects.count() == 1


def test_it_draws_the_map_from_our_own_grids_and_roads_without_staff_names(client, world):
    page = client.get(reverse("intake:report")).content.decode()
    assert 'id="report-map"' in page and "vendor/leaflet/leaflet.js" in page
    grids = json.loads(page.split('id="report-grids" type="application/json">')[1].split("</script>")[0])
    assert [f["properties"] for f in grids["features"]] == [{"name": "A网格"}, {"name": "B网格"}]
    assert world.grid_officer.name not in json.dumps(grids, ensure_ascii=False)
    assert "//unpkg" not in page and "cdn" not in page.lower()
    roads = client.get(reverse("intake:report_roads"))
    assert roads.status_code == 200 and roads.json()["type"] == "FeatureCollection"
    assert "public" in roads["Cache-Control"]


def test_it_puts_labels_on_their_own_lines(client, world):
    page = client.get(reverse("intake:report")).content.decode()
    # Each field has its own <label for=…> (no input inside the label's text run).
    for field in ("f-text", "f-address", "f-category", "f-name", "f-phone", "f-photo"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert "intake/report.css" in page


def chat(text: str, *, sender: str, message_id: str) -> InboundMessage:
    return InboundMessage(
        channel="telegram",
        text=text,
        sender_id=sender,
        sender_name=sender,
        chat_id="-100123",
        message_id=message_id,
        is_group=True,
        mentions_bot=True,
        reply_ref={"chat_id": "-100123", "message_id": message_id},
    )


def test_it_answers_in_the_chat_with_the_reporters_link_and_a_follow_link_for_a_duplicate(world):
    first = services.submit(
        chat("福州路小区出口有车辆违停，堵住了出口", sender="u1", message_id="1"), key="1", body=b"1"
    )[0]
    appeal = first.appeal
    assert first.decision == "new_appeal"
    ack = OutboxMessage.objects.get(key__startswith=f"intake:{first.pk}:ack")
    assert tracking_link(appeal) in ack.body and ack.transport == "channel:telegram"
    second = services.submit(
        chat("福州路小区出口有车辆违停，堵住出口了", sender="u2", message_id="2"), key="2", body=b"2"
    )[0]
    assert second.decision == "duplicate" and second.appeal == appeal
    reply = OutboxMessage.objects.get(key__startswith=f"intake:{second.pk}:duplicate")
    assert follow_link(second.subscription) in reply.body
    assert appeal.tracking_token not in reply.body  # the first reporter's link is theirs


def test_it_does_not_post_the_link_of_an_appeal_into_another_chat(world, new_appeal):
    appeal = new_appeal()  # filed on the web: its page shows the resident's text
    msg = chat(f"{appeal.reference} 还没有人来处理", sender="u5", message_id="9")
    item = services.submit(msg, key="9", body=b"9")[0]
    assert item.decision == "update"
    reply = OutboxMessage.objects.get(key__startswith=f"intake:{item.pk}:update")
    assert appeal.reference in reply.body and appeal.tracking_token not in reply.body
    assert json.dumps(reply.recipient) == json.dumps({"chat_id": "-100123", "message_id": "9"})
