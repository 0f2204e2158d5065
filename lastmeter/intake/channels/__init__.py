"""Inbound channel adapters, one package per platform; importing this registers them all."""

from lastmeter.intake.channels.dingtalk import adapter as _dingtalk  # noqa: F401
from lastmeter.intake.channels.feishu import adapter as _feishu  # noqa: F401
from lastmeter.intake.channels.telegram import adapter as _telegram  # noqa: F401
from lastmeter.intake.channels.wecom import adapter as _wecom  # noqa: F401
