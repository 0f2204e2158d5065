"""Delivery to every platform through the outbox, against loopback fakes of the platforms:
formats, message counts, rate limits, a platform failing for a while, a bot removed."""

from __future__ import annotations

import time
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


def on(row: OutboxMessage, platform: str) -> bool:
    """Whether the outbox row goes to a group of ``platform`` (the recipient is encrypted at
    rest, so it is read, not filtered on)."""
    return row.recipient.get("platform") == platform


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
        rows = [r for r in OutboxMessage.objects.order_by("next_attempt_at") if on(r, "dingtalk")]
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
    (row,) = [r for r in OutboxMessage.objects.all() if on(r, failing)]
    assert row.state == "sent" and row.attempts == 4
    assert {p: len(seen) for p, seen in platforms.accepted.items()} == dict.fromkeys(PATHS, 1)
    assert broadcast_report(b)[0].counts == {"sent": 4}


@pytest.mark.parametrize("kicked", list(PATHS))
def test_a_group_whose_bot_was_removed_is_marked_its_author_told_and_nothing_half_sent(
    world, groups, platforms, kicked
):
    """Each platform's own "bot not in the group" answer (DingTalk 300001, Feishu 19001, WeCom
    93000, Telegram 403): the group is marked, the message and the later ones queued for it are
    parked (not retried, not posted), the author is told, and the next broadcast is refused."""
    platforms.kicked.add(kicked)
    with time_machine.travel(START, tick=False) as clock:
        first, second = send(world), send(world)  # two series queued for every group
        counts = deliver_due()
        assert counts["failed"] == 1 and counts["retried"] == 0
        for _ in range(10):
            clock.shift(timedelta(seconds=5))
            deliver_due(limit=500)
    group = groups[kicked]
    group.refresh_from_db()
    assert group.bot_removed_at is not None and group.bot_removed_reason
    rows = OutboxMessage.objects.filter(
        transport="channel:broadcast", broadcast_delivery__destination=f"group:{group.pk}"
    )
    assert [r.state for r in rows] == ["failed", "failed"]
    assert rows.order_by("id")[0].attempts == 1 and rows.order_by("id")[1].attempts == 0  # never posted
    assert len(platforms.api.calls(PATHS[kicked])) == 1  # one answer said it; nothing more was tried
    for other in set(PATHS) - {kicked}:
        assert len(platforms.accepted[other]) == 2, other
    for b, why in ((first, "BotRemoved"), (second, "未发送：机器人已被移出该群")):
        events = list(b.events.filter(kind="unreachable").values_list("note", flat=True))
        assert events == [f"{group.name}：机器人已被移出该群，重新加入前不再向该群发送。"]
        line = next(x for x in broadcast_report(b)[0].lines if x.label.endswith(group.name))
        assert line.status == "failed" and why in line.why
    told = OutboxMessage.objects.filter(key__contains=":unreachable:")
    assert told.count() == 2 and all("机器人已被移出" in m.body for m in told)
    assert {m.recipient.get("person") for m in told} == {world.grid_officer.pk}
    before = OutboxMessage.objects.count()
    with pytest.raises(ServiceError, match=group.name):
        send(world)
    assert OutboxMessage.objects.count() == before


def test_a_retry_keeps_the_groups_spacing(world, groups, platforms, settings):
    """DingTalk is down for the first 20 s: the first rows fail and their retries fall due in
    the middle of rows reserved for later. Every post to the group still keeps 3 s apart, and the
    fake (which throttles over 20 a minute) never has to refuse one."""
    settings.LASTMETER_OUTBOX_BACKOFF_S = 30.0
    with time_machine.travel(START, tick=False) as clock:
        platforms.down_until["dingtalk"] = time.time() + 20  # the travelled clock
        for _ in range(25):
            send(world)
        for _ in range(300):  # the worker passing every second for 5 minutes
            deliver_due(limit=500)
            clock.shift(1)
    assert platforms.failed["dingtalk"] == 7  # the rows of 0, 3, … 18 s
    assert len(platforms.accepted["dingtalk"]) == 25 and platforms.throttled["dingtalk"] == 0
    times = sorted(platforms.accepted_at["dingtalk"])
    assert min(b - a for a, b in pairwise(times)) >= 3.0
    retried = [r for r in OutboxMessage.objects.filter(attempts__gt=1) if on(r, "dingtalk")]
    assert len(retried) == 7 and all(r.state == "sent" for r in retried)
