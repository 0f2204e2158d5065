"""The patrol pages and API: the officer makes and publishes a plan, the member checks in and
reports from the phone page, the refusals (another community's volunteer, a resident, 5 km away),
the nav link, and a building head's own page with tasks and points."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from lastmeter.accounts.auth import issue_token
from lastmeter.patrols import services
from lastmeter.patrols.choices import Band
from lastmeter.patrols.models import CheckIn, PatrolPlan, Sighting
from lastmeter.patrols.tests.conftest import PLAN_DAY, seed_evening_cluster

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def _api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")


@pytest.fixture
def plan(world, teams):
    seed_evening_cluster(timezone.now())
    req = services.PlanRequest(community=world.community_a, day=PLAN_DAY, band=Band.EVENING, cell_m=100)
    p = services.do_generate_plan(world.scope(world.grid_officer), req)
    services.do_move_plan(world.scope(world.grid_officer), p.pk, "published")
    return p


def test_the_officer_makes_a_plan_on_the_page(world, teams) -> None:
    seed_evening_cluster(timezone.now())
    c = _client("officer_a")
    assert "/patrols/" in c.get("/appeals/").content.decode()
    r = c.post(
        "/patrols/plans/new/",
        {
            "community": world.community_a.pk,
            "day": "2026-12-01",
            "band": "evening",
            "source": "incidents",
            "history_days": 90,
            "cell_m": 100,
            "max_cells": 5,
        },
    )
    plan = PatrolPlan.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/patrols/plans/{plan.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert teams.a.name in page and plan.cells.count() >= 1
    r = c.post(f"/patrols/plans/{plan.pk}/assign/", {"team": teams.b.pk})
    assert plan.shifts.count() == 1, "another community's team is not even offered"
    # Community B's officer neither sees the plan nor plans for A.
    b = _client("officer_b")
    assert b.get(f"/patrols/plans/{plan.pk}/").status_code == 404
    r = b.post(
        "/patrols/plans/new/",
        {
            "community": world.community_a.pk,
            "day": "2026-12-01",
            "band": "evening",
            "source": "incidents",
            "history_days": 90,
            "cell_m": 100,
            "max_cells": 5,
        },
    )
    assert r.status_code == 200 and PatrolPlan.objects.count() == 1


def test_the_member_checks_in_and_reports_from_the_phone_page(world, teams, plan) -> None:
    shift = plan.shifts.get()
    cell = plan.cells.first()
    c = _client("volunteer_a")
    assert c.get(f"/patrols/shifts/{shift.pk}/").status_code == 200
    r = c.post(
        f"/patrols/shifts/{shift.pk}/check/",
        {"kind": "in", "lat": cell.lat + 0.05, "lon": cell.lon},
        follow=True,
    )
    assert '<li class="error">' in r.content.decode() and not CheckIn.objects.exists()
    c.post(f"/patrols/shifts/{shift.pk}/check/", {"kind": "in", "lat": cell.lat, "lon": cell.lon})
    r = c.post(
        f"/patrols/shifts/{shift.pk}/sighting/",
        {
            "text": "福州路口车辆违停堵住消防通道",
            "category": "illegal_parking",
            "lat": cell.lat,
            "lon": cell.lon,
        },
        follow=True,
    )
    sighting = Sighting.objects.get()
    assert sighting.appeal is not None and str(sighting.appeal.reference) in r.content.decode()
    assert 'id="points">2<' in _client("volunteer_a").get("/patrols/me/").content.decode()


@pytest.mark.parametrize("username", ["volunteer_b", "liaison"])
def test_others_are_refused_the_plan_and_the_shift(world, teams, plan, username) -> None:
    shift = plan.shifts.get()
    c = _client(username)
    assert c.get(f"/patrols/plans/{plan.pk}/").status_code == 404
    assert c.get(f"/patrols/shifts/{shift.pk}/").status_code == 404
    assert (
        c.post(f"/patrols/shifts/{shift.pk}/check/", {"kind": "in", "lat": 31.23, "lon": 121.47}).status_code
        == 404
    )


def test_a_resident_is_sent_to_log_in_and_the_api_says_401(world, teams, plan) -> None:
    shift = plan.shifts.get()
    r = Client().get(f"/patrols/shifts/{shift.pk}/")
    assert r.status_code == 302 and "login" in r["Location"]
    assert (
        Client()
        .post(
            f"/api/v1/patrols/shifts/{shift.pk}/checkins",
            {"lat": 31.23, "lon": 121.47},
            content_type="application/json",
        )
        .status_code
        == 401
    )


def test_the_api_plans_checks_in_and_files_a_sighting(world, teams) -> None:
    seed_evening_cluster(timezone.now())
    officer = _api(world.grid_officer)
    r = officer.post(
        "/api/v1/patrols/plans",
        {"community": world.community_a.pk, "day": "2026-12-01", "band": "evening", "cell_m": 100},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["cells"] and body["shifts"][0]["team"] == teams.a.name
    assert officer.post(f"/api/v1/patrols/plans/{body['id']}/publish").json()["state"] == "published"
    assert _api(world.other_officer).get(f"/api/v1/patrols/plans/{body['id']}").status_code == 404
    shift_id, cell = body["shifts"][0]["id"], body["cells"][0]
    member = _api(teams.volunteer)
    far = member.post(
        f"/api/v1/patrols/shifts/{shift_id}/checkins",
        {"lat": cell["lat"] + 0.06, "lon": cell["lon"]},
        content_type="application/json",
    )
    assert far.status_code == 403 and "1.0" in far.json()["detail"]  # the radius, 1.0 km
    ok = member.post(
        f"/api/v1/patrols/shifts/{shift_id}/checkins",
        {"lat": cell["lat"], "lon": cell["lon"]},
        content_type="application/json",
    )
    assert ok.status_code == 201
    s = member.post(
        f"/api/v1/patrols/shifts/{shift_id}/sightings",
        {"text": "路灯损坏，夜间很暗", "lat": cell["lat"], "lon": cell["lon"]},
        content_type="application/json",
    )
    assert s.status_code == 201 and s.json()["appeal"]
    assert 0 <= officer.get(f"/api/v1/patrols/plans/{body['id']}").json()["coverage"] <= 1
    assert (
        _api(teams.other)
        .post(
            f"/api/v1/patrols/shifts/{shift_id}/checkins",
            {"lat": cell["lat"], "lon": cell["lon"]},
            content_type="application/json",
        )
        .status_code
        == 404
    )


def test_a_building_heads_page_shows_tasks_and_points(world, teams) -> None:
    task = services.do_assign_task(
        world.scope(world.grid_officer), world.building_head, title="排查楼道堆物", points=5
    )
    c = _client("head_a")
    page = c.get("/patrols/me/").content.decode()
    assert "排查楼道堆物" in page
    c.post(f"/patrols/tasks/{task.pk}/done/")
    page = c.get("/patrols/me/").content.decode()
    assert 'id="points">5<' in page
    assert "/patrols/" in c.get("/appeals/").content.decode(), (
        "the building head is on a team: the nav shows patrols"
    )
