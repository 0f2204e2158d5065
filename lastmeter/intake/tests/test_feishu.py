"""Feishu/Lark event subscription v2.0: encrypted, signed deliveries of im.message.receive_v1."""

from __future__ import annotations

import json
import os
import time

import pytest

from lastmeter.appeals.models import Appeal, AppealEvent
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.intake.channels.feishu.adapter import decrypt, encrypt, lark_signature
from lastmeter.intake.models import InboundItem
from lastmeter.intake.tests.fakes import then_the_worker

URL = "/intake/hooks/feishu/"
KEY = "test-encrypt-key-xyz"
TOKEN = "verify-token-abc"
pytestmark = pytest.mark.django_db


def event(event_id: str, text: str, *, message_id: str = "om_dc13264520392913993dd051dba21dcf", parent=""):
    content = {"text": f"@_user_1 {text}"}
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "im.message.receive_v1",
            "create_time": str(int(time.time() * 1000)),
            "token": TOKEN,
            "app_id": "cli_test",
            "tenant_key": "2ca1d211f64f6438",
        },
        "event": {
            "sender": {
                "sender_id": {
                    "union_id": "on_8ed6aa67",
                    "user_id": "e33ggbyz",
                    "open_id": "ou_84aad35d084aa4",
                },
                "sender_type": "user",
                "tenant_key": "2ca1d211f64f6438",
            },
            "message": {
                "message_id": message_id,
                "root_id": parent,
                "parent_id": parent,
                "create_time": str(int(time.time() * 1000)),
                "chat_id": "oc_5ad11d72b830411d72b836c20",
                "chat_type": "group",
                "message_type": "text",
                "content": json.dumps(content, ensure_ascii=False),
                "mentions": [
                    {
                        "key": "@_user_1",
                        "id": {"union_id": "on_bot", "user_id": "", "open_id": "ou_bot"},
                        "name": "警务助手",
                        "tenant_key": "2ca1d211f64f6438",
                    }
                ],
            },
        },
    }


def post(client, payload, *, signed=True, key=KEY, ts=None, tamper=False):
    body = json.dumps({"encrypt": encrypt(json.dumps(payload).encode(), key, os.urandom(16))}).encode()
    headers = {}
    if signed:
        ts = str(ts if ts is not None else int(time.time()))
        nonce = os.urandom(6).hex()  # Feishu sends a fresh nonce with every request
        headers = {
            "X-Lark-Request-Timestamp": ts,
            "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": lark_signature(ts, nonce, KEY, body),
        }
    if tamper:
        body = body.replace(b'"}', b'" }')
    return then_the_worker(
        client.generic("POST", URL, data=body, content_type="application/json", headers=headers)
    )


def test_it_round_trips_the_aes_envelope():
    assert decrypt(encrypt(b'{"a": 1}', KEY, b"\x01" * 16), KEY) == b'{"a": 1}'


def test_it_answers_the_url_verification_challenge(client, world, intake_conf):
    r = post(
        client, {"challenge": "ajls384kdjx98XX", "token": TOKEN, "type": "url_verification"}, signed=False
    )
    assert r.status_code == 200 and r.json() == {"challenge": "ajls384kdjx98XX"}
    r = post(client, {"challenge": "x", "token": "wrong", "type": "url_verification"}, signed=False)
    assert r.status_code == 403
    assert InboundItem.objects.count() == 0


def test_it_creates_an_appeal_from_a_signed_encrypted_message(client, world, intake_conf):
    r = post(client, event("5e3702a84e847582be8db7fb73283c02", "成都北路有车辆违停堵住路口"))
    assert r.status_code == 200, r.content
    item = InboundItem.objects.get()
    assert item.decision == "new_appeal"
    msg = item.normalised
    assert msg["mentions_bot"] is True and "@_user_1" not in msg["text"]
    assert item.appeal.channel_ref["message_id"] == "om_dc13264520392913993dd051dba21dcf"


def test_it_refuses_tampered_unsigned_and_stale_events(client, world, intake_conf):
    payload = event("ev-2", "违停")
    assert post(client, payload, tamper=True).status_code == 403
    assert post(client, payload, signed=False).status_code == 401
    r = post(client, payload, ts=int(time.time()) - 7200)
    assert r.status_code == 403 and "replay" in r.json()["detail"]
    assert InboundItem.objects.count() == 0


def test_it_makes_one_appeal_when_the_event_is_redelivered(client, world, intake_conf):
    payload = event("ev-3", "河南南路有车违停")
    assert post(client, payload).status_code == 200
    assert post(client, payload).json()["duplicate"] is True
    assert Appeal.objects.count() == 1


def test_it_keeps_an_authentic_event_it_cannot_decrypt(client, world, intake_conf):
    body = json.dumps({"encrypt": "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGF0IGFsbCEhISE="}).encode()
    ts, nonce = str(int(time.time())), "1"
    headers = {
        "X-Lark-Request-Timestamp": ts,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": lark_signature(ts, nonce, KEY, body),
    }
    r = client.generic("POST", URL, data=body, content_type="application/json", headers=headers)
    assert r.status_code == 400 and "decrypt" in r.json()["detail"]
    assert InboundItem.objects.get().status == "rejected"


def test_it_turns_a_reply_to_an_appeal_message_into_an_update(client, world, intake_conf):
    post(client, event("ev-4", "淮海中路有电动车在楼道充电，很危险", message_id="om_first"))
    appeal = Appeal.objects.get()
    post(client, event("ev-5", "补充：是3号楼二单元", message_id="om_second", parent="om_first"))
    assert InboundItem.objects.get(message_id="om_second").decision == "update"
    assert AppealEvent.objects.filter(appeal=appeal, kind="update").exists()


def test_it_replies_through_the_reply_api_with_a_tenant_token(client, world, intake_conf, fake_api):
    fake_api.route(
        "/open-apis/auth/v3/tenant_access_token/internal",
        answer={"code": 0, "msg": "ok", "tenant_access_token": "t-abc", "expire": 7200},
    )
    fake_api.route("/open-apis/im/v1/messages/om_r1/reply", answer={"code": 0, "msg": "success", "data": {}})
    post(client, event("ev-6", "金陵中路路口有车辆违停", message_id="om_r1"))
    deliver_due()
    (call,) = fake_api.calls("/open-apis/im/v1/messages/om_r1/reply")
    assert call.headers["Authorization"] == "Bearer t-abc"
    assert call.body["msg_type"] == "text" and len(call.body["uuid"]) <= 50
    assert Appeal.objects.get().reference in json.loads(call.body["content"])["text"]


def test_it_ignores_other_event_types(client, world, intake_conf):
    payload = event("ev-7", "x")
    payload["header"]["event_type"] = "im.chat.member.user.added_v1"
    assert post(client, payload).status_code == 200
    assert InboundItem.objects.get().decision == "ignored"
