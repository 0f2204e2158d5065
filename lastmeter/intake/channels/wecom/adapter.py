"""WeCom (企业微信) callbacks: an app's messages, or a group robot's messages, as encrypted XML.

Query: msg_signature, timestamp, nonce (and echostr on the GET that verifies the URL).
msg_signature = hex(SHA-1(sorted(token, timestamp, nonce, encrypt) joined)). The AES key is
Base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[:16], PKCS#7 padded to a
multiple of 32. Plaintext = 16 random bytes + 4-byte big-endian length + message + receive id.
XML is parsed with defusedxml (no DTDs, no entities).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time
from typing import Any

from Crypto.Cipher import AES
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
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
    register,
)

BLOCK = 32


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def aes_key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


def decrypt(encrypted: str, encoding_aes_key: str) -> tuple[bytes, str]:
    """(message, receive id). ValueError on any malformation."""
    key = aes_key(encoding_aes_key)
    data = base64.b64decode(encrypted, validate=True)
    if not data or len(data) % 16:
        raise ValueError("ciphertext length is not a multiple of 16")
    plain = AES.new(key, AES.MODE_CBC, key[:16]).decrypt(data)
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise ValueError("plaintext too short")
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise ValueError("declared length exceeds the plaintext")
    return plain[20 : 20 + length], plain[20 + length :].decode("utf-8", errors="replace")


def encrypt(message: bytes, encoding_aes_key: str, receive_id: str, random16: bytes | None = None) -> str:
    """The inverse of :func:`decrypt` (tests build realistic deliveries with it)."""
    key = aes_key(encoding_aes_key)
    plain = (random16 or os.urandom(16)) + struct.pack(">I", len(message)) + message + receive_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    return base64.b64encode(AES.new(key, AES.MODE_CBC, key[:16]).encrypt(plain)).decode()


def _xml(data: bytes | str):
    try:
        return SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise BadPayload(f"malformed XML: {exc}") from None


def _text(root, path: str) -> str:
    el = root.find(path)
    return (el.text or "").strip() if el is not None else ""


@register
class WeComAdapter(ChannelAdapter):
    kind = "wecom"

    def configured(self) -> bool:
        return bool(settings.LASTMETER_WECOM_TOKEN and settings.LASTMETER_WECOM_ENCODING_AES_KEY)

    def _check(self, raw: RawRequest, encrypted: str) -> None:
        q = raw.query
        given = q.get("msg_signature", "")
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not (given and timestamp and nonce):
            raise NotAuthentic("missing msg_signature/timestamp/nonce")
        expected = signature(settings.LASTMETER_WECOM_TOKEN, timestamp, nonce, encrypted)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotAuthentic("wrong msg_signature", status=403)
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            raise NotAuthentic("timestamp is not a number") from None
        if skew > settings.LASTMETER_MAX_CLOCK_SKEW_S:
            raise NotAuthentic("timestamp too old or in the future: replay refused", status=403)

    def _open(self, encrypted: str) -> bytes:
        try:
            message, receive_id = decrypt(encrypted, settings.LASTMETER_WECOM_ENCODING_AES_KEY)
        except ValueError as exc:
            raise BadPayload(f"cannot decrypt: {exc}") from None
        expected = settings.LASTMETER_WECOM_RECEIVE_ID
        if expected and receive_id != expected:
            raise BadPayload(f"message is for receive id {receive_id!r}, not ours")
        return message

    def handle_get(self, raw: RawRequest) -> tuple[int, str]:
        echostr = raw.query.get("echostr", "")
        if not echostr:
            raise ChannelError("missing echostr", status=400, store=False)
        self._check(raw, echostr)
        try:
            return 200, self._open(echostr).decode("utf-8")
        except (BadPayload, UnicodeDecodeError) as exc:
            raise ChannelError(str(exc), status=400, store=False) from None

    def verify(self, raw: RawRequest) -> None:
        try:
            root = _xml(raw.body)
        except BadPayload as exc:
            # Without the Encrypt element the request cannot be authenticated: not stored.
            raise ChannelError(str(exc), status=400, store=False) from None
        encrypted = _text(root, "Encrypt")
        if not encrypted:
            raise ChannelError("no <Encrypt> element", status=400, store=False)
        self._check(raw, encrypted)

    def replay_nonce(self, raw: RawRequest) -> str | None:
        return f"{raw.query.get('timestamp', '')}:{raw.query.get('nonce', '')}"

    def parse(self, raw: RawRequest) -> Envelope:
        root = _xml(raw.body)
        message = _xml(self._open(_text(root, "Encrypt")))
        fields: dict[str, Any] = {child.tag: (child.text or "").strip() for child in message}
        fields["_root"] = message
        msg_id = fields.get("MsgId") or fields.get("MsgID")
        key = f"msg:{msg_id}" if msg_id else body_key(raw.body)
        payload = {k: v for k, v in fields.items() if k != "_root"}
        payload["Text.Content"] = _text(message, "Text/Content")
        payload["From.UserId"] = _text(message, "From/UserId")
        payload["From.Name"] = _text(message, "From/Name")
        return Envelope(payload=payload, idempotency_key=key, content_type="text/xml")

    def normalise(self, envelope: Envelope) -> InboundMessage | Ignored:
        p = envelope.payload
        mtype = (p.get("MsgType") or "").lower()
        if mtype == "event":
            return Ignored(f"event {p.get('Event', '')}")
        kind = "text" if mtype == "text" else (mtype or "other")
        text = p.get("Content") or p.get("Text.Content") or ""
        sender = p.get("From.UserId") or p.get("FromUserName") or ""
        chat_id = p.get("ChatId") or ""
        group = (p.get("ChatType") or "").lower() == "group"
        bot_names = settings.LASTMETER_BOT_NAMES
        mentions = []
        for name in bot_names:
            if f"@{name}" in text:
                mentions.append(Mention(id=name, name=name, is_bot=True))
                text = text.replace(f"@{name}", " ")
        return InboundMessage(
            channel=self.kind,
            text=text.strip(),
            kind=kind,
            sender_id=sender,
            sender_name=p.get("From.Name") or "",
            chat_id=chat_id or (f"user:{sender}" if sender else ""),
            message_id=p.get("MsgId") or p.get("MsgID") or "",
            is_group=group,
            mentions=mentions,
            mentions_bot=bool(mentions) or not group,
            sent_at=from_epoch(p.get("CreateTime")),
            reply_ref={"webhook_url": p.get("WebhookUrl", ""), "chat_id": chat_id, "user_id": sender},
        )
