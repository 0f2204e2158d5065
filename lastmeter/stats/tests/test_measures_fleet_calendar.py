"""The fleet's busy share by hour, China's working days and incident types, against hand-computed
fixtures (docs/MEASURES.md §Fleet and §Working days)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.appeals.choices import ClockKind, ClockState
from lastmeter.appeals.models import Clock
from lastmeter.dispatching.models import Assignment, Incident, Unit
from lastmeter.stats import measures, measures_time
from lastmeter.stats.measures import Slice
from lastmeter.stats.tests.fixture import SH, H, appeal
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B

pytestmark = pytest.mark.django_db


def local(month: int, day: int, hour: float) -> datetime:
    return datetime(2024, month, day, tzinfo=SH) + H * hour


def busy(unit: Unit, began: datetime, cleared: datetime | None) -> Assignment:
    incident = Incident.objects.create(title="出警", lat=POINT_IN_A[0], lon=POINT_IN_A[1], alarm_at=began)
    return Assignment.objects.create(incident=incident, unit=unit, dispatched_at=began, cleared_at=cleared)


@pytest.fixture
def fleet(world):
    p1 = Unit.objects.create(code="P1", name="巡逻车1", agency="police", unit_type="patrol_car")
    p2 = Unit.objects.create(code="P2", name="巡逻车2", agency="police", unit_type="patrol_car")
    u1 = Unit.objects.create(code="U1", name="城管车", agency="urban_management", unit_type="enforcement_van")
    Unit.objects.create(code="F1", name="消防车", agency="fire", unit_type="fire_engine")
    busy(p1, local(3, 1, 9), local(3, 1, 10))  # before the range: nowhere
    busy(p1, local(3, 4, 9), local(3, 4, 10.5))  # 09:00–10:30
    busy(p2, local(3, 3, 22), local(3, 4, 1))  # counts 00:00–01:00 on 4 March only
    busy(p2, local(3, 4, 9.5), local(3, 4, 9.75))  # 09:30–09:45
    busy(u1, local(3, 4, 23.5), None)  # still busy at "now" (5 March 00:30)


def test_it_measures_the_share_of_units_busy_per_hour_and_agency(fleet):
    rows = measures_time.busy_share_by_hour(
        Slice(start=date(2024, 3, 4), end=date(2024, 3, 5)), now=local(3, 5, 0.5)
    )
    share = {r["agency"]: {h["hour"]: h["busy_share"] for h in r["hours"]} for r in rows}
    assert {r["agency"]: r["units"] for r in rows} == {"fire": 1, "police": 2, "urban_management": 1}
    # Offered seconds: every hour of 4 March, plus 00:00–00:30 of 5 March ("now"): hour 0 has 5400 s.
    # Police (2 units): hour 0 = P2's 3600 s / (2 × 5400); hour 9 = (3600 + 900) / (2 × 3600);
    # hour 10 = 1800 / 7200.
    assert share["police"][0] == round(3600 / 10800, 4)
    assert share["police"][9] == 0.625
    assert share["police"][10] == 0.25
    assert all(share["police"][h] == 0.0 for h in range(24) if h not in (0, 9, 10))
    # Urban management (1 unit, not cleared): 23:30–24:00 on 4 March, 00:00–00:30 on 5 March.
    assert share["urban_management"][23] == 0.5
    assert share["urban_management"][0] == round(1800 / 5400, 4)
    assert set(share["fire"].values()) == {0.0}


def test_it_leaves_the_busy_share_undefined_for_hours_not_yet_reached(fleet):
    rows = measures_time.busy_share_by_hour(
        Slice(start=date(2024, 3, 5), end=date(2024, 3, 5)), now=local(3, 5, 0.5)
    )
    police = {h["hour"]: h["busy_share"] for h in next(r for r in rows if r["agency"] == "police")["hours"]}
    assert police[0] == 0.0 and police[1] is None  # 01:00 had not come: no denominator, not 0


def test_it_counts_chinas_working_days_with_holidays_and_exchanged_weekends():
    # October 2024: 23 weekdays, National Day off on 1–4 and 7 October, Saturday 12 October worked.
    assert measures_time.working_days(date(2024, 10, 1), date(2024, 10, 31)) == 19
    # The National Day week: only Monday 30 September is worked.
    assert measures_time.working_days(date(2024, 9, 30), date(2024, 10, 6)) == 1
    # September 2024: 21 weekdays, Mid-Autumn off 16–17, Saturday 14 and Sunday 29 worked.
    assert measures_time.working_days(date(2024, 9, 1), date(2024, 9, 30)) == 21


def _outcome_clock(a, state: str, met_at: datetime | None) -> Clock:
    return Clock.objects.create(
        appeal=a,
        kind=ClockKind.TRANSFER_OUTCOME,
        unit="working_days",
        amount=5,
        state=state,
        started_at=local(9, 27, 10),
        due_at=local(10, 11, 0),  # end of the fifth working day after 27 September: 10 October
        warn_at=local(10, 9, 0),
        met_at=met_at,
    )


def test_it_reports_clocks_that_count_working_days_in_working_days(world):
    on_time = appeal(world, local(9, 27, 9))
    late = appeal(world, local(9, 27, 9))
    running = appeal(world, local(9, 27, 9))
    # Met on 10 October, 13 calendar days later: 29 Sep (Sunday, worked), 30 Sep, 8, 9, 10 Oct =
    # 5 working days: on time.
    _outcome_clock(on_time, ClockState.MET, local(10, 10, 15))
    # Met on 14 October: the five above and 11, 12 (Saturday, worked), 14 October = 8: late.
    _outcome_clock(late, ClockState.MET_LATE, local(10, 14, 9))
    _outcome_clock(running, ClockState.RUNNING, None)
    # An hours clock is not a working-day clock.
    Clock.objects.create(
        appeal=on_time,
        kind=ClockKind.LAND,
        unit="hours",
        amount=24,
        state=ClockState.MET,
        started_at=local(9, 27, 9),
        due_at=local(9, 28, 9),
        warn_at=local(9, 28, 5),
        met_at=local(9, 27, 12),
    )
    september = Slice(start=date(2024, 9, 1), end=date(2024, 9, 30))
    m = measures_time.working_day_measures(september, received=3, transfers=3, now=local(11, 1, 0))
    assert (m["days"], m["working_days"]) == (30, 21)
    assert m["received_per_day"] == 0.1 and m["received_per_working_day"] == round(3 / 21, 4)
    assert m["transfers_per_working_day"] == round(3 / 21, 4)
    assert m["clocks"] == [
        {
            "kind": "transfer_outcome",
            "allowed_working_days": 5,
            "met": 1,
            "breached": 1,
            "open": 1,
            "on_time_rate": 0.5,
            "used_p50_working_days": 6.5,  # [5, 8]
            "used_p90_working_days": 7.7,  # 5 + (8 − 5) × 0.9
        }
    ]


def test_it_divides_a_running_period_by_the_days_that_have_begun(world):
    october = Slice(start=date(2024, 10, 1), end=date(2024, 10, 31))
    m = measures_time.working_day_measures(october, received=4, transfers=0, now=local(10, 8, 12))
    # 1–8 October: 8 days, of which only Tuesday 8 October is worked.
    assert (m["days"], m["working_days"], m["received_per_day"], m["received_per_working_day"]) == (
        8,
        1,
        0.5,
        4.0,
    )
    assert m["transfers_per_working_day"] == 0.0 and m["clocks"] == []
    future = measures_time.working_day_measures(october, received=0, transfers=0, now=local(9, 1, 0))
    assert (future["days"], future["working_days"], future["received_per_working_day"]) == (0, 0, None)


def test_it_counts_incidents_by_type_within_the_slices_grids(world):
    when = local(3, 4, 9)
    for kind, point in (("traffic_accident", POINT_IN_A), ("traffic_accident", POINT_IN_A), ("", POINT_IN_B)):
        Incident.objects.create(title="警情", lat=point[0], lon=point[1], alarm_at=when, incident_type=kind)
    march = Slice(start=date(2024, 3, 1), end=date(2024, 3, 31))
    rows = measures.incidents_by_type(march)
    assert [(r["key"], r["count"]) for r in rows] == [("traffic_accident", 2), ("", 1)]
    only_b = measures.incidents_by_type(
        Slice(start=march.start, end=march.end, grid_ids=frozenset({world.grid_b.pk}))
    )
    assert [(r["key"], r["count"]) for r in only_b] == [("", 1)]


def _api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")


def test_it_serves_the_new_measures_in_the_api_to_the_right_people(
    world, fleet, django_assert_max_num_queries
):
    leader = _api(world.leader)
    with django_assert_max_num_queries(6):
        r = leader.get("/api/v1/stats/units/busy?from=2024-03-04&to=2024-03-04")
    assert r.status_code == 200, r.content
    police = next(a for a in r.json()["agencies"] if a["agency"] == "police")
    assert police["label"] == "公安"  # the agency in Chinese
    assert police["hours"][9] == {"hour": 9, "busy_share": 0.625}
    # Units serve the whole jurisdiction: a grid officer and a liaison are told so; no token, 401.
    for person in (world.grid_officer, world.liaison):
        refused = _api(person).get("/api/v1/stats/units/busy")
        assert refused.status_code == 403 and "指挥" in refused.json()["detail"]
    assert Client().get("/api/v1/stats/units/busy").status_code == 401
    body = leader.get("/api/v1/stats/working-days?from=2024-10-01&to=2024-10-31").json()
    assert (body["days"], body["working_days"], body["received"]) == (31, 19, 0)
    assert body["received_per_working_day"] == 0.0 and body["clocks"] == []
    types = leader.get("/api/v1/stats/incidents/types?from=2024-03-01&to=2024-03-31").json()["types"]
    assert types == [{"key": "", "label": "", "count": 5}]  # the fixture's five dispatches
    assert leader.get("/api/v1/stats/working-days?from=2024-10-31&to=2024-10-01").status_code == 400
