"""Plans from the evening hot cells of grid A, check-ins refused beyond the radius, by another
community's team or a resident, coverage, sightings filed as appeals, tasks and points."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404

from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals.choices import Channel
from lastmeter.lib.errors import NotAllowed
from lastmeter.lib.geo import haversine_m
from lastmeter.patrols import services
from lastmeter.patrols.choices import Band, PlanState, ShiftState
from lastmeter.patrols.models import PointRecord
from lastmeter.patrols.selectors import total_points
from lastmeter.patrols.tests.conftest import PLAN_DAY, evening, seed_evening_cluster
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db

NOW = evening(PLAN_DAY, 12)


def make_plan(world, band=Band.EVENING, **kw):
    seed_evening_cluster(NOW)
    req = services.PlanRequest(community=world.community_a, day=PLAN_DAY, band=band, cell_m=100, **kw)
    return services.do_generate_plan(world.scope(world.grid_officer), req, now=NOW)


def published(world):
    plan = make_plan(world)
    services.do_move_plan(world.scope(world.grid_officer), plan.pk, PlanState.PUBLISHED)
    return plan


def test_the_evening_plan_visits_grid_As_cluster_with_the_team_free_in_the_evening(world, teams) -> None:
    plan = make_plan(world)
    cells = list(plan.cells.all())
    assert cells, "the evening cluster at grid A's centre is significant"
    assert all(haversine_m(c.lat, c.lon, *POINT_IN_A) < 400 for c in cells)
    assert all(c.lon < 121.475 for c in cells), "grid B's morning cluster is another band, another community"
    (shift,) = plan.shifts.all()
    assert shift.team == teams.a and shift.state == ShiftState.PLANNED
    assert shift.starts_at == evening(PLAN_DAY, 18) and shift.ends_at == evening(PLAN_DAY, 18) + timedelta(
        hours=6
    )
    if len(cells) > 1:
        assert shift.on_roads and shift.route_m > 0, "routed on the road graph between the cells"


def test_the_morning_plan_of_community_A_has_no_hot_cell_from_grid_B(world, teams) -> None:
    plan = make_plan(world, band=Band.MORNING)
    assert not plan.cells.filter(lon__gte=121.475).exists()


def test_another_communitys_officer_may_not_plan_for_community_A(world, teams) -> None:
    req = services.PlanRequest(community=world.community_a, day=PLAN_DAY, band=Band.EVENING)
    with pytest.raises(NotAllowed):
        services.do_generate_plan(world.scope(world.other_officer), req, now=NOW)
    with pytest.raises(NotAllowed):
        services.do_generate_plan(world.scope(teams.volunteer), req, now=NOW)


def test_a_team_of_another_community_is_not_assigned(world, teams) -> None:
    plan = make_plan(world)
    with pytest.raises(NotAllowed, match=teams.b.name):
        services.do_assign_team(world.scope(world.grid_officer), plan.pk, teams.b)


def test_check_in_within_the_radius_and_refused_5_km_away(world, teams) -> None:
    plan = published(world)
    shift = plan.shifts.get()
    cell = plan.cells.first()
    me = world.scope(teams.volunteer)
    north = max(services.plan_places(plan, shift))  # the plan's northernmost place
    far = (north[0] + 5000 / 111_320, north[1])  # 5 km north of it
    with pytest.raises(NotAllowed, match=r"5\.0"):
        services.do_check(me, shift.pk, "in", *far, now=evening(PLAN_DAY, 18))
    c = services.do_check(me, shift.pk, "in", cell.lat, cell.lon + 0.003, now=evening(PLAN_DAY, 18))
    assert c.distance_m < 1000
    shift.refresh_from_db()
    assert shift.state == ShiftState.ON_PATROL


def test_the_radius_is_the_plans_setting(world, teams, settings) -> None:
    settings.LASTMETER_PATROL_CHECKIN_RADIUS_M = 200.0
    plan = published(world)
    assert plan.checkin_radius_m == 200.0
    cell = plan.cells.first()
    with pytest.raises(NotAllowed):
        services.do_check(
            world.scope(teams.volunteer), plan.shifts.get().pk, "in", cell.lat + 0.005, cell.lon
        )


def test_another_communitys_volunteer_and_a_resident_may_not_check_in(world, teams) -> None:
    plan = published(world)
    shift = plan.shifts.get()
    cell = plan.cells.first()
    with pytest.raises(Http404):
        services.do_check(world.scope(teams.other), shift.pk, "in", cell.lat, cell.lon)
    with pytest.raises(Http404):
        services.do_check(scope_for(None), shift.pk, "in", cell.lat, cell.lon)
    # The community's officer sees the shift but is not on the team.
    with pytest.raises(NotAllowed):
        services.do_check(world.scope(world.grid_officer), shift.pk, "in", cell.lat, cell.lon)


def test_a_draft_plan_takes_no_check_in(world, teams) -> None:
    plan = make_plan(world)
    cell = plan.cells.first()
    with pytest.raises(NotAllowed):
        services.do_check(world.scope(teams.volunteer), plan.shifts.get().pk, "in", cell.lat, cell.lon)


def test_coverage_counts_cells_visited_during_the_shift(world, teams) -> None:
    plan = published(world)
    shift = plan.shifts.get()
    cells = list(plan.cells.order_by("order"))
    me = world.scope(teams.volunteer)
    services.do_check(me, shift.pk, "in", cells[0].lat, cells[0].lon, now=evening(PLAN_DAY, 18))
    for c in cells[1::2]:
        services.do_check(me, shift.pk, "position", c.lat, c.lon, now=evening(PLAN_DAY, 19))
    visited, share = services.plan_coverage(plan)
    expected = {cells[0].key} | {c.key for c in cells[1::2]}
    assert visited == expected and share == pytest.approx(len(expected) / len(cells))
    services.do_check(me, shift.pk, "out", cells[0].lat, cells[0].lon, now=evening(PLAN_DAY, 23))
    plan = services.do_move_plan(world.scope(world.grid_officer), plan.pk, PlanState.DONE)
    assert plan.coverage == pytest.approx(share)


def test_a_sighting_becomes_an_appeal_filed_on_a_residents_behalf(world, teams) -> None:
    plan = published(world)
    shift = plan.shifts.get()
    cell = plan.cells.first()
    me = world.scope(teams.volunteer)
    with pytest.raises(NotAllowed):  # not checked in yet
        services.do_report_sighting(me, shift.pk, text="路口有人卖假证", lat=cell.lat, lon=cell.lon)
    services.do_check(me, shift.pk, "in", cell.lat, cell.lon, now=evening(PLAN_DAY, 18))
    s = services.do_report_sighting(
        me,
        shift.pk,
        text="福州路口有车辆违停堵住消防通道",
        lat=cell.lat,
        lon=cell.lon,
        category_code="illegal_parking",
    )
    assert s.appeal is not None
    assert s.appeal.channel == Channel.VOLUNTEER and s.appeal.filed_by == teams.volunteer
    assert s.appeal.grid == world.grid_a
    assert PointRecord.objects.get(sighting=s).points == 2 and total_points(teams.volunteer) == 2
    with pytest.raises(Http404):
        services.do_report_sighting(world.scope(teams.other), shift.pk, text="x", lat=cell.lat, lon=cell.lon)


def test_a_building_heads_task_done_earns_its_points(world, teams) -> None:
    task = services.do_assign_task(
        world.scope(world.grid_officer), world.building_head, title="排查楼道堆物", points=5
    )
    with pytest.raises(NotAllowed):
        services.do_finish_task(world.scope(teams.volunteer), task.pk)
    with pytest.raises(NotAllowed):
        services.do_assign_task(world.scope(teams.volunteer), world.building_head, title="x")
    services.do_finish_task(world.scope(world.building_head), task.pk)
    assert total_points(world.building_head) == 5
