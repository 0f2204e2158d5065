"""Published sending limits per destination, and the spacing of messages that keeps under them.

Each number is the platform's own documented limit for a bot posting to ONE group (a limit per
robot/group, so messages to different groups do not wait for each other):

- DingTalk custom group robot: at most 20 messages per minute per robot; more and the robot is
  throttled for 10 minutes (DingTalk open platform, "自定义机器人发送群消息" / robot access docs).
- WeCom group robot (群机器人): at most 20 messages per minute per robot (WeCom developer docs,
  "群机器人配置说明", 消息发送频率限制).
- Feishu / Lark custom bot: 100 requests per minute and 5 per second per bot (Feishu open
  platform, "自定义机器人使用指南", 频率控制).
- Telegram Bot API: no more than 20 messages per minute to the same group (Telegram Bot FAQ,
  "My bot is hitting limits, how do I avoid this?").
- SMS: mainland providers cap messages to one number (Aliyun SMS "短信发送频率限制": 1 per
  minute for the same number by default); we space messages to one phone by a minute.
"""

from __future__ import annotations

from datetime import timedelta

from lastmeter.broadcasts.choices import Platform

# (messages per minute, messages per second) per destination
LIMITS: dict[str, tuple[int, int | None]] = {
    Platform.DINGTALK: (20, None),
    Platform.WECOM: (20, None),
    Platform.FEISHU: (100, 5),
    Platform.TELEGRAM: (20, None),
    "sms": (1, None),
}


def spacing(kind: str) -> timedelta:
    """The gap between two messages to one destination of this kind that keeps within both of
    its published limits (evenly spaced messages never burst)."""
    per_minute, per_second = LIMITS[kind]
    gap = 60.0 / per_minute
    if per_second:
        gap = max(gap, 1.0 / per_second)
    return timedelta(seconds=gap)
