"""From plan to check-in to a sighting becoming an appeal, in a real browser (Playwright, Debian's
chromium), in Chinese: the grid officer publishes the evening plan made from grid A's hot cells;
the volunteer opens her shift, is refused a check-in 5 km away, checks in at the first hot cell,
reports a sighting there, and the sighting is filed as an appeal shown on the shift page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lastmeter.appeals.models import Appeal
from lastmeter.patrols import services
from lastmeter.patrols.choices import Band
from lastmeter.patrols.models import CheckIn, Sighting
from lastmeter.patrols.tests.conftest import seed_evening_cluster
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000


@pytest.fixture
def open_page(browser, live_server_url):
    contexts = []

    def make(user):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 900})
        ctx.add_cookies(
            [
                {"name": "django_language", "value": "zh-hans", "url": live_server_url},
                {"name": "sessionid", "value": session_cookie(user), "url": live_server_url},
            ]
        )
        contexts.append(ctx)
        p = ctx.new_page()
        p.js_errors = []  # type: ignore[attr-defined]
        p.on("pageerror", lambda e: p.js_errors.append(str(e)))  # type: ignore[attr-defined]
        return p

    yield make
    for ctx in contexts:
        ctx.close()
    wait_for_database_quiet()


def test_from_plan_to_check_in_to_a_sighting_filed_as_an_appeal(
    open_page, live_server_url, world, teams
) -> None:
    seed_evening_cluster(timezone.now())
    req = services.PlanRequest(
        community=world.community_a, day=timezone.localdate(), band=Band.EVENING, cell_m=100
    )
    plan = services.do_generate_plan(world.scope(world.grid_officer), req)
    shift = plan.shifts.get()
    cell = plan.cells.order_by("order")[0]

    officer = open_page(world.grid_officer.user)
    officer.goto(f"{live_server_url}/patrols/plans/{plan.pk}/")
    assert "草稿" in officer.inner_text("#plan-state")
    officer.click("#publish")
    officer.wait_for_selector(".messages li", timeout=WAIT_MS)
    assert "已发布" in officer.inner_text("#plan-state")
    assert not officer.js_errors  # type: ignore[attr-defined]

    phone = open_page(teams.volunteer.user)
    phone.goto(f"{live_server_url}/patrols/")
    phone.click(f"a[href='/patrols/shifts/{shift.pk}/']")
    phone.wait_for_selector("#check-form", timeout=WAIT_MS)
    north = max(services.plan_places(plan, shift))
    phone.fill("#check-form input[name='lat']", str(north[0] + 5000 / 111_320))
    phone.fill("#check-form input[name='lon']", str(north[1]))
    phone.click("#check-form button")
    phone.wait_for_selector(".messages li", timeout=WAIT_MS)
    assert "公里" in phone.inner_text(".messages") and not CheckIn.objects.exists()

    phone.fill("#check-form input[name='lat']", str(cell.lat))
    phone.fill("#check-form input[name='lon']", str(cell.lon))
    phone.click("#check-form button")
    phone.wait_for_selector(".messages li.success", timeout=WAIT_MS)
    assert "巡逻中" in phone.inner_text("#shift-state")

    phone.fill("#sighting-form textarea[name='text']", "福州路口有车辆违停，堵住了消防通道")
    phone.fill("#sighting-form input[name='category']", "illegal_parking")
    phone.fill("#sighting-form input[name='lat']", str(cell.lat))
    phone.fill("#sighting-form input[name='lon']", str(cell.lon))
    phone.click("#sighting-form button")
    phone.wait_for_selector("#sightings a", timeout=WAIT_MS)
    sighting = Sighting.objects.get()
    assert sighting.appeal_id is not None
    appeal = Appeal.objects.get(pk=sighting.appeal_id)
    assert appeal.channel == "volunteer" and appeal.filed_by_id == teams.volunteer.pk
    assert str(appeal.reference) in phone.inner_text("#sightings")
    assert not phone.js_errors  # type: ignore[attr-defined]
