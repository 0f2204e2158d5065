"""Replies through Feishu's im/v1/messages/{message_id}/reply with a tenant access token.

The outbox key, hashed to Feishu's 50-character limit, is sent as ``uuid``: Feishu drops a
second request with the same uuid, so a retry after a lost answer does not post twice.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.backends import DeliveryError
from lastmeter.intake.channels.http import request_json, tokens


def _tenant_token() -> tuple[str, float]:
    base = settings.LASTMETER_FEISHU_API_BASE.rstrip("/")
    answer = request_json(
        "POST",
        f"{base}/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": settings.LASTMETER_FEISHU_APP_ID, "app_secret": settings.LASTMETER_FEISHU_APP_SECRET},
    )
    if answer.get("code") != 0 or not answer.get("tenant_access_token"):
        raise DeliveryError(f"Feishu gave no tenant token: {answer.get('msg', answer)}")
    return str(answer["tenant_access_token"]), float(answer.get("expire", 7200))


class FeishuSender:
    """Outbox backend for ``channel:feishu``; recipient = {message_id, chat_id}."""

    def send(self, message: OutboxMessage) -> None:
        if not (settings.LASTMETER_FEISHU_APP_ID and settings.LASTMETER_FEISHU_APP_SECRET):
            raise DeliveryError("LASTMETER_FEISHU_APP_ID / _APP_SECRET are not set")
        message_id = str(message.recipient.get("message_id") or "")
        if not message_id:
            raise DeliveryError("no message_id to reply to")
        token = tokens.get("feishu", _tenant_token)
        base = settings.LASTMETER_FEISHU_API_BASE.rstrip("/")
        answer = request_json(
            "POST",
            f"{base}/open-apis/im/v1/messages/{message_id}/reply",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "msg_type": "text",
                "content": json.dumps({"text": message.body}, ensure_ascii=False),
                "uuid": hashlib.sha256(message.key.encode()).hexdigest()[:50],
            },
        )
        if answer.get("code") != 0:
            raise DeliveryError(f"Feishu refused: {answer.get('msg', answer)}")
