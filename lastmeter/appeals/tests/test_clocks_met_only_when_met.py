"""A clock is "met" only when it was met: the state comes from comparing the stop time with the
deadline, also when the sweeper never saw the clock running late (a back-dated appeal, a step
recorded after the fact), and the day's figures count it as late."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from lastmeter.appeals import services
from lastmeter.appeals.choices import ClockKind, ClockState, EventKind
from lastmeter.appeals.models import AppealEvent
from lastmeter.testing.world import POINT_IN_A
from lastmeter.web.command_selectors import today_kpis


def test_it_breaches_a_contact_made_18_hours_late_even_if_the_sweeper_never_ran(world):
    with time_machine.travel("2026-03-02 20:00 +0800", tick=False):
        now = timezone.now()
        # Filed 20 hours ago (as the demo and imports back-date appeals); contacted only now.
        appeal = services.do_create_appeal(
            services.NewAppeal(
                channel="hotline",
                text="楼上装修太吵",
                reporter_phone="13912345678",
                lat=POINT_IN_A[0],
                lon=POINT_IN_A[1],
                category=world.police_category,
            ),
            now=now - timedelta(hours=20),
        )
        officer = world.scope(world.grid_officer)
        services.do_acknowledge(officer, appeal.pk)
        services.do_contact(officer, appeal.pk)
        contact = appeal.clocks.get(kind=ClockKind.CONTACT)
        assert contact.due_at == now - timedelta(hours=18)
        assert contact.state == ClockState.MET_LATE
        assert (contact.breached_at, contact.met_at) == (contact.due_at, now)
        breach = AppealEvent.objects.get(appeal=appeal, kind=EventKind.CLOCK_BREACH)
        assert breach.data["clock"] == contact.pk
        # Landing 20 hours after filing is within the 24-hour clock: that one is met.
        services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
        assert appeal.clocks.get(kind=ClockKind.LAND).state == ClockState.MET
        k = today_kpis(now)
        assert (k["contacted_on_time"], k["contacted_late"]) == (0, 1)
        assert (k["landed_on_time"], k["landed_late"]) == (1, 0)
        assert k["met_late"] == 1


def test_it_meets_a_clock_stopped_before_its_deadline(world, new_appeal):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        appeal = new_appeal()
        t.shift(3600)
        officer = world.scope(world.grid_officer)
        services.do_acknowledge(officer, appeal.pk)
        services.do_contact(officer, appeal.pk)
        contact = appeal.clocks.get(kind=ClockKind.CONTACT)
        assert contact.state == ClockState.MET and contact.breached_at is None
        assert not AppealEvent.objects.filter(appeal=appeal, kind=EventKind.CLOCK_BREACH).exists()
