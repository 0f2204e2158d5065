"""The outbox backend of group broadcasts (transport ``channel:broadcast``), one format per platform.

DingTalk, Feishu and WeCom groups are posted to through the group robot's webhook (markdown or a
card with markdown); Telegram groups through the bot's sendMessage (HTML). A group whose platform
answer says the bot is no longer in it is marked ``bot_removed_at``: later messages to it fail at
once without calling the platform, and new broadcasts to it are refused until staff re-add it.

None of these webhooks takes an idempotency key, so the sender keeps the platform's answer on the
delivery: a message re-taken after a worker died between the platform's "ok" and the outbox's
update is not posted twice. A group with nothing to post through (no webhook, no bot token) is
"logged, not delivered", as the console backends are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.utils import timezone

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.backends import DELIVERED, LOGGED, DeliveryError
from lastmeter.broadcasts.algorithms.text import telegram_html
from lastmeter.broadcasts.choices import Platform
from lastmeter.broadcasts.models import ChatGroup, Delivery
from lastmeter.intake.channels.http import url_under

log = logging.getLogger("lastmeter.broadcasts")


class BotRemoved(DeliveryError):
    """The platform says the bot/robot is not in the group any more."""


def webhook_base(platform: str) -> str:
    """The host a group robot's webhook must be on (no posting to arbitrary addresses)."""
    bases: dict[str, str] = {
        Platform.DINGTALK: settings.LASTMETER_DINGTALK_OAPI_BASE,
        Platform.FEISHU: settings.LASTMETER_FEISHU_API_BASE,
        Platform.WECOM: settings.LASTMETER_WECOM_API_BASE,
    }
    return bases.get(platform, "")


def _post(url: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        response = httpx.post(url, json=payload, timeout=settings.LASTMETER_HTTP_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    try:
        data = response.json()
    except ValueError:
        data = {"text": response.text[:300]}
    return response.status_code, data if isinstance(data, dict) else {"answer": data}


def _sign(secret: str, timestamp: str, *, feishu: bool) -> str:
    string = f"{timestamp}\n{secret}".encode()
    # DingTalk signs "timestamp\nsecret" with the secret as key; Feishu uses that string as the
    # key of an HMAC over nothing. Both send the digest base64-encoded.
    digest = (
        hmac.new(string, b"", hashlib.sha256) if feishu else hmac.new(secret.encode(), string, hashlib.sha256)
    )
    return base64.b64encode(digest.digest()).decode()


def _dingtalk(group: ChatGroup, title: str, text: str) -> dict[str, Any]:
    url = group.webhook_url
    if group.webhook_secret:
        ts = str(int(time.time() * 1000))
        url += f"&timestamp={ts}&sign={quote(_sign(group.webhook_secret, ts, feishu=False), safe='')}"
    status, answer = _post(
        url, {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n\n{text}"}}
    )
    if status >= 400 or answer.get("errcode", 0) != 0:
        raise DeliveryError(f"DingTalk refused (HTTP {status}): {answer.get('errmsg', answer)}")
    return answer


def _feishu(group: ChatGroup, title: str, text: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "header": {"title": {"tag": "plain_text", "content": title}},
            "elements": [{"tag": "markdown", "content": text}],
        },
    }
    if group.webhook_secret:
        ts = str(int(time.time()))
        payload.update(timestamp=ts, sign=_sign(group.webhook_secret, ts, feishu=True))
    status, answer = _post(group.webhook_url, payload)
    if status >= 400 or answer.get("code", 0) != 0:
        raise DeliveryError(f"Feishu refused (HTTP {status}): {answer.get('msg', answer)}")
    return answer


def _wecom(group: ChatGroup, title: str, text: str) -> dict[str, Any]:
    status, answer = _post(
        group.webhook_url, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    )
    # 93000: "机器人webhookurl不合法或者机器人已经被移除出群" in WeCom's error code list.
    if answer.get("errcode") == 93000:
        raise BotRemoved(f"WeCom: {answer.get('errmsg', 'robot removed from the group')}")
    if status >= 400 or answer.get("errcode", 0) != 0:
        raise DeliveryError(f"WeCom refused (HTTP {status}): {answer.get('errmsg', answer)}")
    return answer


def _telegram(group: ChatGroup, title: str, text: str) -> dict[str, Any]:
    base = settings.LASTMETER_TELEGRAM_API_BASE.rstrip("/")
    status, answer = _post(
        f"{base}/bot{settings.LASTMETER_TELEGRAM_BOT_TOKEN}/sendMessage",
        {"chat_id": group.chat_id, "text": telegram_html(title, text)[:4096], "parse_mode": "HTML"},
    )
    description = str(answer.get("description", ""))
    # 403 "Forbidden: bot was kicked from the group chat" / "bot is not a member of the group chat"
    if status == 403:
        raise BotRemoved(f"Telegram: {description}")
    if status >= 400 or not answer.get("ok"):
        raise DeliveryError(f"Telegram refused (HTTP {status}): {description or answer}")
    return answer


def configured(group: ChatGroup) -> bool:
    if group.platform == Platform.TELEGRAM:
        return bool(settings.LASTMETER_TELEGRAM_BOT_TOKEN and group.chat_id)
    return bool(group.webhook_url)


class GroupSender:
    """Outbox backend for ``channel:broadcast``; recipient = {"group": ChatGroup id}."""

    def send(self, message: OutboxMessage) -> str:
        group = ChatGroup.objects.filter(pk=message.recipient.get("group")).first()
        if group is None:
            raise DeliveryError("the chat group was deleted")
        if group.bot_removed_at is not None:
            raise DeliveryError(f"the bot was removed from the group: {group.bot_removed_reason}")
        delivery = Delivery.objects.filter(outbox_id=message.pk).first()
        if delivery is not None and delivery.platform_answer.get("accepted"):
            return DELIVERED  # posted before a crash: the platform has it already
        if not configured(group):
            log.info("[broadcast → %s] %s", group, message.body)
            return LOGGED
        if group.platform != Platform.TELEGRAM and not url_under(
            group.webhook_url, webhook_base(group.platform)
        ):
            raise DeliveryError("the robot webhook is not on the configured platform host")
        posters: dict[str, Callable[[ChatGroup, str, str], dict[str, Any]]] = {
            Platform.DINGTALK: _dingtalk,
            Platform.FEISHU: _feishu,
            Platform.WECOM: _wecom,
        }
        post = posters.get(group.platform, _telegram)
        try:
            answer = post(group, message.subject or "", message.body)
        except BotRemoved as exc:
            ChatGroup.objects.filter(pk=group.pk, bot_removed_at=None).update(
                bot_removed_at=timezone.now(), bot_removed_reason=str(exc)[:300]
            )
            raise
        if delivery is not None:
            Delivery.objects.filter(pk=delivery.pk).update(
                platform_answer={"accepted": True, "answer": answer}
            )
        return DELIVERED
