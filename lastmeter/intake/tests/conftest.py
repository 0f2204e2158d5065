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
    """Every channel configured (settings.LASTMETER_<CHANNEL>_*), all platform APIs pointing at the
    loopback fake."""
    settings.LASTMETER_TELEGRAM_SECRET_TOKEN = "tg-secret-123"
    settings.LASTMETER_TELEGRAM_BOT_TOKEN = "123456:ABC-DEF"
    settings.LASTMETER_TELEGRAM_BOT_USERNAME = "lastmeter_police_bot"
    settings.LASTMETER_TELEGRAM_API_BASE = fake_api.base
    settings.LASTMETER_DINGTALK_APP_SECRET = "SECdingtalk-app-secret"
    settings.LASTMETER_DINGTALK_APP_KEY = "ding-app-key"
    settings.LASTMETER_DINGTALK_ROBOT_CODE = "ding-robot"
    settings.LASTMETER_DINGTALK_OAPI_BASE = fake_api.base
    settings.LASTMETER_DINGTALK_API_BASE = fake_api.base
    settings.LASTMETER_FEISHU_ENCRYPT_KEY = "test-encrypt-key-xyz"
    settings.LASTMETER_FEISHU_VERIFICATION_TOKEN = "verify-token-abc"
    settings.LASTMETER_FEISHU_APP_ID = "cli_test"
    settings.LASTMETER_FEISHU_APP_SECRET = "feishu-secret"
    settings.LASTMETER_FEISHU_API_BASE = fake_api.base
    settings.LASTMETER_WECOM_TOKEN = "QDG6eK"
    settings.LASTMETER_WECOM_ENCODING_AES_KEY = WECOM_KEY
    settings.LASTMETER_WECOM_RECEIVE_ID = WECOM_CORP
    settings.LASTMETER_WECOM_CORP_SECRET = "corp-secret"
    settings.LASTMETER_WECOM_AGENT_ID = "218"
    settings.LASTMETER_WECOM_API_BASE = fake_api.base
    settings.LASTMETER_BACKOFF_S = 0.0
