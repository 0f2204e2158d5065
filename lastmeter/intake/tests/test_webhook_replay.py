"""Hostile webhooks store nothing: a signature reused for another body (a replay with forged
content), a tampered body, a stale timestamp, a body over the size limit. An exact re-delivery
of a real request is the platform's retry: answered, stored once."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from lastmeter.intake.channels.dingtalk.adapter import dingtalk_sign
from lastmeter.intake.models import InboundItem, WebhookNonce
from lastmeter.intake.tests import test_dingtalk, test_feishu, test_wecom

pytestmark = pytest.mark.django_db

DINGTALK = "/intake/hooks/dingtalk/"


def dingtalk_request(client, payload: dict, ts: str, sign: str):
    body = json.dumps(payload, ensure_ascii=False).encode()
    return client.generic(
        "POST", DINGTALK, data=body, content_type="application/json", headers={"timestamp": ts, "sign": sign}
    )


def test_it_refuses_dingtalk_headers_replayed_with_another_body(client, world, intake_conf, fake_api):
    ts = str(int(time.time() * 1000))
    sign = dingtalk_sign(ts, test_dingtalk.SECRET)
    real = test_dingtalk.callback("msgR1", "延安东路上有人乱停车堵住小区大门，请民警处理", fake_api.base)
    assert dingtalk_request(client, real, ts, sign).status_code == 200
    assert InboundItem.objects.count() == 1

    # Someone who saw those headers signs their own message with them: refused, nothing stored.
    forged = test_dingtalk.callback("msgR2", "福州路有人打架，快来", fake_api.base)
    r = dingtalk_request(client, forged, ts, sign)
    assert r.status_code == 403 and "replayed" in r.json()["detail"]
    assert InboundItem.objects.count() == 1

    # The same request again (DingTalk retrying): answered as a duplicate, still one item.
    again = dingtalk_request(client, real, ts, sign)
    assert again.status_code == 200 and again.json().get("duplicate") is True
    assert InboundItem.objects.count() == 1


def test_it_refuses_a_tampered_or_stale_webhook_on_every_signed_platform(
    client, world, intake_conf, fake_api
):
    # Feishu signs the body: one changed byte is refused.
    event = test_feishu.event("ev-t1", "@警务助手 福州路上有人乱停车")
    assert test_feishu.post(client, event, tamper=True).status_code in (401, 403)
    # Stale: a timestamp outside the window, correctly signed.
    old = int(time.time()) - 2 * 3600
    assert test_feishu.post(client, event, ts=old).status_code == 403
    assert (
        test_wecom.post_robot(client, "m-stale", "福州路上有人乱停车", fake_api.base, ts=old).status_code
        == 403
    )
    old_ms = (int(time.time()) - 2 * 3600) * 1000
    assert (
        test_dingtalk.post(
            client, test_dingtalk.callback("m-old", "有人乱停车", fake_api.base), ts_ms=old_ms
        ).status_code
        == 403
    )
    # WeCom with a wrong signature.
    assert test_wecom.post_robot(client, "m-sig", "有人乱停车", fake_api.base, sig="0" * 40).status_code in (
        401,
        403,
    )
    assert InboundItem.objects.count() == 0
    assert WebhookNonce.objects.count() == 0  # refused before the nonce was spent


def test_it_refuses_a_body_over_the_limit_before_reading_it(client, world, intake_conf, settings, fake_api):
    settings.LASTMETER_MAX_BODY_BYTES = 2048
    payload = test_dingtalk.callback("m-big", "有人乱停车" * 400, fake_api.base)
    assert test_dingtalk.post(client, payload).status_code == 413
    assert InboundItem.objects.count() == 0


def test_it_forgets_nonces_once_their_timestamps_could_no_longer_pass(
    client, world, intake_conf, fake_api, settings
):
    assert (
        test_dingtalk.post(client, test_dingtalk.callback("m-1", "有人乱停车堵门", fake_api.base)).status_code
        == 200
    )
    assert WebhookNonce.objects.count() == 1
    later = timezone.now() + timedelta(seconds=2 * settings.LASTMETER_MAX_CLOCK_SKEW_S + 60)
    with time_machine.travel(later):
        assert (
            test_dingtalk.post(
                client, test_dingtalk.callback("m-2", "又有人乱停车", fake_api.base)
            ).status_code
            == 200
        )
    assert WebhookNonce.objects.count() == 1


def test_it_compares_secrets_in_constant_time():
    # Every adapter compares signatures and tokens with hmac.compare_digest, never ==.
    from pathlib import Path

    adapters = Path(__file__).resolve().parent.parent / "channels"
    for source in adapters.glob("*/adapter.py"):
        text = source.read_text()
        assert "compare_digest" in text, source
        for line in text.splitlines():
            assert not ("expected" in line and "==" in line), f"{source.name}: {line.strip()}"
