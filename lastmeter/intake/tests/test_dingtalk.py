"""DingTalk outgoing robot: signed callbacks (timestamp + sign headers), replies via sessionWebhook."""

from __future__ import annotations

import json
import time

import pytest

from lastmeter.appeals.models import Appeal, AppealEvent
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.intake.channels.dingtalk.adapter import dingtalk_sign
from lastmeter.intake.models import InboundItem
from lastmeter.intake.tests.fakes import then_the_worker

URL = "/intake/hooks/dingtalk/"
SECRET = "SECdingtalk-app-secret"
pytestmark = pytest.mark.django_db


def callback(msg_id: str, text: str, base: str, *, replied: dict | None = None, expires_in_s: int = 5400):
    now_ms = int(time.time() * 1000)
    text_obj: dict = {"content": text}
    if replied:
        text_obj.update(isReplyMsg=True, repliedMsg=replied)
    return {
        "conversationId": "cidp1Xh8y2T4Kq9nQeR0w==",
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$bot"}],
        "chatbotCorpId": "ding9f50b15bccd16741",
        "chatbotUserId": "$:LWCP_v1:$bot",
        "msgId": msg_id,
        "senderNick": "王阿姨",
        "isAdmin": False,
        "senderStaffId": "manager4231",
        "sessionWebhookExpiredTime": now_ms + expires_in_s * 1000,
        "createAt": now_ms,
        "senderCorpId": "ding9f50b15bccd16741",
        "conversationType": "2",
        "senderId": "$:LWCP_v1:$wangayi",
        "conversationTitle": "云南中路社区警民群",
        "isInAtList": True,
        "sessionWebhook": f"{base}/robot/sendBySession?session=abc123",
        "text": text_obj,
        "robotCode": "ding-robot",
        "msgtype": "text",
    }


def post(client, payload, *, ts_ms: int | None = None, secret: str = SECRET, sign: str | None = None):
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    headers = {"timestamp": ts, "sign": sign if sign is not None else dingtalk_sign(ts, secret)}
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return then_the_worker(
        client.generic("POST", URL, data=body, content_type="application/json", headers=headers)
    )


def test_it_signs_like_dingtalks_published_algorithm():
    # HmacSHA256(key=secret, "timestamp\nsecret"), Base64: a fixed vector computed independently.
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(
        hmac.new(b"s3cr3t", b"1700000000000\ns3cr3t", hashlib.sha256).digest()
    ).decode()
    assert dingtalk_sign("1700000000000", "s3cr3t") == expected


def test_it_creates_an_appeal_from_a_signed_callback(client, world, intake_conf, fake_api):
    r = post(client, callback("msgA1", " 延安东路上有人乱停车堵住小区大门，请民警处理", fake_api.base))
    assert r.status_code == 200, r.content
    item = InboundItem.objects.get()
    assert item.decision == "new_appeal"
    assert item.appeal.reporter_name == "王阿姨"
    assert item.appeal.channel == "dingtalk"


def test_it_refuses_wrong_signatures_and_stale_timestamps(client, world, intake_conf, fake_api):
    payload = callback("msgA2", "违停", fake_api.base)
    assert post(client, payload, secret="not-the-secret").status_code == 403
    stale = int(time.time() * 1000) - 2 * 3600 * 1000
    r = post(client, payload, ts_ms=stale)
    assert r.status_code == 403 and "replay" in r.json()["detail"]
    assert post(client, payload, sign="").status_code == 401
    assert InboundItem.objects.count() == 0


def test_it_makes_one_appeal_for_a_redelivered_msg_id(client, world, intake_conf, fake_api):
    payload = callback("msgA3", "重庆南路有车违停占了盲道", fake_api.base)
    assert post(client, payload).status_code == 200
    assert post(client, payload).json()["duplicate"] is True
    assert Appeal.objects.count() == 1


def test_it_understands_a_quoted_reply_as_an_update(client, world, intake_conf, fake_api):
    post(client, callback("msgQ1", "黄河路的井盖坏了，有人差点摔倒", fake_api.base))
    appeal = Appeal.objects.get()
    replied = {"msgType": "text", "msgId": "msgQ1", "senderId": "x", "content": {"text": "黄河路的井盖坏了"}}
    post(client, callback("msgQ2", "现在还没人来修", fake_api.base, replied=replied))
    assert InboundItem.objects.get(message_id="msgQ2").decision == "update"
    assert AppealEvent.objects.filter(appeal=appeal, kind="update").count() == 1


def test_it_replies_through_the_session_webhook(client, world, intake_conf, fake_api):
    fake_api.route("/robot/sendBySession", answer={"errcode": 0, "errmsg": "ok"})
    post(client, callback("msgR1", "武胜路有车违停好几天了", fake_api.base))
    deliver_due()
    (call,) = fake_api.calls("/robot/sendBySession")
    assert call.body["msgtype"] == "text" and call.body["at"]["atUserIds"] == ["manager4231"]
    assert Appeal.objects.get().reference in call.body["text"]["content"]


def test_it_falls_back_to_the_robot_api_when_the_session_webhook_expired(
    client, world, intake_conf, fake_api
):
    fake_api.route("/v1.0/oauth2/accessToken", answer={"accessToken": "tok-1", "expireIn": 7200})
    fake_api.route("/v1.0/robot/groupMessages/send", answer={"processQueryKey": "pq-1"})
    post(client, callback("msgR2", "太仓路有人违停", fake_api.base, expires_in_s=-10))
    deliver_due()
    (call,) = fake_api.calls("/v1.0/robot/groupMessages/send")
    assert call.headers["x-acs-dingtalk-access-token"] == "tok-1"
    assert call.body["openConversationId"] == "cidp1Xh8y2T4Kq9nQeR0w=="
    assert not fake_api.calls("/robot/sendBySession")


def test_it_refuses_a_session_webhook_on_a_foreign_host(client, world, intake_conf, fake_api):
    payload = callback("msgR3", "普安路违停", fake_api.base)
    payload["sessionWebhook"] = "http://169.254.169.254/latest/meta-data"
    post(client, payload)
    assert deliver_due()["retried"] >= 1
    assert not fake_api.seen
