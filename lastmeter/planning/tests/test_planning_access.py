"""Only station leadership, administrators, dispatchers and superusers plan grids and platforms."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.planning.services import PlanParams, do_create_plan
from lastmeter.planning.tests.planning_helpers import make_blocks

READS = ["/api/v1/planning/plans", "/api/v1/planning/units", "/api/v1/planning/platforms"]


def token_client(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 't')}")


@pytest.mark.parametrize(
    "who", ["grid_officer", "other_officer", "grid_member", "building_head", "liaison", "legal_reviewer"]
)
def test_it_refuses_planning_to_everyone_else(world, who):
    make_blocks()
    plan = do_create_plan(PlanParams(name="p", k=2), world.leader)
    c = token_client(getattr(world, who))
    for url in [*READS, f"/api/v1/planning/plans/{plan.pk}", "/api/v1/planning/service-areas"]:
        assert c.get(url).status_code == 403, url
    for url in (f"/api/v1/planning/plans/{plan.pk}/preview", f"/api/v1/planning/plans/{plan.pk}/adopt"):
        assert c.post(url).status_code == 403, url
    assert c.post("/api/v1/planning/plans", {"k": 2}, content_type="application/json").status_code == 403
    r = c.post(
        f"/api/v1/planning/plans/{plan.pk}/move",
        {"unit": "b00", "to_grid": 2},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_it_asks_anonymous_callers_to_authenticate(world):
    assert Client().get("/api/v1/planning/plans").status_code == 401
    r = Client().get("/planning/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_it_lets_leadership_dispatchers_administrators_and_superusers_plan(world):
    make_blocks()
    admin = Person.objects.create(name="管理员")
    RoleAssignment.objects.create(person=admin, role=Role.ADMINISTRATOR)
    root_user = get_user_model().objects.create_superuser("root", password="x")
    root = Person.objects.create(name="root", user=root_user)
    for person in (world.leader, world.dispatcher, admin, root):
        c = token_client(person)
        for url in READS:
            assert c.get(url).status_code == 200, (person, url)
        r = c.post("/api/v1/planning/plans", {"k": 2}, content_type="application/json")
        assert r.status_code == 201, person


def test_it_serves_the_pages_to_planners_only(world):
    make_blocks()
    officer = Client()
    officer.force_login(world.grid_officer.user)
    assert officer.get("/planning/").status_code == 403
    assert officer.get("/planning/service-areas/").status_code == 403
    assert officer.post("/planning/plans/new/", {"k": 2}).status_code == 403
    leader = Client()
    leader.force_login(world.leader.user)
    page = leader.get("/planning/")
    assert page.status_code == 200 and "8" in page.content.decode()
    r = leader.post(
        "/planning/plans/new/",
        {"name": "秋季", "k": "2", "method": "exact", "tolerance_pct": "5", "w_accidents": "1"},
    )
    assert r.status_code == 302
    url = r["Location"]
    plan_id = int(url.rstrip("/").split("/")[-1])
    assert officer.get(url).status_code == 403
    r = leader.post(f"/planning/plans/{plan_id}/act/preview/")
    assert r.status_code == 302
    page = leader.get(url).content.decode()
    assert 'data-testid="report"' in page and "grid-a" in page and "精确求解（MILP）" in page
    r = leader.post(f"/planning/plans/{plan_id}/act/move/", {"unit": "b00", "to_grid": "9"}, follow=True)
    assert "没有第 9 号网格：本方案共有 2 个网格。" in r.content.decode()
    r = leader.post(f"/planning/plans/{plan_id}/act/adopt/", {"apply_staffing": "1"}, follow=True)
    assert 'data-testid="adoption"' in r.content.decode()
    assert leader.get("/planning/service-areas/").status_code == 200
