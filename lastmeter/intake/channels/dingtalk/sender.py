"""Replies to a DingTalk group: through the message's sessionWebhook while it is valid, else
through the robot group-message API with the app's credentials."""

from __future__ import annotations

import json
import time

from django.conf import settings

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.backends import DeliveryError
from lastmeter.intake.channels.http import request_json, tokens, url_under


def _access_token() -> tuple[str, float]:
    base = settings.LASTMETER_DINGTALK_API_BASE.rstrip("/")
    answer = request_json(
        "POST",
        f"{base}/v1.0/oauth2/accessToken",
        json={
            "appKey": settings.LASTMETER_DINGTALK_APP_KEY,
            "appSecret": settings.LASTMETER_DINGTALK_APP_SECRET,
        },
    )
    token = answer.get("accessToken")
    if not token:
        raise DeliveryError(f"DingTalk gave no access token: {answer}")
    return str(token), float(answer.get("expireIn", 7200))


class DingTalkSender:
    """Outbox backend for ``channel:dingtalk``; recipient = the adapter's reply_ref."""

    def send(self, message: OutboxMessage) -> None:
        ref = message.recipient
        webhook = str(ref.get("session_webhook") or "")
        expires_ms = ref.get("session_expires_ms") or 0
        fresh = isinstance(expires_ms, int | float) and expires_ms / 1000 > time.time() + 30
        if webhook and fresh:
            if not url_under(webhook, settings.LASTMETER_DINGTALK_OAPI_BASE):
                raise DeliveryError("sessionWebhook is not on the configured DingTalk host")
            payload: dict = {"msgtype": "text", "text": {"content": message.body}}
            if ref.get("staff_id"):
                payload["at"] = {"atUserIds": [ref["staff_id"]]}
            answer = request_json("POST", webhook, json=payload)
            if answer.get("errcode", 0) != 0:
                raise DeliveryError(f"DingTalk refused: {answer.get('errmsg', answer)}")
            return
        robot_code = ref.get("robot_code") or settings.LASTMETER_DINGTALK_ROBOT_CODE
        if not (settings.LASTMETER_DINGTALK_APP_KEY and robot_code and ref.get("conversation_id")):
            raise DeliveryError("sessionWebhook expired and no DingTalk app credentials to send otherwise")
        token = tokens.get("dingtalk", _access_token)
        base = settings.LASTMETER_DINGTALK_API_BASE.rstrip("/")
        answer = request_json(
            "POST",
            f"{base}/v1.0/robot/groupMessages/send",
            headers={"x-acs-dingtalk-access-token": token},
            json={
                "msgParam": json.dumps({"content": message.body}, ensure_ascii=False),
                "msgKey": "sampleText",
                "openConversationId": ref["conversation_id"],
                "robotCode": robot_code,
            },
        )
        if not answer.get("processQueryKey"):
            raise DeliveryError(f"DingTalk refused: {answer}")
