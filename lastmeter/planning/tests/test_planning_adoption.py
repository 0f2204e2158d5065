"""Adopting a plan: grids updated in one transaction, appeals route by them, staff follow.

Blocks over the test world: columns 0-1 lie in grid A, 2-3 in grid B. Accidents are heavy in
column 0, so under an accidents-only weighting A carries 2/3 of the demand and the plan moves
column 1 to B's successor.
"""

from __future__ import annotations

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import OrgUnit, Person, RoleAssignment
from lastmeter.grids.models import Grid
from lastmeter.grids.selectors import grid_containing
from lastmeter.lib.geo import box_polygon
from lastmeter.planning.choices import PlanState
from lastmeter.planning.models import PlanGrid
from lastmeter.planning.report import PlanError
from lastmeter.planning.services import PlanParams, do_adopt_plan, do_create_plan, do_preview_plan
from lastmeter.planning.tests.planning_helpers import centre, make_blocks

HEAVY_WEST = {(0, 0): 3, (1, 0): 3}


def previewed(world, k=2, auxiliaries=3, **kw):
    plan = do_create_plan(
        PlanParams(
            name="p",
            k=k,
            method="exact",
            weights={"accidents": 1.0},
            auxiliaries=auxiliaries,
            count_prior=0,
            **kw,
        ),
        world.leader,
    )
    return do_preview_plan(plan.pk)


def test_it_routes_appeals_by_the_adopted_grids(world, new_appeal):
    make_blocks(HEAVY_WEST)
    plan = previewed(world)
    moved = plan.report["comparison"]["moved_units"]
    assert {m["unit"] for m in moved} == {"b01", "b11"} and {m["to"] for m in moved} == {"grid-b"}
    point = centre(0, 1)  # block b01: in grid A today
    assert new_appeal(lat=point[0], lon=point[1]).grid == world.grid_a
    plan = do_adopt_plan(plan.pk, world.leader)
    assert plan.state == PlanState.ADOPTED
    # Grids were updated in place: same rows, codes, communities and responsible officers.
    a, b = Grid.objects.get(code="grid-a"), Grid.objects.get(code="grid-b")
    assert a.active and b.active and a.pk == world.grid_a.pk
    assert (a.responsible_officer, b.responsible_officer) == (world.grid_officer, world.other_officer)
    after = new_appeal(lat=point[0], lon=point[1])
    assert after.grid == b and after.assignee == world.other_officer
    west = centre(1, 0)
    assert grid_containing(*west) == a
    assert new_appeal(lat=west[0], lon=west[1]).grid == a


def test_it_retires_grids_moves_members_and_buildings_without_deleting_people(world):
    make_blocks(HEAVY_WEST)
    people = Person.objects.count()
    # Grid B's member and a building in column 3 must follow when B is retired (K = 1).
    member_b = Person.objects.create(name="辅警吴")
    RoleAssignment.objects.create(person=member_b, role=Role.GRID_MEMBER, grid=world.grid_b)
    lat, lon = centre(0, 3)
    building = OrgUnit.objects.create(
        kind="building",
        name="云南中路9号",
        code="yn-9",
        parent=world.community_b,
        grid=world.grid_b,
        lat=lat,
        lon=lon,
    )
    plan = previewed(world, k=1, auxiliaries=1)
    (pg,) = PlanGrid.objects.filter(plan=plan)
    assert pg.grid == world.grid_a  # A carries the most shared workload
    assert plan.report["comparison"]["buildings_changing_count"] == 1
    plan = do_adopt_plan(plan.pk, world.leader)
    world.grid_b.refresh_from_db()
    assert not world.grid_b.active
    assert list(Grid.objects.filter(active=True)) == [world.grid_a]
    building.refresh_from_db()
    assert building.grid == world.grid_a
    assert grid_containing(lat, lon) == world.grid_a
    staffing = plan.report["adoption"]["staffing"]
    assert [m["name"] for m in staffing["moves"]] == ["辅警吴"]
    assert staffing["over_establishment"] == {"grid-a": 1}  # 2 members for 1 apportioned: nobody let go
    assert RoleAssignment.objects.get(person=member_b, role=Role.GRID_MEMBER).grid == world.grid_a
    assert Person.objects.count() == people + 1


def test_it_creates_new_grids_and_reports_vacancies(world):
    make_blocks(HEAVY_WEST)
    plan = previewed(world, k=3, auxiliaries=6)
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("index"))
    new = [pg for pg in pgs if pg.grid is None]
    assert len(new) == 1 and new[0].community is not None
    plan = do_adopt_plan(plan.pk, world.leader)
    assert Grid.objects.filter(active=True).count() == 3
    created = Grid.objects.get(pk=plan.report["adoption"]["grids"][new[0].index])
    assert created.code == new[0].code and created.boundary["type"] in ("Polygon", "MultiPolygon")
    staffing = plan.report["adoption"]["staffing"]
    assert sum(staffing["members"].values()) == 1  # the world's one grid member
    assert sum(staffing["vacancies"].values()) == 5


def test_it_refuses_to_adopt_when_the_grids_changed_since_the_preview(world):
    make_blocks(HEAVY_WEST)
    plan = previewed(world)
    Grid.objects.create(
        code="grid-c", name="C", community=world.community_a, boundary=box_polygon(0, 0, 1, 1)
    )
    with pytest.raises(PlanError, match="本方案试算后，现行网格已有变动：请重新运行划分后再采用。"):
        do_adopt_plan(plan.pk, world.leader)
    assert Grid.objects.filter(active=True).count() == 3  # nothing half-done


def test_it_refuses_to_adopt_a_grid_without_community(world):
    make_blocks(HEAVY_WEST)
    plan = previewed(world)
    PlanGrid.objects.filter(plan=plan, index=0).update(community=None)
    with pytest.raises(PlanError, match="没有所属社区"):
        do_adopt_plan(plan.pk, world.leader)
    world.grid_a.refresh_from_db()
    assert world.grid_a.boundary == box_polygon(121.465, 31.225, 121.475, 31.235)


def test_it_applies_the_planners_officer_community_and_name(world):
    make_blocks(HEAVY_WEST)
    plan = previewed(world)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.leader, 't')}")
    url = f"/api/v1/planning/plans/{plan.pk}/grids"
    # One officer answers for one grid of a plan.
    r = c.patch(f"{url}/1", {"responsible_officer": world.other_officer.pk}, content_type="application/json")
    assert r.status_code == 400 and "已是本方案第 2 号网格的责任民警" in r.json()["detail"]
    r = c.patch(f"{url}/2", {"clear_officer": True}, content_type="application/json")
    assert r.status_code == 200
    r = c.patch(
        f"{url}/1",
        {"responsible_officer": world.other_officer.pk, "name": "西片", "community": world.community_b.pk},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    first = r.json()["grids"][0]
    assert first["name"] == "西片" and first["responsible_officer"]["phone"] == "138****0000"
    assert c.patch(f"{url}/5", {"name": "x"}, content_type="application/json").status_code == 400
    do_adopt_plan(plan.pk, world.leader)
    west = grid_containing(*centre(0, 0))
    assert (west.name, west.responsible_officer, west.community) == (
        "西片",
        world.other_officer,
        world.community_b,
    )


def test_it_reads_a_plan_in_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    make_blocks(HEAVY_WEST)
    plan = previewed(world, k=3)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.leader, 't')}")
    with django_assert_max_num_queries(8):
        assert c.get(f"/api/v1/planning/plans/{plan.pk}").status_code == 200
    with django_assert_max_num_queries(8):
        assert c.get(f"/api/v1/planning/plans/{plan.pk}/geojson", {"units": "true"}).status_code == 200
    assert "/api/v1/planning/plans/{plan_id}/move" in c.get("/api/v1/openapi.json").json()["paths"]
