"""WeCom callbacks: WeCom's own published sample (known answer) and group-robot messages."""

from __future__ import annotations

import secrets
import time
import urllib.parse

import pytest
import time_machine

from lastmeter.appeals.models import Appeal
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.intake.channels.wecom.adapter import decrypt, encrypt, signature
from lastmeter.intake.models import InboundItem
from lastmeter.intake.tests.conftest import WECOM_CORP, WECOM_KEY
from lastmeter.intake.tests.fakes import then_the_worker

URL = "/intake/hooks/wecom/"
TOKEN = "QDG6eK"
pytestmark = pytest.mark.django_db

# From WeCom's published callback sample (token QDG6eK, corp wx5823bf96d3bd56c7).
SAMPLE_ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
SAMPLE_POST_ENCRYPT = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="


def test_it_verifies_and_decrypts_wecoms_published_sample():
    assert (
        signature(TOKEN, "1409659589", "263014780", SAMPLE_ECHO) == "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
    )
    _, receive_id = decrypt(SAMPLE_ECHO, WECOM_KEY)
    assert receive_id == WECOM_CORP
    assert signature(TOKEN, "1409659813", "1372623149", SAMPLE_POST_ENCRYPT) == (
        "477715d11cdb4164915debcba66cb864d751f3e6"
    )
    message, _ = decrypt(SAMPLE_POST_ENCRYPT, WECOM_KEY)
    assert b"<Content><![CDATA[hello]]></Content>" in message


def test_it_answers_the_url_verification_get(client, world, intake_conf):
    query = urllib.parse.urlencode(
        {
            "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
            "timestamp": "1409659589",
            "nonce": "263014780",
            "echostr": SAMPLE_ECHO,
        }
    )
    with time_machine.travel(1409659600, tick=False):
        r = client.get(f"{URL}?{query}")
    assert r.status_code == 200 and r.content  # the decrypted echostr
    with time_machine.travel(1409659600, tick=False):
        assert client.get(f"{URL}?{query.replace('5c45ff', '000000')}").status_code == 403


def test_it_takes_the_published_sample_post_and_decides_nothing_for_hello(client, world, intake_conf):
    body = (
        f"<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><Encrypt><![CDATA[{SAMPLE_POST_ENCRYPT}]]>"
        "</Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
    )
    q = "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149"
    with time_machine.travel(1409659820, tick=False):
        r = then_the_worker(client.generic("POST", f"{URL}?{q}", data=body.encode(), content_type="text/xml"))
    assert r.status_code == 200, r.content
    item = InboundItem.objects.get()
    assert item.dedupe_key == "wecom:msg:4561255354251345929"
    assert item.sender_id == "mycreate" and item.decision == "nothing"


def robot_message(msg_id: str, text: str, base: str) -> str:
    return f"""<xml>
<WebhookUrl><![CDATA[{base}/cgi-bin/webhook/send?key=robot-key-1]]></WebhookUrl>
<From><UserId>zhangsan</UserId><Name><![CDATA[张三]]></Name><Alias><![CDATA[jackzhang]]></Alias></From>
<MsgType>text</MsgType>
<Text><Content><![CDATA[@社区民警 {text}]]></Content></Text>
<MsgId>{msg_id}</MsgId>
<ChatId><![CDATA[wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw]]></ChatId>
<ChatType>group</ChatType>
<CreateTime>{int(time.time())}</CreateTime>
</xml>"""


def post_robot(client, msg_id, text, base, *, sig=None, ts=None):
    ts = str(ts if ts is not None else int(time.time()))
    enc = encrypt(robot_message(msg_id, text, base).encode(), WECOM_KEY, WECOM_CORP)
    body = f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>".encode()
    nonce = str(secrets.randbelow(10**10))  # WeCom sends a fresh nonce with every request
    q = urllib.parse.urlencode(
        {"msg_signature": sig or signature(TOKEN, ts, nonce, enc), "timestamp": ts, "nonce": nonce}
    )
    return then_the_worker(client.generic("POST", f"{URL}?{q}", data=body, content_type="text/xml"))


def test_it_creates_an_appeal_from_a_group_robot_message_and_replies(client, world, intake_conf, fake_api):
    fake_api.route("/cgi-bin/webhook/send", answer={"errcode": 0, "errmsg": "ok"})
    r = post_robot(client, "wc-1", "自忠路有人违停，消防通道被堵了", fake_api.base)
    assert r.status_code == 200, r.content
    appeal = Appeal.objects.get()
    assert appeal.reporter_name == "张三" and "@社区民警" not in appeal.text
    deliver_due()
    (call,) = fake_api.calls("/cgi-bin/webhook/send")
    assert call.body["text"]["mentioned_list"] == ["zhangsan"]
    assert appeal.reference in call.body["text"]["content"]


def test_it_refuses_bad_signatures_stale_timestamps_and_malformed_xml(client, world, intake_conf, fake_api):
    assert post_robot(client, "wc-2", "违停", fake_api.base, sig="0" * 40).status_code == 403
    assert post_robot(client, "wc-3", "违停", fake_api.base, ts=int(time.time()) - 7200).status_code == 403
    r = client.generic(
        "POST", f"{URL}?msg_signature=a&timestamp=1&nonce=1", data=b"<xml><Encrypt>", content_type="text/xml"
    )
    assert r.status_code == 400 and "XML" in r.json()["detail"]
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    assert (
        client.generic(
            "POST", f"{URL}?msg_signature=a&timestamp=1&nonce=1", data=evil, content_type="text/xml"
        ).status_code
        == 400
    )
    assert InboundItem.objects.count() == 0


def test_it_makes_one_appeal_for_a_redelivered_msg_id(client, world, intake_conf, fake_api):
    assert post_robot(client, "wc-4", "长乐路有车违停", fake_api.base).status_code == 200
    assert post_robot(client, "wc-4", "长乐路有车违停", fake_api.base).json()["duplicate"] is True
    assert Appeal.objects.count() == 1
