"""Point → grid → person, the duty roster's fallbacks, and the four-level chain."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import DutyShift
from lastmeter.grids.selectors import responsibility_chain, responsible_for_point
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B


def test_it_finds_the_grid_and_falls_back_from_duty_to_officer_to_community_lead(world):
    now = timezone.now()
    grid, person = responsible_for_point(*POINT_IN_A)
    assert grid == world.grid_a and person == world.grid_officer  # nobody on duty: the responsible officer
    DutyShift.objects.create(
        person=world.grid_member,
        grid=world.grid_a,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    assert responsible_for_point(*POINT_IN_A)[1] == world.grid_member
    # A finished shift does not count.
    assert responsible_for_point(*POINT_IN_A, at=now + timedelta(hours=2))[1] == world.grid_officer
    world.grid_b.responsible_officer = None
    world.grid_b.save()
    assert responsible_for_point(*POINT_IN_B)[1] == world.other_officer  # the community's police lead
    assert responsible_for_point(40.0, 116.4) == (None, None)  # outside every grid


def test_it_lists_the_four_levels_for_a_building(world):
    levels = responsibility_chain(world.grid_a, world.building_a)
    assert [lvl.level for lvl in levels] == [
        Role.LEADERSHIP,
        Role.COMMUNITY_POLICE,
        Role.GRID_MEMBER,
        Role.BUILDING_HEAD,
    ]
    assert [lvl.people for lvl in levels] == [
        [world.leader],
        [world.grid_officer],
        [world.grid_member],
        [world.building_head],
    ]


def test_it_serves_the_chain_and_grids_over_the_api(world):
    c = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.dispatcher, 't')}")
    chain = c.get(f"/api/v1/buildings/{world.building_a.pk}/chain").json()
    assert chain["levels"][3]["people"][0]["name"] == "楼长孙"
    assert chain["levels"][0]["people"][0]["phone"] == "138****0000"
    r = c.get("/api/v1/responsible", {"lat": POINT_IN_A[0], "lon": POINT_IN_A[1]})
    assert r.status_code == 200 and r.json()["grid"] == "A网格"
    assert c.get("/api/v1/responsible", {"lat": 40, "lon": 116}).status_code == 404
    assert len(c.get("/api/v1/grids").json()["features"]) == 2
    assert Client().get("/api/v1/grids").status_code == 401
