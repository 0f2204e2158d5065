"""Replies through the Telegram Bot API: sendMessage, as a reply to the reporter's message."""

from __future__ import annotations

from django.conf import settings

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.backends import DeliveryError
from lastmeter.intake.channels.http import request_json


class TelegramSender:
    """Outbox backend for transport ``channel:telegram``; recipient = {chat_id, message_id}."""

    def send(self, message: OutboxMessage) -> None:
        token = settings.LASTMETER_TELEGRAM_BOT_TOKEN
        if not token:
            raise DeliveryError("LASTMETER_TELEGRAM_BOT_TOKEN is not set")
        chat_id = message.recipient.get("chat_id")
        if chat_id in (None, ""):
            raise DeliveryError("no chat_id to answer")
        payload: dict = {"chat_id": chat_id, "text": message.body[:4096]}
        reply_to = message.recipient.get("message_id")
        if reply_to not in (None, ""):
            payload["reply_parameters"] = {"message_id": int(reply_to), "allow_sending_without_reply": True}
        base = settings.LASTMETER_TELEGRAM_API_BASE.rstrip("/")
        answer = request_json("POST", f"{base}/bot{token}/sendMessage", json=payload)
        if not answer.get("ok"):
            raise DeliveryError(f"Telegram refused: {answer.get('description', answer)}")
