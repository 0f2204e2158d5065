"""Fixtures of the intake tests: platform secrets, a fake platform API on loopback."""

from __future__ import annotations

import pytest

from lastmeter.intake.channels.http import tokens
from lastmeter.intake.tests.fakes import FakeApi

WECOM_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 chars, from WeCom's published sample
WECOM_CORP = "wx5823bf96d3bd56c7"


@pytest.fixture
def fake_api():
    api = FakeApi().start()
    tokens.clear()
    yield api
    api.stop()
    tokens.clear()


@pytest.fixture
def intake_conf(settings, fake_api):
    """Every channel configured, all platform APIs pointing at the loopback fake."""
    settings.LASTMETER_INTAKE = {
        "TELEGRAM_SECRET_TOKEN": "tg-secret-123",
        "TELEGRAM_BOT_TOKEN": "123456:ABC-DEF",
        "TELEGRAM_BOT_USERNAME": "lastmeter_police_bot",
        "TELEGRAM_API_BASE": fake_api.base,
        "DINGTALK_APP_SECRET": "SECdingtalk-app-secret",
        "DINGTALK_APP_KEY": "ding-app-key",
        "DINGTALK_ROBOT_CODE": "ding-robot",
        "DINGTALK_OAPI_BASE": fake_api.base,
        "DINGTALK_API_BASE": fake_api.base,
        "FEISHU_ENCRYPT_KEY": "test-encrypt-key-xyz",
        "FEISHU_VERIFICATION_TOKEN": "verify-token-abc",
        "FEISHU_APP_ID": "cli_test",
        "FEISHU_APP_SECRET": "feishu-secret",
        "FEISHU_API_BASE": fake_api.base,
        "WECOM_TOKEN": "QDG6eK",
        "WECOM_ENCODING_AES_KEY": WECOM_KEY,
        "WECOM_RECEIVE_ID": WECOM_CORP,
        "WECOM_CORP_SECRET": "corp-secret",
        "WECOM_AGENT_ID": "218",
        "WECOM_API_BASE": fake_api.base,
        "BACKOFF_S": 0.0,
    }
    return settings.LASTMETER_INTAKE
