"""The complaint's clocks: 15 working days across the National Day holiday, the 24-hour
acknowledgement, warnings, breaches and escalation exactly once, and late replies."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lastmeter.appeals.choices import ClockKind
from lastmeter.appeals.models import ClockPolicy, OutboxMessage
from lastmeter.complaints import clocks, services
from lastmeter.complaints.models import Complaint, ComplaintClock, ComplaintEvent
from lastmeter.stats import community_work
from lastmeter.stats.measures import Slice

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 29 September 2025, the week before the National Day holiday (1–8 October 2025, with
# Sunday 28 September and Saturday 11 October as adjusted working days).
FILED = datetime(2025, 9, 29, 10, 0, tzinfo=SHANGHAI)


def test_it_gives_15_working_days_across_the_national_day_holiday(world, new_complaint):
    ClockPolicy.objects.create(kind=ClockKind.COMPLAINT_REPLY, amount=15, unit="working_days")
    with time_machine.travel(FILED, tick=False):
        complaint = new_complaint()
    reply = complaint.clocks.get(kind="reply")
    # Counted by hand: 30 Sep (1); 1–8 Oct off; 9, 10, Sat 11 (adjusted) (2–4); 13–17 (5–9);
    # 20–24 (10–14); 27 Oct (15): due at the end of Monday 27 October.
    assert reply.due_at == datetime(2025, 10, 28, 0, 0, tzinfo=SHANGHAI)
    assert reply.unit == "working_days" and reply.amount == 15
    ack = complaint.clocks.get(kind="acknowledge")
    assert ack.due_at == FILED + timedelta(hours=24)


def test_it_uses_15_calendar_days_without_a_policy(world, new_complaint):
    with time_machine.travel(FILED, tick=False):
        complaint = new_complaint()
    assert complaint.clocks.get(kind="reply").due_at == FILED + timedelta(days=15)


def test_it_warns_breaches_and_escalates_once_even_with_two_sweeps(world, new_complaint):
    with time_machine.travel(FILED, tick=False):
        complaint = new_complaint()
    # 20 hours on: past 75 % of the acknowledgement's 24 hours.
    assert clocks.sweep(FILED + timedelta(hours=20)) == {"complaints_warned": 1, "complaints_breached": 0}
    assert clocks.sweep(FILED + timedelta(hours=20)) == {"complaints_warned": 0, "complaints_breached": 0}
    # A day and a half on: the acknowledgement is late, escalated to the leader; swept twice.
    late = FILED + timedelta(hours=36)
    assert clocks.sweep(late)["complaints_breached"] == 1
    assert clocks.sweep(late)["complaints_breached"] == 0
    ack = complaint.clocks.get(kind="acknowledge")
    assert ack.state == "breached" and ack.escalated_to == world.leader
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="escalated").count() == 1
    escalation = OutboxMessage.objects.get(key__startswith=f"cclock:{ack.pk}:esc")
    assert complaint.reference in escalation.body and "钱" not in escalation.body  # no complainant
    # The warning went to the legal office (no reviewer yet), never to the officer concerned.
    warned = OutboxMessage.objects.filter(key__startswith="cclock:").exclude(key__contains=":esc")
    assert {m.recipient.get("person") for m in warned} == {world.legal_reviewer.pk}
    # Acknowledged late: met late, and the reply clock still runs.
    with time_machine.travel(late + timedelta(hours=1), tick=False):
        services.do_acknowledge(world.scope(world.legal_reviewer), complaint.pk)
    ack.refresh_from_db()
    assert ack.state == "met_late"
    assert complaint.clocks.get(kind="reply").state == "running"


def test_it_counts_a_reply_after_the_deadline_as_late_even_before_a_sweep(world, new_complaint):
    with time_machine.travel(FILED, tick=False):
        complaint = new_complaint()
        services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    with time_machine.travel(FILED + timedelta(days=16), tick=False):
        services.do_decide(
            world.scope(world.legal_reviewer),
            complaint.pk,
            kind="uphold",
            reasons="处罚事实清楚，证据确实充分。",
        )
    assert complaint.clocks.get(kind="reply").state == "met_late"
    figures = community_work.on_time_reply_rate(Slice(date(2020, 1, 1), date(2030, 12, 31)))
    assert (figures["replied_on_time"], figures["replied_late"], figures["reply_on_time_rate"]) == (0, 1, 0.0)


def test_it_starts_a_new_reply_clock_for_the_further_appeal(world, new_complaint, second_reviewer):
    complaint = new_complaint()
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    services.do_decide(
        world.scope(world.legal_reviewer), complaint.pk, kind="uphold", reasons="处罚事实清楚，证据确实充分。"
    )
    services.do_appeal(world.scope(world.leader), complaint.pk, reason="不服，申请复核")
    rounds = list(
        ComplaintClock.objects.filter(complaint=complaint, kind="reply").values_list("round", "state")
    )
    assert sorted(rounds) == [(1, "met"), (2, "running")]
    services.do_withdraw(world.scope(world.leader), complaint.pk, reason="当事人电话撤回")
    assert ComplaintClock.objects.get(complaint=complaint, kind="reply", round=2).state == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_it_escalates_exactly_once_with_two_concurrent_sweepers(world, new_complaint):
    """Two sweepers in two threads with their own connections race over the same breaches."""
    import threading

    from django.db import connections

    with time_machine.travel(FILED, tick=False):
        for _ in range(6):
            new_complaint()
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(clocks.sweep(FILED + timedelta(days=16)))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sum(r["complaints_breached"] for r in results) == 12  # 6 acknowledgements + 6 replies
    assert ComplaintEvent.objects.filter(kind="clock_breach").count() == 12
    # The world has one leader: each complaint's first breach goes to them, the second finds
    # nobody higher to go to.
    assert ComplaintEvent.objects.filter(kind="escalated").count() == 6
    assert set(Complaint.objects.values_list("escalation_level", flat=True)) == {1}
