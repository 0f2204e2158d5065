"""Configuration of the intake channels: secrets, API base URLs, limits.

Each knob is read, in order, from the Django setting ``LASTMETER_INTAKE`` (a dict; tests set it),
then from the environment variable ``LASTMETER_<NAME>``, then from the default below. Reading at
use time (not import time) lets tests and `lastmeter serve` change them without a restart.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    # Bodies larger than this are refused with 413 before they are read.
    "MAX_BODY_BYTES": 256 * 1024,
    # Photos on the web form.
    "MAX_PHOTO_BYTES": 5 * 1024 * 1024,
    # Webhooks whose timestamp is older (or further in the future) than this are replays: 4xx.
    "MAX_CLOCK_SKEW_S": 3600,
    # Processing: attempts before an item is parked as failed, and the base back-off in seconds.
    "MAX_ATTEMPTS": 6,
    "BACKOFF_S": 30.0,
    # A message from a reporter with an open appeal in the same thread within this window is an
    # update to it unless it is clearly a new problem.
    "UPDATE_WINDOW_H": 48,
    # Names the bot answers to in chats (besides platform @-mention metadata), comma separated.
    "BOT_NAMES": "社区民警,派出所,警务助手,lastmeter",
    # Telegram
    "TELEGRAM_SECRET_TOKEN": "",
    "TELEGRAM_BOT_TOKEN": "",
    "TELEGRAM_BOT_USERNAME": "",
    "TELEGRAM_API_BASE": "https://api.telegram.org",
    # DingTalk outgoing robot
    "DINGTALK_APP_SECRET": "",
    "DINGTALK_APP_KEY": "",
    "DINGTALK_ROBOT_CODE": "",
    "DINGTALK_OAPI_BASE": "https://oapi.dingtalk.com",
    "DINGTALK_API_BASE": "https://api.dingtalk.com",
    # Feishu / Lark
    "FEISHU_ENCRYPT_KEY": "",
    "FEISHU_VERIFICATION_TOKEN": "",
    "FEISHU_APP_ID": "",
    "FEISHU_APP_SECRET": "",
    "FEISHU_BOT_OPEN_ID": "",
    "FEISHU_API_BASE": "https://open.feishu.cn",
    # WeCom
    "WECOM_TOKEN": "",
    "WECOM_ENCODING_AES_KEY": "",
    "WECOM_RECEIVE_ID": "",
    "WECOM_CORP_SECRET": "",
    "WECOM_AGENT_ID": "",
    "WECOM_API_BASE": "https://qyapi.weixin.qq.com",
    # Absolute base of links sent to reporters (tracking links in chat replies); empty: relative.
    "PUBLIC_BASE_URL": "",
    # Outgoing HTTP timeout for reply senders.
    "HTTP_TIMEOUT_S": 10.0,
}


def get(name: str) -> Any:
    """The value of one knob (see the module docstring for the lookup order)."""
    if name not in DEFAULTS:
        raise ImproperlyConfigured(f"unknown intake setting {name}")
    overrides = getattr(settings, "LASTMETER_INTAKE", None) or {}
    if name in overrides:
        return overrides[name]
    default = DEFAULTS[name]
    raw = os.environ.get(f"LASTMETER_{name}")
    if raw is None:
        return default
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"LASTMETER_{name}={raw!r} is not a number") from None
    return raw


def bot_names() -> list[str]:
    return [n.strip() for n in str(get("BOT_NAMES")).split(",") if n.strip()]
