"""Chat platforms as they talk to lastmeter: signed webhook deliveries in each platform's format.

Used by the load benchmark and the fault test, which post to a running cluster over HTTP. Each
builder makes what the platform itself sends — Telegram's Update with the secret header, DingTalk's
outgoing-robot callback signed with the app secret, Feishu's encrypted and signed
im.message.receive_v1 event, WeCom's encrypted XML with its SHA-1 signature — with the signing and
encryption functions of the adapters that check them (``lastmeter.intake.channels``), and the
secrets of ``PLATFORM_ENV``, which the cluster is started with.

No database and no Django settings are read here: a load generator can build deliveries fast.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass

from lastmeter.intake.channels.dingtalk.adapter import dingtalk_sign
from lastmeter.intake.channels.feishu.adapter import encrypt as feishu_encrypt
from lastmeter.intake.channels.feishu.adapter import lark_signature
from lastmeter.intake.channels.wecom.adapter import encrypt as wecom_encrypt
from lastmeter.intake.channels.wecom.adapter import signature as wecom_signature

PLATFORMS = ("telegram", "dingtalk", "feishu", "wecom")
TELEGRAM_SECRET = "tg-load-secret-6f1c"
TELEGRAM_BOT = "lastmeter_police_bot"
DINGTALK_SECRET = "SEC-dingtalk-load-secret"
FEISHU_KEY = "feishu-load-encrypt-key"
FEISHU_TOKEN = "feishu-load-verification-token"
WECOM_TOKEN = "wecomLoadToken"
WECOM_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters, WeCom's sample key
WECOM_CORP = "wx5823bf96d3bd56c7"


def platform_env(api_base: str) -> dict[str, str]:
    """The LASTMETER_* settings that switch on every chat channel with the secrets above and
    point each platform's send API at ``api_base`` (a loopback fake, ``testing.platforms``)."""
    return {
        "LASTMETER_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "LASTMETER_TELEGRAM_BOT_TOKEN": "123456:LOAD-TOKEN",
        "LASTMETER_TELEGRAM_BOT_USERNAME": TELEGRAM_BOT,
        "LASTMETER_TELEGRAM_API_BASE": api_base,
        "LASTMETER_DINGTALK_APP_SECRET": DINGTALK_SECRET,
        "LASTMETER_DINGTALK_APP_KEY": "ding-load-app",
        "LASTMETER_DINGTALK_ROBOT_CODE": "ding-load-robot",
        "LASTMETER_DINGTALK_OAPI_BASE": api_base,
        "LASTMETER_DINGTALK_API_BASE": api_base,
        "LASTMETER_FEISHU_ENCRYPT_KEY": FEISHU_KEY,
        "LASTMETER_FEISHU_VERIFICATION_TOKEN": FEISHU_TOKEN,
        "LASTMETER_FEISHU_APP_ID": "cli_load",
        "LASTMETER_FEISHU_APP_SECRET": "feishu-load-app-secret",
        "LASTMETER_FEISHU_API_BASE": api_base,
        "LASTMETER_WECOM_TOKEN": WECOM_TOKEN,
        "LASTMETER_WECOM_ENCODING_AES_KEY": WECOM_AES_KEY,
        "LASTMETER_WECOM_RECEIVE_ID": WECOM_CORP,
        "LASTMETER_WECOM_CORP_SECRET": "wecom-load-corp-secret",
        "LASTMETER_WECOM_AGENT_ID": "1000002",
        "LASTMETER_WECOM_API_BASE": api_base,
    }


@dataclass(frozen=True)
class Delivery:
    """One webhook request as the platform sends it. ``dedupe_key`` is the InboundItem's key that
    lastmeter derives from it (one row per key); ``message_id`` is the platform's id of the message,
    which a later reply quotes."""

    platform: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes
    message_id: str
    dedupe_key: str


@dataclass(frozen=True)
class Resident:
    """Someone in a neighbourhood group chat."""

    user_id: str
    name: str
    chat_id: str
    chat_title: str = "福州路小区邻里群"


class _Millis:
    """Strictly increasing millisecond timestamps. DingTalk's signature covers only the timestamp,
    so lastmeter refuses a second body under the same timestamp (a replay); the real platform never
    sends two callbacks signed for the same millisecond, nor may we."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, int(time.time() * 1000))
            return self._last


_millis = _Millis()


def unique_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(8)}"


def telegram(
    resident: Resident, text: str, *, update_id: int, message_id: int, reply_to: str = "", api_base: str = ""
) -> Delivery:
    mention = f"@{TELEGRAM_BOT}"
    body_text = f"{mention} {text}"
    message: dict = {
        "message_id": message_id,
        "from": {"id": int(resident.user_id), "is_bot": False, "first_name": resident.name},
        "chat": {"id": int(resident.chat_id), "title": resident.chat_title, "type": "supergroup"},
        "date": int(time.time()),
        "text": body_text,
        "entities": [{"offset": 0, "length": len(mention), "type": "mention"}],
    }
    if reply_to:
        message["reply_to_message"] = {
            "message_id": int(reply_to),
            "from": {"id": int(resident.user_id), "is_bot": False, "first_name": resident.name},
            "chat": message["chat"],
            "date": int(time.time()) - 60,
            "text": "…",
        }
    body = json.dumps({"update_id": update_id, "message": message}, ensure_ascii=False).encode()
    return Delivery(
        platform="telegram",
        path="/intake/hooks/telegram/",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        body=body,
        message_id=str(message_id),
        dedupe_key=f"telegram:update:{update_id}",
    )


def dingtalk(resident: Resident, text: str, *, msg_id: str, reply_to: str = "", api_base: str) -> Delivery:
    now_ms = _millis.next()
    text_obj: dict = {"content": f" {text}"}
    if reply_to:
        text_obj.update(isReplyMsg=True, repliedMsg={"msgId": reply_to, "content": {"text": "…"}})
    payload = {
        "conversationId": resident.chat_id,
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$loadbot"}],
        "chatbotCorpId": "dingload",
        "chatbotUserId": "$:LWCP_v1:$loadbot",
        "msgId": msg_id,
        "senderNick": resident.name,
        "isAdmin": False,
        "senderStaffId": resident.user_id,
        "sessionWebhookExpiredTime": now_ms + 90 * 60 * 1000,
        "createAt": now_ms,
        "senderCorpId": "dingload",
        "conversationType": "2",
        "senderId": f"$:LWCP_v1:${resident.user_id}",
        "conversationTitle": resident.chat_title,
        "isInAtList": True,
        "sessionWebhook": f"{api_base}/robot/sendBySession?session={resident.chat_id}",
        "text": text_obj,
        "robotCode": "ding-load-robot",
        "msgtype": "text",
    }
    timestamp = str(now_ms)
    return Delivery(
        platform="dingtalk",
        path="/intake/hooks/dingtalk/",
        headers={
            "Content-Type": "application/json",
            "timestamp": timestamp,
            "sign": dingtalk_sign(timestamp, DINGTALK_SECRET),
        },
        body=json.dumps(payload, ensure_ascii=False).encode(),
        message_id=msg_id,
        dedupe_key=f"dingtalk:msg:{msg_id}",
    )


def feishu(resident: Resident, text: str, *, msg_id: str, reply_to: str = "", api_base: str = "") -> Delivery:
    event_id = unique_id("ev_")
    now_ms = str(int(time.time() * 1000))
    event = {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "im.message.receive_v1",
            "create_time": now_ms,
            "token": FEISHU_TOKEN,
            "app_id": "cli_load",
            "tenant_key": "tenant_load",
        },
        "event": {
            "sender": {
                "sender_id": {"open_id": resident.user_id, "user_id": resident.user_id},
                "sender_type": "user",
            },
            "message": {
                "message_id": msg_id,
                "root_id": reply_to,
                "parent_id": reply_to,
                "create_time": now_ms,
                "chat_id": resident.chat_id,
                "chat_type": "group",
                "message_type": "text",
                "content": json.dumps({"text": f"@_user_1 {text}"}, ensure_ascii=False),
                "mentions": [{"key": "@_user_1", "id": {"open_id": "ou_loadbot"}, "name": "警务助手"}],
            },
        },
    }
    plain = json.dumps(event, ensure_ascii=False).encode()
    body = json.dumps({"encrypt": feishu_encrypt(plain, FEISHU_KEY, os.urandom(16))}).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    return Delivery(
        platform="feishu",
        path="/intake/hooks/feishu/",
        headers={
            "Content-Type": "application/json",
            "X-Lark-Request-Timestamp": timestamp,
            "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": lark_signature(timestamp, nonce, FEISHU_KEY, body),
        },
        body=body,
        message_id=msg_id,
        dedupe_key=f"feishu:event:{event_id}",
    )


def wecom(resident: Resident, text: str, *, msg_id: str, reply_to: str = "", api_base: str) -> Delivery:
    # WeCom's callbacks carry no quoted message: a follow-up is the same person in the same chat.
    xml = f"""<xml>
<WebhookUrl><![CDATA[{api_base}/cgi-bin/webhook/send?key={resident.chat_id}]]></WebhookUrl>
<From><UserId>{resident.user_id}</UserId><Name><![CDATA[{resident.name}]]></Name></From>
<MsgType>text</MsgType>
<Text><Content><![CDATA[@社区民警 {text}]]></Content></Text>
<MsgId>{msg_id}</MsgId>
<ChatId><![CDATA[{resident.chat_id}]]></ChatId>
<ChatType>group</ChatType>
<CreateTime>{int(time.time())}</CreateTime>
</xml>"""
    encrypted = wecom_encrypt(xml.encode(), WECOM_AES_KEY, WECOM_CORP)
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    query = urllib.parse.urlencode(
        {
            "msg_signature": wecom_signature(WECOM_TOKEN, timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
    )
    return Delivery(
        platform="wecom",
        path=f"/intake/hooks/wecom/?{query}",
        headers={"Content-Type": "text/xml"},
        body=f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode(),
        message_id=msg_id,
        dedupe_key=f"wecom:msg:{msg_id}",
    )


class ChatTraffic:
    """Messages of residents in group chats of every platform, with unique ids per process.

    ``new(platform, resident, text)`` is a first message; ``reply(...)`` quotes an earlier one (a
    follow-up). Re-delivering a ``Delivery`` byte for byte is the platform's retry."""

    def __init__(self, api_base: str, *, seed: int | None = None) -> None:
        self.api_base = api_base
        self._lock = threading.Lock()
        base = seed if seed is not None else secrets.randbelow(10**6)
        self._counter = base * 10**6

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def resident(self, platform: str, number: int, chat: int) -> Resident:
        """Resident ``number`` in chat ``chat`` of ``platform`` (numeric ids where the platform uses them)."""
        if platform == "telegram":
            return Resident(str(5_000_000_000 + number), f"居民{number}", str(-1_001_000_000_000 - chat))
        prefix = {"dingtalk": "cid", "feishu": "oc_", "wecom": "wrk"}[platform]
        return Resident(f"{platform[:2]}u{number}", f"居民{number}", f"{prefix}chat{chat}")

    def message(self, platform: str, resident: Resident, text: str, *, reply_to: str = "") -> Delivery:
        n = self._next()
        if platform == "telegram":
            return telegram(resident, text, update_id=n, message_id=n, reply_to=reply_to)
        build = {"dingtalk": dingtalk, "feishu": feishu, "wecom": wecom}[platform]
        prefix = {"dingtalk": "msg", "feishu": "om_", "wecom": ""}[platform]
        return build(resident, text, msg_id=f"{prefix}{n}", reply_to=reply_to, api_base=self.api_base)


# Problems at real street corners of the demo jurisdiction (People's Square, Shanghai), put
# together into residents' messages: the triage geocodes the street, classifies the problem.
STREETS = [
    "福州路",
    "九江路",
    "汉口路",
    "延安东路",
    "西藏中路",
    "云南中路",
    "黄陂北路",
    "南京东路",
    "广西北路",
    "福建中路",
]
PROBLEMS = [
    "有车辆违停，堵住了小区出口",
    "晚上有人飙车，噪音特别大",
    "有人占道摆摊，行人只能走机动车道",
    "一辆面包车停了好几个月，轮胎都瘪了",
    "楼道里有人给电动车充电，很危险",
    "路口红绿灯坏了，车辆乱成一团",
    "有人在小区门口打架",
    "消防通道被杂物堵住了",
    "有人在路边乱倒建筑垃圾",
    "接到自称客服的诈骗电话，要我转账",
]
TAILS = ["请尽快处理", "麻烦民警来看看", "已经好几天了", "影响居民出行", "多次反映未解决"]
FOLLOW_UPS = ["补充一下，现在情况更严重了", "刚才又看到了，还在那里", "请问什么时候来处理？"]
CHATTER = ["谢谢大家", "今天天气不错", "收到", "好的，辛苦了", "早上好"]


def appeal_text(n: int) -> str:
    """The n-th resident's problem: street, house number, problem, tail (varied, so that most are
    new appeals rather than duplicates of one another)."""
    street = STREETS[n % len(STREETS)]
    problem = PROBLEMS[(n // len(STREETS)) % len(PROBLEMS)]
    return f"{street}{(n * 7) % 600 + 1}号附近{problem}，{TAILS[n % len(TAILS)]}。"
