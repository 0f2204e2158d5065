"""DingTalk outgoing robot (企业内部机器人, HTTP mode): group messages that @ the robot.

Each POST carries headers ``timestamp`` (ms) and ``sign`` = Base64(HmacSHA256(key=appSecret,
msg=timestamp + "\\n" + appSecret)). A timestamp further than MAX_CLOCK_SKEW_S (1 h) from now is
refused as a replay. ``msgId`` is the idempotency key. Answers go to ``sessionWebhook``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import unquote

from django.conf import settings

from lastmeter.intake.channels.base import (
    BadPayload,
    ChannelAdapter,
    Envelope,
    Ignored,
    InboundMessage,
    Mention,
    NotAuthentic,
    RawRequest,
    body_key,
    from_epoch,
    obj,
    parse_json,
    register,
)


def dingtalk_sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _rich_text(parts: Any) -> str:
    if not isinstance(parts, list):
        return ""
    return "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict) and "text" in p)


@register
class DingTalkAdapter(ChannelAdapter):
    kind = "dingtalk"

    def configured(self) -> bool:
        return bool(settings.LASTMETER_DINGTALK_APP_SECRET)

    def verify(self, raw: RawRequest) -> None:
        timestamp, sign = raw.header("timestamp"), raw.header("sign")
        if not timestamp or not sign:
            raise NotAuthentic("missing timestamp/sign headers")
        try:
            ts_ms = int(timestamp)
        except ValueError:
            raise NotAuthentic("timestamp is not a number") from None
        expected = dingtalk_sign(timestamp, settings.LASTMETER_DINGTALK_APP_SECRET)
        if not (
            hmac.compare_digest(sign.encode(), expected.encode())
            or hmac.compare_digest(unquote(sign).encode(), expected.encode())
        ):
            raise NotAuthentic("wrong sign", status=403)
        if abs(time.time() * 1000 - ts_ms) > settings.LASTMETER_MAX_CLOCK_SKEW_S * 1000:
            raise NotAuthentic("timestamp too old or in the future: replay refused", status=403)

    def replay_nonce(self, raw: RawRequest) -> str | None:
        # DingTalk's sign covers the timestamp, not the body: without this memory, headers seen
        # once would sign any body for the whole window.
        return f"{raw.header('timestamp')}:{unquote(raw.header('sign'))}"

    def parse(self, raw: RawRequest) -> Envelope:
        payload = parse_json(raw)
        if not isinstance(payload, dict):
            raise BadPayload("the callback body must be a JSON object")
        msg_id = payload.get("msgId")
        key = f"msg:{msg_id}" if isinstance(msg_id, str) and msg_id else body_key(raw.body)
        return Envelope(payload=payload, idempotency_key=key)

    def normalise(self, envelope: Envelope) -> InboundMessage | Ignored:
        p = envelope.payload
        msgtype = p.get("msgtype", "")
        text_obj = obj(p, "text")
        kind = "text"
        if msgtype == "text":
            text = text_obj.get("content", "")
        elif msgtype == "richText":
            content = obj(p, "content")
            text = _rich_text(content.get("richText"))
        elif msgtype:
            kind, text = msgtype, ""
        else:
            return Ignored("no msgtype")
        if not isinstance(text, str):
            raise BadPayload("text.content must be a string")
        bot_id = str(p.get("chatbotUserId", ""))
        mentions = [
            Mention(
                id=str(u.get("staffId") or u.get("dingtalkId") or ""),
                name=str(u.get("dingtalkId", "")),
                is_bot=bool(bot_id) and u.get("dingtalkId") == bot_id,
            )
            for u in p.get("atUsers") or []
            if isinstance(u, dict)
        ]
        # A reply quoting an earlier message (引用回复) carries the quoted message's id.
        replied = obj(text_obj, "repliedMsg")
        quoted_content = obj(replied, "content")
        group = str(p.get("conversationType", "")) == "2"
        addressed = bool(p.get("isInAtList")) or any(m.is_bot for m in mentions) or not group
        return InboundMessage(
            channel=self.kind,
            text=text.strip(),
            kind=kind,
            sender_id=str(p.get("senderStaffId") or p.get("senderId") or ""),
            sender_name=str(p.get("senderNick", "")),
            chat_id=str(p.get("conversationId", "")),
            chat_title=str(p.get("conversationTitle", "")),
            message_id=str(p.get("msgId", "")),
            is_group=group,
            mentions=mentions,
            mentions_bot=addressed,
            quoted_message_id=str(replied.get("msgId", "")) if text_obj.get("isReplyMsg") else "",
            quoted_text=str(quoted_content.get("text", "")),
            sent_at=from_epoch(p.get("createAt"), millis=True),
            reply_ref={
                "session_webhook": p.get("sessionWebhook", ""),
                "session_expires_ms": p.get("sessionWebhookExpiredTime"),
                "conversation_id": p.get("conversationId", ""),
                "staff_id": p.get("senderStaffId", ""),
                "robot_code": p.get("robotCode", ""),
            },
        )
