"""Replies on WeCom: through the group robot's webhook when the message came with one, else
through the app's message/send (a person) or appchat/send (a group chat) API."""

from __future__ import annotations

from django.conf import settings

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.backends import DeliveryError
from lastmeter.intake.channels.http import request_json, tokens, url_under


def _access_token() -> tuple[str, float]:
    base = settings.LASTMETER_WECOM_API_BASE.rstrip("/")
    answer = request_json(
        "GET",
        f"{base}/cgi-bin/gettoken",
        params={
            "corpid": settings.LASTMETER_WECOM_RECEIVE_ID,
            "corpsecret": settings.LASTMETER_WECOM_CORP_SECRET,
        },
    )
    if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
        raise DeliveryError(f"WeCom gave no access token: {answer.get('errmsg', answer)}")
    return str(answer["access_token"]), float(answer.get("expires_in", 7200))


def _check(answer: dict) -> None:
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(f"WeCom refused: {answer.get('errmsg', answer)}")


class WeComSender:
    """Outbox backend for ``channel:wecom``; recipient = {webhook_url, chat_id, user_id}."""

    def send(self, message: OutboxMessage) -> None:
        ref = message.recipient
        base = settings.LASTMETER_WECOM_API_BASE.rstrip("/")
        webhook = str(ref.get("webhook_url") or "")
        text: dict = {"content": message.body}
        if ref.get("user_id"):
            text["mentioned_list"] = [ref["user_id"]]
        if webhook:
            if not url_under(webhook, base):
                raise DeliveryError("the robot webhook is not on the configured WeCom host")
            _check(request_json("POST", webhook, json={"msgtype": "text", "text": text}))
            return
        if not settings.LASTMETER_WECOM_CORP_SECRET:
            raise DeliveryError("no robot webhook and no LASTMETER_WECOM_CORP_SECRET to send otherwise")
        token = tokens.get("wecom", _access_token)
        if ref.get("chat_id"):
            _check(
                request_json(
                    "POST",
                    f"{base}/cgi-bin/appchat/send",
                    params={"access_token": token},
                    json={"chatid": ref["chat_id"], "msgtype": "text", "text": {"content": message.body}},
                )
            )
            return
        if not ref.get("user_id"):
            raise DeliveryError("nobody to answer")
        _check(
            request_json(
                "POST",
                f"{base}/cgi-bin/message/send",
                params={"access_token": token},
                json={
                    "touser": ref["user_id"],
                    "msgtype": "text",
                    "agentid": int(settings.LASTMETER_WECOM_AGENT_ID or 0),
                    "text": {"content": message.body},
                },
            )
        )
