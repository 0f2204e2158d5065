"""Telegram bot webhook: Update JSON, authenticated by the secret_token given to setWebhook.

Telegram sends the secret in the X-Telegram-Bot-Api-Secret-Token header of every delivery; the
update_id is unique per bot and is the idempotency key (Telegram redelivers an update until it
gets a 2xx). Entity offsets are counted in UTF-16 code units, as the Bot API documents.
"""

from __future__ import annotations

import hmac
from typing import Any

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
    from_epoch,
    obj,
    parse_json,
    register,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def utf16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le")
    return data[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def photo_references(message: dict[str, Any], limit: int) -> list[dict[str, str]]:
    """The photo of a message as a reference to fetch later (``intake.media``): the largest of
    Telegram's sizes that fits ``limit`` (else the smallest, which the fetch refuses if too large),
    or an image sent as a file — which keeps the phone's EXIF, GPS included, until re-encoded."""
    sizes = [p for p in message.get("photo") or [] if isinstance(p, dict) and p.get("file_id")]
    if sizes:
        fitting = [p for p in sizes if int(p.get("file_size") or 0) <= limit]
        chosen = max(fitting or sizes[:1], key=lambda p: int(p.get("width") or 0) * int(p.get("height") or 0))
        return [_reference(chosen)]
    document = message.get("document")
    if not isinstance(document, dict):
        return []
    if str(document.get("mime_type", "")).startswith("image/") and document.get("file_id"):
        return [_reference(document)]
    return []


def _reference(file: dict[str, Any]) -> dict[str, str]:
    return {
        "platform": "telegram",
        "file_id": str(file["file_id"]),
        "file_size": str(file.get("file_size") or 0),
    }


def _name(user: dict[str, Any]) -> str:
    return " ".join(p for p in (user.get("first_name", ""), user.get("last_name", "")) if p).strip()


@register
class TelegramAdapter(ChannelAdapter):
    kind = "telegram"

    def configured(self) -> bool:
        return bool(settings.LASTMETER_TELEGRAM_SECRET_TOKEN)

    def verify(self, raw: RawRequest) -> None:
        given = raw.header(SECRET_HEADER)
        expected = settings.LASTMETER_TELEGRAM_SECRET_TOKEN
        if not given:
            raise NotAuthentic(f"missing {SECRET_HEADER} header")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotAuthentic(f"wrong {SECRET_HEADER}", status=403)

    def parse(self, raw: RawRequest) -> Envelope:
        update = parse_json(raw)
        if not isinstance(update, dict):
            raise BadPayload("an Update must be a JSON object")
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise BadPayload("the Update has no integer update_id")
        return Envelope(payload=update, idempotency_key=f"update:{update_id}")

    def normalise(self, envelope: Envelope) -> InboundMessage | Ignored:
        update = envelope.payload
        message = update.get("message")
        if not isinstance(message, dict):
            kinds = [k for k in update if k != "update_id"]
            return Ignored(f"not a new message ({', '.join(kinds) or 'empty update'})")
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        if not isinstance(sender, dict) or not isinstance(chat, dict) or "id" not in chat:
            raise BadPayload("the message has no chat")
        text = message.get("text")
        entities = message.get("entities")
        kind = "text"
        if text is None:
            text = message.get("caption")
            entities = message.get("caption_entities")
            if text is None:
                kind = next(
                    (
                        k
                        for k in ("photo", "sticker", "voice", "video", "document", "location")
                        if k in message
                    ),
                    "other",
                )
                text = ""
        if not isinstance(text, str):
            raise BadPayload("message text must be a string")
        bot_username = settings.LASTMETER_TELEGRAM_BOT_USERNAME.lstrip("@").lower()
        mentions: list[Mention] = []
        bot_spans: list[tuple[int, int]] = []
        for entity in entities or []:
            if not isinstance(entity, dict):
                continue
            etype, offset, length = entity.get("type"), entity.get("offset", 0), entity.get("length", 0)
            if etype == "mention":
                handle = utf16_slice(text, int(offset), int(length))
                is_bot = bool(bot_username) and handle.lstrip("@").lower() == bot_username
                mentions.append(Mention(id=handle, name=handle, is_bot=is_bot))
                if is_bot:
                    bot_spans.append((int(offset), int(length)))
            elif etype == "text_mention" and isinstance(entity.get("user"), dict):
                user = entity["user"]
                mentions.append(
                    Mention(id=str(user.get("id", "")), name=_name(user), is_bot=bool(user.get("is_bot")))
                )
        quoted = obj(message, "reply_to_message")
        quoted_from = quoted.get("from") or {}
        addressed = any(m.is_bot for m in mentions) or chat.get("type") == "private"
        if quoted_from.get("is_bot") and str(quoted_from.get("username", "")).lower() == bot_username:
            addressed = True
        if any(name in text for name in settings.LASTMETER_BOT_NAMES):
            addressed = True
        clean = text
        for offset, length in sorted(bot_spans, reverse=True):
            data = clean.encode("utf-16-le")
            clean = (data[: offset * 2] + data[(offset + length) * 2 :]).decode("utf-16-le")
        return InboundMessage(
            channel=self.kind,
            text=clean.strip(),
            kind=kind,
            sender_id=str(sender.get("id", "")),
            sender_name=_name(sender) or str(sender.get("username", "")),
            chat_id=str(chat.get("id")),
            chat_title=str(chat.get("title", "")),
            message_id=str(message.get("message_id", "")),
            is_group=chat.get("type") in ("group", "supergroup"),
            mentions=mentions,
            mentions_bot=addressed,
            quoted_message_id=str(quoted.get("message_id", "")) if quoted else "",
            quoted_text=str(quoted.get("text") or quoted.get("caption") or "") if quoted else "",
            sent_at=from_epoch(message.get("date")),
            reply_ref={"chat_id": chat.get("id"), "message_id": message.get("message_id")},
            media=photo_references(message, settings.LASTMETER_MAX_PHOTO_BYTES),
        )
