"""Clocks with time travel: warnings, breaches, escalation up the four-level chain, exactly once."""

from __future__ import annotations

import pytest
import time_machine

from lastmeter.appeals import services
from lastmeter.appeals.choices import ClockKind, ClockState, ClockUnit, EventKind
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import AppealEvent, Clock, ClockPolicy, OutboxMessage

START = "2026-03-02 09:00 +0800"  # a Monday


def test_it_warns_at_75_percent_and_breaches_at_the_deadline(world, new_appeal):
    with time_machine.travel(START, tick=False) as t:
        appeal = new_appeal()
        assert sweep() == {"warned": 0, "breached": 0}
        t.shift(90 * 60)  # 1.5 h of the 2 h contact clock
        assert sweep() == {"warned": 1, "breached": 0}
        assert sweep() == {"warned": 0, "breached": 0}  # idempotent
        t.shift(31 * 60)
        assert sweep()["breached"] == 1
        contact = appeal.clocks.get(kind=ClockKind.CONTACT)
        assert contact.state == ClockState.BREACHED
        assert AppealEvent.objects.filter(appeal=appeal, kind=EventKind.CLOCK_BREACH).count() == 1


def test_it_escalates_one_level_up_the_chain_per_breach(world, new_appeal):
    """The assignee is the grid's community officer: the contact breach goes to leadership
    (the only level above); the land breach finds nobody higher and escalates no further."""
    with time_machine.travel(START, tick=False) as t:
        appeal = new_appeal()
        t.shift(2 * 3600 + 1)
        sweep()
        contact = appeal.clocks.get(kind=ClockKind.CONTACT)
        assert contact.escalated_to == world.leader
        t.shift(24 * 3600)
        sweep()
        appeal.refresh_from_db()
        assert appeal.escalation_level == 1
        assert AppealEvent.objects.filter(appeal=appeal, kind=EventKind.ESCALATED).count() == 1
        assert OutboxMessage.objects.filter(key__startswith=f"escalation:{contact.pk}:").count() == 1


def test_it_escalates_from_a_grid_member_to_community_police_then_leadership(world, new_appeal):
    from lastmeter.accounts.models import DutyShift

    with time_machine.travel(START, tick=False) as t:
        from django.utils import timezone

        now = timezone.now()
        DutyShift.objects.create(
            person=world.grid_member, grid=world.grid_a, starts_at=now, ends_at=now.replace(hour=23)
        )
        appeal = new_appeal()
        assert appeal.assignee == world.grid_member  # on duty wins over the responsible officer
        t.shift(2 * 3600 + 1)
        sweep()
        assert appeal.clocks.get(kind=ClockKind.CONTACT).escalated_to == world.grid_officer
        t.shift(24 * 3600)
        sweep()
        assert appeal.clocks.get(kind=ClockKind.LAND).escalated_to == world.leader


def test_it_meets_a_breached_clock_late(world, new_appeal):
    with time_machine.travel(START, tick=False) as t:
        appeal = new_appeal()
        t.shift(3 * 3600)
        sweep()
        officer = world.scope(world.grid_officer)
        services.do_acknowledge(officer, appeal.pk)
        services.do_contact(officer, appeal.pk)
        assert appeal.clocks.get(kind=ClockKind.CONTACT).state == ClockState.MET_LATE


def test_it_uses_a_category_policy_in_working_days(world, new_appeal):
    ClockPolicy.objects.create(
        kind=ClockKind.LAND, category=world.police_category, amount=2, unit=ClockUnit.WORKING_DAYS
    )
    with time_machine.travel("2026-09-29 10:00 +0800", tick=False):
        appeal = new_appeal()
    land = appeal.clocks.get(kind=ClockKind.LAND)
    # 30 Sept is a working day, then the National Day break: day 2 is 8 October.
    assert land.due_at.isoformat() == "2026-10-08T16:00:00+00:00"


def test_it_uses_the_default_policy_when_the_category_has_none(world, new_appeal):
    """A policy with no category is the jurisdiction's default (it was once dropped by an IN (…, NULL))."""
    ClockPolicy.objects.create(kind=ClockKind.LAND, category=None, amount=48, unit="hours")
    with time_machine.travel(START, tick=False):
        appeal = new_appeal()
        land = appeal.clocks.get(kind=ClockKind.LAND)
        assert (land.due_at - land.started_at).total_seconds() == 48 * 3600


def test_it_prefers_the_category_policy_over_the_default(world, new_appeal):
    ClockPolicy.objects.create(kind=ClockKind.LAND, category=None, amount=48, unit="hours")
    ClockPolicy.objects.create(kind=ClockKind.LAND, category=world.police_category, amount=12, unit="hours")
    with time_machine.travel(START, tick=False):
        appeal = new_appeal()
        land = appeal.clocks.get(kind=ClockKind.LAND)
        assert (land.due_at - land.started_at).total_seconds() == 12 * 3600


def test_it_never_breaches_a_paused_clock(world, new_appeal):
    with time_machine.travel(START, tick=False) as t:
        appeal = new_appeal()
        services.do_pause(world.scope(world.grid_officer), appeal.pk, reason="联系不上")
        t.shift(48 * 3600)
        assert sweep()["breached"] == 0
        assert set(appeal.clocks.values_list("state", flat=True)) == {ClockState.PAUSED}


@pytest.mark.django_db(transaction=True)
def test_it_escalates_exactly_once_with_two_concurrent_sweepers(django_db_blocker):
    """Two sweepers in two threads with their own connections, racing over the same breaches."""
    import threading

    from django.db import connections

    from lastmeter.testing.world import build_world

    w = build_world()
    from lastmeter.appeals.services import NewAppeal, do_create_appeal
    from lastmeter.testing.world import POINT_IN_A

    with time_machine.travel(START, tick=False) as t:
        for i in range(12):
            do_create_appeal(
                NewAppeal(
                    channel="web",
                    text=f"违停 {i}",
                    lat=POINT_IN_A[0],
                    lon=POINT_IN_A[1],
                    category=w.police_category,
                )
            )
        t.shift(30 * 3600)
        barrier = threading.Barrier(2)
        results: list[dict] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait()
                results.append(sweep())
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert not errors, errors
    assert sum(r["breached"] for r in results) == 24  # 12 contact + 12 land clocks, each once
    assert Clock.objects.filter(state=ClockState.BREACHED).count() == 24
    assert AppealEvent.objects.filter(kind=EventKind.CLOCK_BREACH).count() == 24
    assert AppealEvent.objects.filter(kind=EventKind.ESCALATED).count() == 12  # only leadership is above
