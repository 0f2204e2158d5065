"""Telegram webhook: realistic Update payloads (Bot API format), good and bad."""

from __future__ import annotations

import json
import time

import pytest

from lastmeter.appeals.models import Appeal, AppealEvent, OutboxMessage
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.intake.channels.telegram.adapter import utf16_slice
from lastmeter.intake.models import InboundItem
from lastmeter.intake.tests.fakes import then_the_worker

URL = "/intake/hooks/telegram/"
SECRET = {"X-Telegram-Bot-Api-Secret-Token": "tg-secret-123"}
BOT = "@lastmeter_police_bot"


def update(update_id: int, text: str, *, message_id: int = 4521, reply_to: dict | None = None, sender=None):
    entities = []
    if BOT in text:
        entities.append({"offset": text.index(BOT), "length": len(BOT), "type": "mention"})
    message = {
        "message_id": message_id,
        "from": sender
        or {
            "id": 5012345678,
            "is_bot": False,
            "first_name": "张",
            "last_name": "三",
            "username": "zhangsan_sh",
        },
        "chat": {"id": -1001987654321, "title": "福州路小区邻里群", "type": "supergroup"},
        "date": int(time.time()),
        "text": text,
    }
    if entities:
        message["entities"] = entities
    if reply_to:
        message["reply_to_message"] = reply_to
    return {"update_id": update_id, "message": message}


def send(client, payload, headers=SECRET, content_type="application/json"):
    """The webhook request alone: it stores the item and queues its processing."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    # generic(): the bytes go out as they are (post() would re-encode them to the charset).
    return client.generic("POST", URL, data=body, content_type=content_type, headers=headers)


def post(client, payload, headers=SECRET, content_type="application/json"):
    """The webhook request, then the worker's turn."""
    return then_the_worker(send(client, payload, headers, content_type))


pytestmark = pytest.mark.django_db


def test_it_turns_a_group_message_mentioning_the_bot_into_an_appeal(client, world, intake_conf):
    r = post(client, update(873650001, f"{BOT} 福州路有车辆违停，堵住了小区出口，麻烦处理一下"))
    assert r.status_code == 200, r.content
    item = InboundItem.objects.get()
    assert item.decision == "new_appeal" and item.status == "done"
    appeal = item.appeal
    assert appeal.channel == "telegram"
    assert appeal.reporter_name == "张 三"
    assert BOT not in appeal.text and "违停" in appeal.text
    assert appeal.lat is not None  # 福州路 found in the shipped OSM extract
    assert appeal.channel_ref["chat_id"] == -1001987654321
    assert item.decisions.count() == 1 and item.decisions.get().reason


def test_it_makes_one_appeal_when_telegram_delivers_the_same_update_twice(client, world, intake_conf):
    payload = update(873650002, f"{BOT} 九江路上有人乱停电动车挡住消防通道")
    assert post(client, payload).status_code == 200
    r = post(client, payload)
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert Appeal.objects.count() == 1 and InboundItem.objects.count() == 1


def test_it_refuses_a_wrong_or_missing_secret_and_stores_nothing(client, world, intake_conf):
    assert post(client, update(1, "违停"), headers={}).status_code == 401
    r = post(client, update(2, "违停"), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
    assert r.status_code == 403
    assert InboundItem.objects.count() == 0


def test_it_keeps_authentic_malformed_json_as_rejected(client, world, intake_conf):
    r = post(client, b'{"update_id": 5, "message": {', headers=SECRET)
    assert r.status_code == 400 and "malformed JSON" in r.json()["detail"]
    item = InboundItem.objects.get()
    assert item.status == "rejected" and bytes(item.body).startswith(b'{"update_id"')


def test_it_answers_404_when_the_channel_is_not_configured(client, world, settings):
    settings.LASTMETER_TELEGRAM_SECRET_TOKEN = ""
    assert post(client, update(1, "x")).status_code == 404


def test_it_turns_a_reply_quoting_an_appeal_message_into_an_update(client, world, intake_conf):
    post(client, update(10, f"{BOT} 汉口路路灯坏了好几天，晚上很黑很危险", message_id=100))
    appeal = Appeal.objects.get()
    quoted = {"message_id": 100, "from": {"id": 1, "is_bot": False, "first_name": "李"}, "text": "…"}
    r = post(
        client,
        update(11, "今晚还是不亮", message_id=101, reply_to=quoted, sender={"id": 77, "first_name": "李"}),
    )
    assert r.status_code == 200
    item = InboundItem.objects.get(message_id="101")
    assert item.decision == "update" and item.appeal_id == appeal.pk
    event = AppealEvent.objects.get(appeal=appeal, kind="update")
    assert event.note == "今晚还是不亮" and event.data["inbound_item"] == item.pk
    assert Appeal.objects.count() == 1


def test_it_decides_nothing_for_thanks_and_chatter(client, world, intake_conf):
    post(client, update(20, "谢谢民警同志，辛苦了！", message_id=200))
    post(client, update(21, "大家早上好", message_id=201))
    assert Appeal.objects.count() == 0
    assert set(InboundItem.objects.values_list("decision", flat=True)) == {"nothing"}


def test_it_replies_in_the_chat_through_send_message(client, world, intake_conf, fake_api):
    fake_api.route("/bot123456:ABC-DEF/sendMessage", answer={"ok": True, "result": {"message_id": 9}})
    post(client, update(30, f"{BOT} 河南中路有车辆违停，堵住出口", message_id=300))
    assert OutboxMessage.objects.filter(key__startswith="intake:").count() == 1
    assert deliver_due()["sent"] >= 1
    (call,) = fake_api.calls("/bot123456:ABC-DEF/sendMessage")
    assert call.body["chat_id"] == -1001987654321
    assert call.body["reply_parameters"]["message_id"] == 300
    assert Appeal.objects.get().reference in call.body["text"]


def test_it_retries_a_reply_the_platform_refused(client, world, intake_conf, fake_api):
    fake_api.route("/bot123456:ABC-DEF/sendMessage", 429, {"ok": False, "description": "Too Many Requests"})
    post(client, update(31, f"{BOT} 西藏中路噪音扰民到半夜", message_id=301))
    assert deliver_due()["retried"] == 1
    message = OutboxMessage.objects.get(transport="channel:telegram")
    assert message.state == "pending" and "429" in message.last_error


def test_it_decodes_gbk_only_when_declared_and_otherwise_asks_for_utf8(client, world, intake_conf):
    payload = json.dumps(update(40, f"{BOT} 人民路有车辆违停堵路"), ensure_ascii=False).encode("gbk")
    r = post(client, payload, content_type="application/json; charset=GBK")
    assert r.status_code == 200 and Appeal.objects.count() == 1
    r = post(client, json.dumps(update(41, "违停"), ensure_ascii=False).encode("gbk"))
    assert r.status_code == 400 and "UTF-8" in r.json()["detail"]


def test_it_refuses_empty_text_and_oversized_bodies(client, world, intake_conf):
    r = post(client, update(50, "   "))
    assert r.status_code == 400 and "empty" in r.json()["detail"]
    assert InboundItem.objects.get().status == "rejected"
    huge = update(51, "违停" * 200_000)
    assert post(client, huge).status_code == 413


def test_it_ignores_updates_that_are_not_new_messages(client, world, intake_conf):
    r = post(client, {"update_id": 60, "edited_message": update(0, "x")["message"]})
    assert r.status_code == 200
    assert InboundItem.objects.get().decision == "ignored"


def test_it_counts_entity_offsets_in_utf16_units():
    text = "😀 @lastmeter_police_bot 违停"
    assert utf16_slice(text, 3, 21) == "@lastmeter_police_bot"
