"""Answers through intake: "退订"/STOP unsubscribes at once; other texts still go to triage."""

from __future__ import annotations

import pytest

from lastmeter.appeals.models import Appeal
from lastmeter.broadcasts import services
from lastmeter.broadcasts.models import SmsSubscriber
from lastmeter.broadcasts.tests.conftest import audience, draft
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.services import submit
from lastmeter.lib.fieldcrypt import phone_hash

pytestmark = pytest.mark.django_db


def sms_in(phone: str, text: str, key: str):
    msg = InboundMessage(channel="sms", text=text, phone=phone, sender_id=phone)
    item, _ = submit(msg, key=key, body=text.encode())
    return item


@pytest.mark.parametrize("word", ["退订", "TD", "stop", " STOP。"])
def test_it_unsubscribes_at_once_and_the_next_broadcast_skips_the_number(world, subscribers, word):
    item = sms_in(subscribers[0].phone, word, "sms-1")
    assert item.decision == "nothing" and "退订" in item.decision_reason
    assert not Appeal.objects.exists()
    subscribers[0].refresh_from_db()
    assert subscribers[0].opted_out_at is not None
    scope = world.scope(world.grid_officer)
    b = services.do_create_broadcast(scope, draft(audience(world, sms_residents=True, area_groups=False)))
    services.do_submit(scope, b.pk)
    assert b.runs.get().deliveries.filter(state="queued").count() == 2


def test_a_stop_from_an_unknown_number_or_a_problem_is_left_to_triage(world, subscribers):
    item = sms_in("13511112222", "退订", "sms-2")
    assert "退订" not in item.decision_reason
    item = sms_in(subscribers[1].phone, "福州路上有车辆违停，堵住了小区出口", "sms-3")
    assert item.decision == "new_appeal"
    subscribers[1].refresh_from_db()
    assert subscribers[1].opted_out_at is None


def test_a_resident_subscribes_by_sms_and_comes_back_after_stopping(world):
    item = sms_in("13512340000", "订阅福州路社区", "sms-j1")
    assert "订阅" in item.decision_reason and "135****0000" in item.decision_reason
    sub = SmsSubscriber.objects.get(phone_hash=phone_hash("13512340000"))
    assert sub.community == world.community_a and sub.opt_in_channel == "sms" and sub.opted_out_at is None
    sms_in("13512340000", "退订", "sms-j2")
    sub.refresh_from_db()
    assert sub.opted_out_at is not None
    sms_in("13512340000", "JOIN yunnan", "sms-j3")
    sub.refresh_from_db()
    assert sub.opted_out_at is None and sub.community == world.community_b
    item = sms_in("13512349999", "订阅火星社区", "sms-j4")
    assert not SmsSubscriber.objects.filter(phone_hash=phone_hash("13512349999")).exists()


def test_the_sms_gateway_posts_replies_with_its_token(world, subscribers, settings, client):
    url = "/broadcasts/sms/replies/"
    body = {"from": subscribers[2].phone, "text": "退订", "id": "gw-1"}
    settings.LASTMETER_SMS_HTTP_TOKEN = ""
    assert client.post(url, body, content_type="application/json").status_code == 404
    settings.LASTMETER_SMS_HTTP_TOKEN = "gateway-secret"
    wrong = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    subscribers[2].refresh_from_db()
    assert subscribers[2].opted_out_at is None
    auth = {"HTTP_AUTHORIZATION": "Bearer gateway-secret"}
    r = client.post(url, body, content_type="application/json", **auth)
    assert r.status_code == 200 and r.json() == {"ok": True, "decision": "nothing", "duplicate": False}
    subscribers[2].refresh_from_db()
    assert subscribers[2].opted_out_at is not None
    again = client.post(url, body, content_type="application/json", **auth)
    assert again.json()["duplicate"] is True
    assert client.post(url, {"text": "x"}, content_type="application/json", **auth).status_code == 400
    assert client.post(url, b"not json", content_type="application/json", **auth).status_code == 400
