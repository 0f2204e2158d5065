"""Feishu / Lark event subscription, schema 2.0, event im.message.receive_v1.

With an Encrypt Key set, the body is {"encrypt": base64(iv[16] + AES-256-CBC(json))} with the AES
key SHA-256(encrypt_key) and PKCS#7 padding, and each request is signed:
X-Lark-Signature = hex(SHA-256(timestamp + nonce + encrypt_key + raw body)). The verification
token inside the event (header.token, or token for url_verification) must match too. The
event_id is the idempotency key (Feishu redelivers until it gets HTTP 200).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from Crypto.Cipher import AES
from django.conf import settings

from lastmeter.intake.channels.base import (
    BadPayload,
    ChannelAdapter,
    ChannelError,
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


def lark_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def decrypt(encrypted: str, encrypt_key: str) -> bytes:
    """Decrypt Feishu's ``encrypt`` field. ValueError on any malformation."""
    data = base64.b64decode(encrypted, validate=True)
    if len(data) < 32 or len(data) % 16:
        raise ValueError("ciphertext length is not a positive multiple of the block size")
    key = hashlib.sha256(encrypt_key.encode()).digest()
    plain = AES.new(key, AES.MODE_CBC, data[:16]).decrypt(data[16:])
    pad = plain[-1]
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return plain[:-pad]


def encrypt(plain: bytes, encrypt_key: str, iv: bytes) -> str:
    """The inverse of :func:`decrypt` (tests build realistic deliveries with it)."""
    key = hashlib.sha256(encrypt_key.encode()).digest()
    pad = 16 - len(plain) % 16
    return base64.b64encode(iv + AES.new(key, AES.MODE_CBC, iv).encrypt(plain + bytes([pad]) * pad)).decode()


def _post_text(content: Any) -> str:
    """Plain text of a rich-text ("post") message: its title and every text/a/at element."""
    if not isinstance(content, dict):
        return ""
    body = content
    if "content" not in body:  # {"zh_cn": {"title":…, "content": […]}}
        body = next((v for v in content.values() if isinstance(v, dict)), {})
    parts = [str(body.get("title", ""))]
    for line in body.get("content") or []:
        for el in line if isinstance(line, list) else []:
            if isinstance(el, dict) and el.get("tag") in ("text", "a"):
                parts.append(str(el.get("text", "")))
            elif isinstance(el, dict) and el.get("tag") == "at":
                parts.append("@" + str(el.get("user_name", el.get("user_id", ""))))
    return " ".join(p for p in parts if p)


@register
class FeishuAdapter(ChannelAdapter):
    kind = "feishu"

    def configured(self) -> bool:
        return bool(settings.LASTMETER_FEISHU_ENCRYPT_KEY or settings.LASTMETER_FEISHU_VERIFICATION_TOKEN)

    def _decoded(self, raw: RawRequest) -> dict[str, Any]:
        payload = parse_json(raw)
        if not isinstance(payload, dict):
            raise BadPayload("the event body must be a JSON object")
        if "encrypt" in payload:
            key = settings.LASTMETER_FEISHU_ENCRYPT_KEY
            if not key:
                raise BadPayload("encrypted event but no FEISHU_ENCRYPT_KEY configured")
            try:
                payload = json.loads(decrypt(str(payload["encrypt"]), key).decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadPayload(f"cannot decrypt the event: {exc}") from None
            if not isinstance(payload, dict):
                raise BadPayload("the decrypted event is not a JSON object")
        return payload

    def _token_ok(self, payload: dict[str, Any]) -> bool:
        expected = settings.LASTMETER_FEISHU_VERIFICATION_TOKEN
        if not expected:
            return True
        header = obj(payload, "header")
        given = str(header.get("token") or payload.get("token") or "")
        return hmac.compare_digest(given.encode(), expected.encode())

    def replay_nonce(self, raw: RawRequest) -> str | None:
        if not raw.header("X-Lark-Signature"):
            return None  # the unsigned URL-verification challenge stores nothing
        return f"{raw.header('X-Lark-Request-Timestamp')}:{raw.header('X-Lark-Request-Nonce')}"

    def verify(self, raw: RawRequest) -> None:
        key = settings.LASTMETER_FEISHU_ENCRYPT_KEY
        signature = raw.header("X-Lark-Signature")
        timestamp = raw.header("X-Lark-Request-Timestamp")
        nonce = raw.header("X-Lark-Request-Nonce")
        if key and signature:
            expected = lark_signature(timestamp, nonce, key, raw.body)
            if not hmac.compare_digest(signature.encode(), expected.encode()):
                raise NotAuthentic("wrong X-Lark-Signature", status=403)
            try:
                skew = abs(time.time() - int(timestamp))
            except ValueError:
                raise NotAuthentic("X-Lark-Request-Timestamp is not a number") from None
            if skew > settings.LASTMETER_MAX_CLOCK_SKEW_S:
                raise NotAuthentic("timestamp too old or in the future: replay refused", status=403)
            return
        # Unsigned requests: only the URL-verification challenge, proven by the token (and by
        # decrypting with our key when encryption is on). Anything else must be signed.
        try:
            payload = self._decoded(raw)
        except BadPayload as exc:
            raise ChannelError(str(exc), status=400, store=False) from None
        if key and "encrypt" not in parse_json(raw):
            raise NotAuthentic("unsigned, unencrypted event while an Encrypt Key is configured")
        if payload.get("type") != "url_verification" and key:
            raise NotAuthentic("missing X-Lark-Signature")
        if not self._token_ok(payload):
            raise NotAuthentic("wrong verification token", status=403)

    def parse(self, raw: RawRequest) -> Envelope:
        payload = self._decoded(raw)
        if not self._token_ok(payload):
            raise NotAuthentic("wrong verification token", status=403)
        if payload.get("type") == "url_verification":
            return Envelope(
                payload=payload,
                idempotency_key="challenge",
                control_response={"challenge": payload.get("challenge", "")},
            )
        header = obj(payload, "header")
        event_id = header.get("event_id") or payload.get("uuid")
        key = f"event:{event_id}" if event_id else body_key(raw.body)
        return Envelope(payload=payload, idempotency_key=key)

    def normalise(self, envelope: Envelope) -> InboundMessage | Ignored:
        payload = envelope.payload
        header = obj(payload, "header")
        event_type = header.get("event_type", "")
        if event_type != "im.message.receive_v1":
            return Ignored(f"event {event_type or 'of schema 1.0'} is not a received message")
        event = obj(payload, "event")
        message = event.get("message") if isinstance(event.get("message"), dict) else None
        if message is None:
            raise BadPayload("im.message.receive_v1 without a message")
        sender = obj(event, "sender")
        sender_ids = obj(sender, "sender_id")
        try:
            content = json.loads(message.get("content") or "{}")
        except ValueError:
            raise BadPayload("message.content is not JSON") from None
        mtype = message.get("message_type", "")
        kind = "text"
        if mtype == "text":
            text = str(content.get("text", "")) if isinstance(content, dict) else ""
        elif mtype == "post":
            text = _post_text(content)
        else:
            kind, text = mtype or "other", ""
        bot_names = settings.LASTMETER_BOT_NAMES
        bot_open_id = settings.LASTMETER_FEISHU_BOT_OPEN_ID
        mentions = []
        for m in message.get("mentions") or []:
            if not isinstance(m, dict):
                continue
            ids = obj(m, "id")
            name = str(m.get("name", ""))
            is_bot = name in bot_names or (bool(bot_open_id) and ids.get("open_id") == bot_open_id)
            mentions.append(Mention(id=str(ids.get("open_id", "")), name=name, is_bot=is_bot))
            # "@_user_1" placeholders: the bot's is dropped, people's become "@name".
            text = text.replace(str(m.get("key", "")), "" if is_bot else f"@{name}")
        chat_type = message.get("chat_type", "")
        addressed = any(m.is_bot for m in mentions) or chat_type == "p2p"
        if any(name in text for name in bot_names):
            addressed = True
        return InboundMessage(
            channel=self.kind,
            text=text.strip(),
            kind=kind,
            sender_id=str(sender_ids.get("open_id") or sender_ids.get("user_id") or ""),
            sender_name="",  # the event carries ids only
            chat_id=str(message.get("chat_id", "")),
            message_id=str(message.get("message_id", "")),
            is_group=chat_type == "group",
            mentions=mentions,
            mentions_bot=addressed,
            quoted_message_id=str(message.get("parent_id") or ""),
            sent_at=from_epoch(message.get("create_time"), millis=True),
            reply_ref={"message_id": message.get("message_id", ""), "chat_id": message.get("chat_id", "")},
        )
