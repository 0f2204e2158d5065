"""Patrol teams and the plan's map in a real browser (Playwright, Debian's chromium), in Chinese:
the grid officer makes a team, adds an auxiliary with skills and evening availability, removes
them again; the plan page draws its hot cells and the team's route on the Leaflet map."""

# ruff: noqa: F811 — a fixture imported from another test module is redefined as an argument.
from __future__ import annotations

import pytest
from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.patrols import services
from lastmeter.patrols.choices import Band
from lastmeter.patrols.models import PatrolTeam, TeamMember
from lastmeter.patrols.tests.conftest import new_person, seed_evening_cluster
from lastmeter.patrols.tests.test_browser_patrols import WAIT_MS, open_page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_officer_makes_a_team_and_manages_its_members(open_page, live_server_url, world, teams) -> None:
    aux = new_person("辅警马", "aux_a", Role.GRID_MEMBER, grid=world.grid_a)
    page = open_page(world.grid_officer.user)
    page.goto(f"{live_server_url}/patrols/")
    page.click("[data-testid='new-team']")
    page.fill("input[name='name']", "福州路夜巡队")
    page.select_option("select[name='kind']", "auxiliaries")
    page.click("[data-testid='team-create']")
    page.wait_for_selector("[data-testid='team-name']", timeout=WAIT_MS)
    team = PatrolTeam.objects.get(name="福州路夜巡队")
    options = page.locator("[data-testid='add-member'] select[name='person'] option").all_inner_texts()
    assert aux.name in options and teams.other.name not in options
    page.select_option("[data-testid='add-member'] select[name='person']", str(aux.pk))
    page.fill("[data-testid='add-member'] input[name='skills']", "巡逻,交通疏导")
    page.check("[data-testid='add-member'] input[name='bands'][value='evening']")
    page.click("[data-testid='add-member-submit']")
    page.wait_for_selector(".messages li", timeout=WAIT_MS)
    member = TeamMember.objects.get(team=team, person=aux)
    assert member.available_bands == ["evening"] and "辅警马" in page.inner_text("[data-testid='members']")
    page.click(f"[data-testid='remove-{member.pk}']")
    page.wait_for_selector(".messages li", timeout=WAIT_MS)
    assert not TeamMember.objects.filter(pk=member.pk).exists()
    assert "辅警马" not in page.inner_text("[data-testid='members']")
    assert not page.js_errors  # type: ignore[attr-defined]


def test_the_plan_page_draws_the_hot_cells_and_routes_on_the_map(
    open_page, live_server_url, world, teams
) -> None:
    seed_evening_cluster(timezone.now())
    req = services.PlanRequest(
        community=world.community_a, day=timezone.localdate(), band=Band.EVENING, cell_m=100
    )
    plan = services.do_generate_plan(world.scope(world.grid_officer), req)
    page = open_page(world.grid_officer.user)
    page.goto(f"{live_server_url}/patrols/plans/{plan.pk}/")
    page.wait_for_selector("#plan-map[data-routes]", timeout=WAIT_MS)
    holder = page.locator("#plan-map")
    assert holder.get_attribute("data-cells") == str(plan.cells.count())
    assert holder.get_attribute("data-routes") == str(plan.shifts.count())
    # One path per cell outline and one per route, drawn by Leaflet in the map's SVG.
    paths = page.locator("#plan-map path.leaflet-interactive").count()
    assert paths == plan.cells.count() + plan.shifts.count()
    assert not page.js_errors  # type: ignore[attr-defined]
