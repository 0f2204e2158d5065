"""Delivery to every platform through the outbox, against loopback fakes of the platforms:
formats, message counts, rate limits, a platform failing for a while, a bot removed."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import httpx
import pytest
import time_machine

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.broadcasts import services
from lastmeter.broadcasts.selectors import broadcast_report
from lastmeter.broadcasts.tests.conftest import PATHS, audience, draft
from lastmeter.lib.errors import ServiceError

pytestmark = pytest.mark.django_db
START = "2026-03-02 09:00 +0800"  # a Monday


def send(world, **kw):
    scope = world.scope(world.grid_officer)
    b = services.do_create_broadcast(scope, draft(audience(world, **kw)))
    return services.do_submit(scope, b.pk)


def test_it_posts_each_platform_its_own_format_once(world, groups, platforms, subscribers):
    with time_machine.travel(START, tick=False):
        b = send(world, sms_residents=True)
        assert deliver_due() == {"sent": 4, "logged": 3, "retried": 0, "failed": 0}
        assert deliver_due()["sent"] == 0  # nothing is posted twice
    for platform in PATHS:
        assert len(platforms.accepted[platform]) == 1, platform
    ding = platforms.accepted["dingtalk"][0]
    assert ding.body["msgtype"] == "markdown" and "福州路17点" in ding.body["markdown"]["text"]
    assert ding.query["access_token"] == ["ding-token"] and ding.query["sign"] and ding.query["timestamp"]
    feishu = platforms.accepted["feishu"][0].body
    assert (
        feishu["msg_type"] == "interactive"
        and feishu["sign"]
        and feishu["card"]["elements"][0]["tag"] == "markdown"
    )
    wecom = platforms.accepted["wecom"][0].body
    assert wecom["msgtype"] == "markdown" and wecom["markdown"]["content"].startswith("**晚高峰提醒**")
    tg = platforms.accepted["telegram"][0].body
    assert (
        tg["chat_id"] == "chat-telegram"
        and tg["parse_mode"] == "HTML"
        and tg["text"].startswith("<b>晚高峰提醒</b>")
    )
    report = broadcast_report(b)[0]
    assert report.counts == {"sent": 4, "logged": 3}
    answered = [line for line in report.lines if line.status == "sent"]
    assert all(line.answer.get("accepted") for line in answered)


def test_the_fakes_throttle_a_burst_as_the_platforms_do(platforms):
    url = f"{platforms.base}{PATHS['wecom']}"
    with time_machine.travel(START, tick=False):
        answers = [httpx.post(url, json={"msgtype": "text"}).json() for _ in range(21)]
    assert [a["errcode"] for a in answers].count(45009) == 1 and platforms.throttled["wecom"] == 1


def test_it_keeps_every_group_under_its_platforms_rate_limit(world, groups, platforms):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(25):
            send(world)
        rows = OutboxMessage.objects.filter(recipient__platform="dingtalk").order_by("next_attempt_at")
        gaps = {(b.next_attempt_at - a.next_attempt_at) for a, b in pairwise(rows)}
        assert gaps == {timedelta(seconds=3)}  # 20 per minute
        for _ in range(80):  # the worker passing every second for 80 s
            deliver_due(limit=500)
            clock.shift(1)
    for platform in PATHS:
        assert len(platforms.accepted[platform]) == 25, platform
        assert platforms.throttled[platform] == 0, platform
    assert OutboxMessage.objects.exclude(state="sent").count() == 0


@pytest.mark.parametrize("failing", list(PATHS))
def test_it_retries_a_platform_that_fails_for_a_while(world, groups, platforms, settings, failing):
    settings.LASTMETER_OUTBOX_BACKOFF_S = 30.0
    platforms.fail_next[failing] = 3
    with time_machine.travel(START, tick=False) as clock:
        b = send(world)
        assert deliver_due() == {"sent": 3, "logged": 0, "retried": 1, "failed": 0}
        for _ in range(3):
            clock.shift(timedelta(minutes=5))
            deliver_due()
    row = OutboxMessage.objects.get(recipient__platform=failing)
    assert row.state == "sent" and row.attempts == 4
    assert {p: len(seen) for p, seen in platforms.accepted.items()} == dict.fromkeys(PATHS, 1)
    assert broadcast_report(b)[0].counts == {"sent": 4}


def test_it_marks_a_group_whose_bot_was_removed_and_refuses_the_next_broadcast(world, groups, platforms):
    platforms.kicked.update({"telegram", "wecom"})
    with time_machine.travel(START, tick=False):
        b = send(world)
        assert deliver_due()["retried"] == 2
    groups["telegram"].refresh_from_db()
    groups["wecom"].refresh_from_db()
    assert "kicked" in groups["telegram"].bot_removed_reason and groups["wecom"].bot_removed_at
    failed = [line for line in broadcast_report(b)[0].lines if line.status == "pending"]
    assert {line.transport for line in failed} == {"channel:broadcast"} and "kicked" in failed[
        0
    ].why + failed[1].why
    before = OutboxMessage.objects.count()
    with pytest.raises(ServiceError, match="telegram群"):
        send(world)
    assert OutboxMessage.objects.count() == before
