"""The outbox backend of group broadcasts (transport ``channel:broadcast``), one format per platform.

DingTalk, Feishu and WeCom groups are posted to through the group robot's webhook (markdown or a
card with markdown); Telegram groups through the bot's sendMessage (HTML). A group whose platform
answer says the bot is no longer in it is marked ``bot_removed_at``, the messages waiting for it
are parked as failed (not retried), the authors concerned are told, and new broadcasts to it are
refused until staff re-add it. Every post first takes its turn on the group's pace
(``take_turn``), so retries keep the platform's spacing too.

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
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.appeals.choices import OUTBOX_TRANSITIONS, OutboxState
from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.backends import DELIVERED, LOGGED, DeliveryError, NotYet, Undeliverable
from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.broadcasts.algorithms.text import telegram_html
from lastmeter.broadcasts.choices import EventKind, Platform
from lastmeter.broadcasts.limits import spacing
from lastmeter.broadcasts.models import Broadcast, BroadcastEvent, ChannelPace, ChatGroup, Delivery
from lastmeter.intake.channels.http import url_under
from lastmeter.lib.transitions import check_transition

log = logging.getLogger("lastmeter.broadcasts")
GROUP_TRANSPORT = "channel:broadcast"


class BotRemoved(Undeliverable):
    """The platform says the bot/robot is not in the group any more: retrying cannot help."""


# What each platform answers when the robot is no longer in the group (sources per line):
# DingTalk custom robot: errcode 300001 "token is not exist" — a removed robot's access_token no
#   longer exists (DingTalk "自定义机器人" error codes; seen in the wild e.g.
#   timonwong/prometheus-webhook-dingtalk#91, sdvdxl/falcon-message#7).
# Feishu custom bot: code 19001 "param invalid: incoming webhook access token invalid" — the
#   webhook of a bot removed from its group is void (e.g. sansan0/TrendRadar#278); an app bot
#   posting through im/v1 gets 230002 "Bot/User can NOT be out of the chat" (Feishu open
#   platform, 发送消息 error codes).
# WeCom group robot: errcode 93000 "机器人webhookurl不合法或者机器人已经被移除出群" (WeCom
#   全局错误码).
DINGTALK_REMOVED = frozenset({300001})
FEISHU_REMOVED = frozenset({19001, 230002})
WECOM_REMOVED = frozenset({93000})


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
    if answer.get("errcode") in DINGTALK_REMOVED:
        raise BotRemoved(f"DingTalk: {answer.get('errmsg', 'robot removed from the group')}")
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
    if answer.get("code") in FEISHU_REMOVED:
        raise BotRemoved(f"Feishu: {answer.get('msg', 'bot removed from the group')}")
    if status >= 400 or answer.get("code", 0) != 0:
        raise DeliveryError(f"Feishu refused (HTTP {status}): {answer.get('msg', answer)}")
    return answer


def _wecom(group: ChatGroup, title: str, text: str) -> dict[str, Any]:
    status, answer = _post(
        group.webhook_url, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    )
    if answer.get("errcode") in WECOM_REMOVED:
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


def take_turn(bucket: str, gap: timedelta) -> None:
    """Claim the destination's next turn to call the platform, or raise NotYet with when it is.

    The outbox spaces first attempts by reserving slots (services.reserve_slot), but a retry's
    time comes from the back-off, and several retries of one group can fall due together: this
    check, at the moment of posting, keeps every post to one destination ``gap`` apart whatever
    made it due. The row lock serialises two workers posting to the same group."""
    now = timezone.now()
    with transaction.atomic():
        pace, _created = ChannelPace.objects.select_for_update().get_or_create(
            bucket=bucket, defaults={"next_free_at": now}
        )
        if pace.last_sent_at is not None and now < pace.last_sent_at + gap:
            raise NotYet(pace.last_sent_at + gap)
        pace.last_sent_at = now
        pace.save(update_fields=["last_sent_at"])


def mark_unreachable(group: ChatGroup, reason: str) -> None:
    """The platform says the bot left the group: mark the group, park every message still
    waiting for it (they can only fail, and a half-posted series is worse than none), put it on
    the timeline of each broadcast concerned and tell its author."""
    now = timezone.now()
    with transaction.atomic():
        if not ChatGroup.objects.filter(pk=group.pk, bot_removed_at=None).update(
            bot_removed_at=now, bot_removed_reason=reason[:300]
        ):
            return  # another worker saw it first and did all this
        # By the deliveries' destination, not the recipient: that column is encrypted.
        destination = f"group:{group.pk}"
        waiting = OutboxMessage.objects.filter(
            transport=GROUP_TRANSPORT, broadcast_delivery__destination=destination, state=OutboxState.PENDING
        )
        why = _("Not sent: the bot was removed from the group (%(reason)s)") % {"reason": reason}
        broadcast_ids = set(
            Delivery.objects.filter(outbox__in=waiting).values_list("run__broadcast_id", flat=True)
        )
        broadcast_ids.update(
            Delivery.objects.filter(destination=destination, outbox__state=OutboxState.SENDING).values_list(
                "run__broadcast_id", flat=True
            )
        )
        check_transition(OUTBOX_TRANSITIONS, OutboxState.PENDING, OutboxState.FAILED, "outbox")
        waiting.update(state=OutboxState.FAILED, last_error=why[:2000], locked_until=None)
        for broadcast in Broadcast.objects.filter(id__in=broadcast_ids).select_related("author"):
            note = _(
                "%(group)s: the bot was removed from the group; nothing more goes there until it is back."
            ) % {"group": group.name}
            BroadcastEvent.objects.create(broadcast=broadcast, kind=EventKind.UNREACHABLE, note=note)
            tell_author(
                broadcast, note, key=f"broadcast:{broadcast.pk}:unreachable:{group.pk}:{now.isoformat()}"
            )


def tell_author(broadcast: Broadcast, note: str, *, key: str) -> None:
    """A message to the broadcast's author: SMS when they have a phone, else the console log."""
    author = broadcast.author
    body = f"[lastmeter] {broadcast.title}: {note}"
    if author.phone:
        enqueue(
            key=key[:200], transport="sms", recipient={"phone": author.phone, "person": author.pk}, body=body
        )
    else:
        enqueue(key=key[:200], transport="console", recipient={"person": author.pk}, body=body)


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
            raise Undeliverable(f"the bot was removed from the group: {group.bot_removed_reason}")
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
        take_turn(f"group:{group.pk}", spacing(group.platform))
        try:
            answer = post(group, message.subject or "", message.body)
        except BotRemoved as exc:
            mark_unreachable(group, str(exc))
            raise
        if delivery is not None:
            Delivery.objects.filter(pk=delivery.pk).update(
                platform_answer={"accepted": True, "answer": answer}
            )
        return DELIVERED
