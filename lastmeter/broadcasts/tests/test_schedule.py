"""Recurring broadcasts on China's calendar: working days at 07:15 and 16:45, holidays skipped."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lastmeter.broadcasts import services
from lastmeter.broadcasts.algorithms.schedule import next_occurrence, parse_times
from lastmeter.broadcasts.tests.conftest import audience, draft
from lastmeter.lib.clocks import is_working_day
from lastmeter.worker import run_once

SH = ZoneInfo("Asia/Shanghai")


def test_next_occurrence_skips_the_may_day_holiday_and_takes_the_adjusted_saturday():
    times = parse_times(["16:45", "07:15"])
    at = datetime(2026, 4, 30, 17, 0, tzinfo=SH)
    nxt = next_occurrence(at, times, SH, working_days_only=True, is_working_day=is_working_day)
    assert nxt == datetime(2026, 5, 6, 7, 15, tzinfo=SH)  # 1–5 May are days off
    sat = next_occurrence(
        datetime(2026, 5, 8, 17, 0, tzinfo=SH),
        times,
        SH,
        working_days_only=True,
        is_working_day=is_working_day,
    )
    assert sat == datetime(2026, 5, 9, 7, 15, tzinfo=SH)  # 9 May (Saturday) is a working day (调休)
    every = next_occurrence(at, [time(7, 15)], SH, working_days_only=False, is_working_day=is_working_day)
    assert every == datetime(2026, 5, 1, 7, 15, tzinfo=SH)
    assert (
        next_occurrence(
            at, times, SH, working_days_only=True, is_working_day=is_working_day, until=date(2026, 5, 5)
        )
        is None
    )
    with pytest.raises(ValueError):
        parse_times(["7.15"])


@pytest.mark.django_db
def test_a_rush_hour_reminder_fires_on_working_days_and_not_on_the_holiday(world, groups):
    scope = world.scope(world.grid_officer)
    figures = [{"label": "福州路 工作日17时事故", "value": "6起", "url": "/stats/hotspots/?kind=accidents"}]
    with time_machine.travel(datetime(2026, 4, 30, 6, 0, tzinfo=SH), tick=False) as clock:
        b = services.do_create_broadcast(
            scope,
            draft(
                audience(world),
                kind="rush_hour",
                repeat="working_days",
                times=["07:15", "16:45"],
                sources=figures,
            ),
        )
        services.do_submit(scope, b.pk)
        b.refresh_from_db()
        assert b.next_run_at == datetime(2026, 4, 30, 7, 15, tzinfo=SH)
        end = datetime(2026, 5, 9, 18, 0, tzinfo=SH)
        while datetime.now(SH) < end:
            services.fire_due()
            services.fire_due()  # a second worker in the same instant fires nothing more
            clock.shift(timedelta(minutes=30))
    slots = list(b.runs.order_by("fired_at").values_list("slot", flat=True))
    assert slots == [
        "2026-04-30T07:15",
        "2026-04-30T16:45",
        "2026-05-06T07:15",
        "2026-05-06T16:45",
        "2026-05-07T07:15",
        "2026-05-07T16:45",
        "2026-05-08T07:15",
        "2026-05-08T16:45",
        "2026-05-09T07:15",
        "2026-05-09T16:45",
    ]
    assert all(r.deliveries.filter(state="queued").count() == 4 for r in b.runs.all())
    b.refresh_from_db()
    assert b.sources == figures and b.next_run_at == datetime(2026, 5, 11, 7, 15, tzinfo=SH)


@pytest.mark.django_db
def test_the_worker_pass_fires_a_due_broadcast_and_delivers_it(world, groups):
    scope = world.scope(world.grid_officer)
    with time_machine.travel(datetime(2026, 4, 30, 6, 0, tzinfo=SH), tick=False) as clock:
        b = services.do_create_broadcast(
            scope, draft(audience(world), send_at=datetime(2026, 4, 30, 7, 0, tzinfo=SH))
        )
        services.do_submit(scope, b.pk)
        assert run_once()["broadcasts_fired"] == 0
        clock.shift(timedelta(hours=1))
        result = run_once()
    assert result["broadcasts_fired"] == 1 and result["sent"] == 4
    b.refresh_from_db()
    assert b.state == "done"
