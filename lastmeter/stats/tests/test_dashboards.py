"""The dashboards' data (stats.dashboards.build_dashboard): figures of the worked month, scope per
role, bad input, and a query count that does not grow with grids, days or officers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.accounts.selectors import scope_for
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.stats.dashboard_parts import periods
from lastmeter.stats.dashboards import build_dashboard, dashboard_targets
from lastmeter.stats.rollups import rebuild
from lastmeter.stats.tests.dashboard_fixture import add_more, build_spread
from lastmeter.stats.tests.fixture import build_month

MARCH = (date(2024, 3, 1), date(2024, 3, 31))


@pytest.fixture
def month(world):
    m = build_month(world)
    rebuild()
    return m


def kpis(dash) -> dict:
    return {k.key: k for k in dash.kpis}


def test_it_gives_the_leader_headline_figures_with_yoy_and_mom(world, month):
    dash = build_dashboard(world.scope(world.leader), "leadership", None, *MARCH)
    k = kpis(dash)
    assert (k["received"].value, k["received"].mom_value, k["received"].mom) == (6, 1, 5.0)
    assert k["received"].yoy is None and k["received"].yoy_value == 0  # nothing in March 2023
    assert k["landed_within_24h_rate"].value == 0.6 and k["contact_on_time_rate"].value == 0.75
    assert (k["land_p50_h"].value, k["contact_p50_h"].value) == (4.0, 2.0)
    assert k["received"].link == "/appeals/?received_from=2024-03-01&received_to=2024-03-31"
    assert k["breaches"].value == 3 and "breached=1" in k["breaches"].link


def test_it_shows_every_day_of_the_trend_and_ranks_grids_and_departments(world, month):
    dash = build_dashboard(world.scope(world.leader), "leadership", None, *MARCH)
    trend = dash.table("trend")
    assert dash.period == "day" and len(trend.rows) == 31  # empty days are zeros, not gaps
    assert sum(r["received"] for r in trend.rows) == 6
    assert trend.rows[4]["period"] == "2024-03-05" and trend.rows[4]["received"] == 4  # A2, A3, A4, A5
    grids = dash.table("grids")
    # Landed within 24 h: grid A 3 of 4, grid B 0 of 1 — A first.
    assert [(r["rank"], r["label"], r["landed_within_24h_rate"]) for r in grids.rows] == [
        (1, "A网格", 0.75),
        (2, "B网格", 0.0),
    ]
    assert grids.links[0]["label"] == f"/stats/grid/{world.grid_a.pk}/?from=2024-03-01&to=2024-03-31"
    assert f"grid={world.grid_a.pk}" in grids.links[0]["received"]
    (dept,) = dash.table("departments").rows
    assert (dept["label"], dept["transfers"], dept["returned_rate"], dept["acceptance_p50_h"]) == (
        "城管执法局",
        2,
        0.5,
        4.0,
    )
    assert {c.name for c in dash.charts} >= {"trend", "grids-landed_within_24h_rate"}


def test_it_gives_a_grid_its_officers_categories_and_hours(world, month):
    dash = build_dashboard(world.scope(world.grid_officer), "grid", world.grid_a.pk, *MARCH)
    assert kpis(dash)["received"].value == 5
    (officer,) = dash.table("officers").rows
    assert officer["received"] == 5 and officer["land_p50_h"] == 4.0  # landed after 2, 3, 5, 30 h
    hours = dash.table("hours")
    assert len(hours.rows) == 7 and sum(v for r in hours.rows for k, v in r.items() if k != "weekday") == 5
    assert hours.rows[1]["h00"] == 1  # A2: Tuesday 00:30 local time
    assert [c.name for c in dash.charts] == ["trend", "officers-received", "hours"]


def test_it_gives_a_department_the_transfers_to_it(world, month):
    dash = build_dashboard(world.scope(world.liaison), "department", world.department.pk, *MARCH)
    k = kpis(dash)
    assert (k["transfers"].value, k["returned_rate"].value) == (2, 0.5)
    assert (k["acceptance_p50_h"].value, k["outcome_p50_h"].value, k["overdue"].value) == (4.0, 24.0, 0)
    assert sum(r["transfers"] for r in dash.table("trend").rows) == 2
    assert f"department={world.department.pk}" in k["transfers"].link


def test_it_counts_the_overdue_transfers_as_the_queue_lists_them(world, client):
    spread = build_spread(world)
    dash = build_dashboard(world.scope(world.liaison), "department", world.department.pk, *MARCH)
    overdue = kpis(dash)["overdue"]
    assert overdue.value == 1
    client.login(username="liaison", password="pass-liaison")
    page = client.get(overdue.link).content.decode()
    assert f'data-appeal="{spread["late"].pk}"' in page and page.count("data-appeal=") == 1


@pytest.mark.parametrize(
    ("person", "allowed", "refused"),
    [
        ("leader", ["leadership", "community_a", "community_b", "grid_a", "grid_b", "department"], []),
        ("grid_officer", ["community_a", "grid_a"], ["community_b", "grid_b", "department"]),
        ("other_officer", ["community_b", "grid_b"], ["community_a", "grid_a"]),
        ("grid_member", ["grid_a"], ["community_a", "grid_b", "department"]),
        ("liaison", ["department"], ["grid_a", "community_a", "other_department"]),
        ("other_liaison", ["other_department"], ["department"]),
    ],
)
def test_it_refuses_a_target_that_is_not_the_viewers_with_a_404(world, month, person, allowed, refused):
    targets = {
        "leadership": ("leadership", None),
        "community_a": ("community", world.community_a.pk),
        "community_b": ("community", world.community_b.pk),
        "grid_a": ("grid", world.grid_a.pk),
        "grid_b": ("grid", world.grid_b.pk),
        "department": ("department", world.department.pk),
        "other_department": ("department", world.other_department.pk),
    }
    scope = world.scope(getattr(world, person))
    for name in allowed:
        assert build_dashboard(scope, *targets[name], *MARCH).kpis, name
    for name in refused:
        with pytest.raises(Http404):
            build_dashboard(scope, *targets[name], *MARCH)


def test_it_keeps_the_leadership_dashboard_for_the_jurisdiction_wide_roles(world, month):
    for person in (world.grid_officer, world.grid_member, world.liaison):
        with pytest.raises(NotAllowed, match="领导"):
            build_dashboard(world.scope(person), "leadership", None, *MARCH)
    resident = Person.objects.create(name="居民刘")
    RoleAssignment.objects.create(person=resident, role=Role.VOLUNTEER)
    for level, target in (("grid", world.grid_a.pk), ("department", world.department.pk)):
        with pytest.raises(NotAllowed):
            build_dashboard(scope_for(resident), level, target, *MARCH)
    with pytest.raises(NotAllowed):
        build_dashboard(world.scope(world.building_head), "grid", world.grid_a.pk, *MARCH)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        ((date(2024, 3, 31), date(2024, 3, 1)), {}, ServiceError, "晚于"),
        ((date(2004, 1, 1), date(2024, 1, 1)), {}, ServiceError, "五年"),
        ((date(2022, 1, 1), date(2024, 1, 1)), {"period": "day"}, ServiceError, "一年"),
        (MARCH, {"category": "no-such-category"}, ServiceError, "no-such-category"),
        (MARCH, {"channel": "pigeon"}, ServiceError, "pigeon"),
        (MARCH, {"period": "fortnight"}, ServiceError, "fortnight"),
    ],
)
def test_it_refuses_bad_input_with_a_sentence(world, month, args, kwargs, error, words):
    with pytest.raises(error, match=words):
        build_dashboard(world.scope(world.leader), "leadership", None, *args, **kwargs)


def test_it_answers_an_unknown_grid_or_level_with_a_404(world, month):
    scope = world.scope(world.leader)
    for level, target in (("grid", 999999), ("community", world.building_a.pk), ("weather", 1)):
        with pytest.raises(Http404):
            build_dashboard(scope, level, target, *MARCH)


def test_it_lists_the_dashboards_of_each_persons_level(world):
    assert [t.level for t in dashboard_targets(world.scope(world.leader))] == ["leadership"]
    assert [(t.level, t.id) for t in dashboard_targets(world.scope(world.grid_officer))] == [
        ("community", world.community_a.pk),
        ("grid", world.grid_a.pk),
    ]
    assert [(t.level, t.id) for t in dashboard_targets(world.scope(world.liaison))] == [
        ("department", world.department.pk)
    ]
    assert dashboard_targets(world.scope(world.building_head)) == []


def test_it_steps_the_trend_by_the_length_of_the_range(world, month):
    scope = world.scope(world.leader)
    assert build_dashboard(scope, "leadership", None, date(2024, 1, 1), date(2024, 6, 30)).period == "week"
    year = build_dashboard(scope, "leadership", None, date(2023, 1, 1), date(2024, 12, 31))
    assert year.period == "month" and len(year.table("trend").rows) == 24
    quarters = build_dashboard(
        scope, "leadership", None, date(2024, 2, 15), date(2024, 5, 1), period="quarter"
    )
    assert [r["period"] for r in quarters.table("trend").rows] == ["2024年第1季度", "2024年第2季度"]
    assert periods(date(2024, 2, 15), date(2024, 5, 1), "quarter")[0][1:] == (
        date(2024, 2, 15),
        date(2024, 3, 31),
    )


@pytest.mark.parametrize(
    ("level", "target", "most"),
    [
        ("leadership", None, 25),  # 17 + 8 for the complaints and mediation tables
        ("community", "community_a", 23),  # 16 + 7 (no per-officer complaints table)
        ("grid", "grid_a", 17),
        ("department", "department", 12),
    ],
)
def test_it_reads_the_same_few_queries_however_many_grids_days_and_officers(
    world, level, target, most, django_assert_max_num_queries
):
    build_spread(world)  # five grids, twelve days, three officers, five categories, two departments
    target_id = getattr(world, target).pk if target else None
    scope = world.scope(world.leader)
    with CaptureQueriesContext(connection) as before:
        build_dashboard(scope, level, target_id, *MARCH)
    add_more(world)  # three more grids, officers, categories and departments
    with django_assert_max_num_queries(most):
        dash = build_dashboard(scope, level, target_id, *MARCH)
    assert dash.kpis[0].value > 0
    with CaptureQueriesContext(connection) as after:
        build_dashboard(scope, level, target_id, *MARCH)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_it_shows_incidents_by_type_and_response_times_within_the_dashboards_area(world):
    from lastmeter.dispatching.models import Assignment, Incident, Unit
    from lastmeter.stats.tests.fixture import SH, H
    from lastmeter.testing.world import POINT_IN_A, POINT_IN_B

    police = Unit.objects.create(code="P1", name="巡逻车1", agency="police", unit_type="patrol_car")
    fire = Unit.objects.create(code="F1", name="消防车", agency="fire", unit_type="fire_engine")
    at = datetime(2024, 3, 4, tzinfo=SH) + H * 9
    # Grid A: two accidents answered by police in 6 and 10 minutes; grid B: a fire answered in 4.
    for kind, point, unit, minutes in (
        ("traffic_accident", POINT_IN_A, police, 6),
        ("traffic_accident", POINT_IN_A, police, 10),
        ("fire", POINT_IN_B, fire, 4),
    ):
        incident = Incident.objects.create(
            title="警情", lat=point[0], lon=point[1], alarm_at=at, incident_type=kind
        )
        Assignment.objects.create(
            incident=incident,
            unit=unit,
            dispatched_at=at,
            arrived_at=at + timedelta(minutes=minutes),
            cleared_at=at + timedelta(hours=1),  # a unit has one open assignment at a time
        )
    whole = build_dashboard(world.scope(world.leader), "leadership", None, *MARCH)
    assert [(r["label"], r["incidents"]) for r in whole.table("incidents").rows] == [
        ("交通事故", 2),
        ("火警", 1),
    ]
    response = {r["label"]: r for r in whole.table("response").rows}
    assert set(response) == {"公安", "消防救援"}
    assert (response["公安"]["arrivals"], response["公安"]["response_p50_min"]) == (2, 8.0)
    # The grid's own dashboard counts only what happened inside grid A.
    grid = build_dashboard(world.scope(world.leader), "grid", world.grid_a.pk, *MARCH)
    assert [(r["label"], r["incidents"]) for r in grid.table("incidents").rows] == [("交通事故", 2)]
    assert [r["label"] for r in grid.table("response").rows] == ["公安"]
