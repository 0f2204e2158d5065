"""Browser flows through a real server: Playwright drives Debian's chromium against uvicorn.

1. The dispatcher opens an incident on the command centre and dispatches a recommended unit.
2. The officer's phone receives the dispatch order, with the route on its map.
3. The officer holds SOS: the command centre rings and shows the alarm, and a colleague in the
   same command group gets the alarm with a route to the officer.

The server is a uvicorn subprocess over the test database (lastmeter.testing.servers), started
once per test process; each test commits its own data (transactional), so the server sees it.
"""

from __future__ import annotations

import httpx
import pytest

from lastmeter.accounts.auth import issue_token
from lastmeter.dispatching.models import Assignment, CommandGroup, CommandGroupMember, Incident, Unit
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000  # generous: the first recommendation loads the road network in the server

# Real street corners of the demo area (People's Square, Shanghai).
SCENE = (31.23728, 121.47601)  # 九江路
NEAR = (31.23585, 121.47640)  # 福州路福建中路口
FAR = (31.22940, 121.46770)  # 黄陂北路


@pytest.fixture
def open_page(browser, live_server_url):
    """open_page(person, path, mobile=False) → a logged-in page that is live on the websocket."""
    contexts = []

    def open_(person, path: str, *, mobile: bool = False):
        options: dict[str, object] = {"locale": "zh-CN"}
        if mobile:
            options.update(viewport={"width": 412, "height": 860}, is_mobile=True, has_touch=True)
        else:
            options.update(viewport={"width": 1280, "height": 800})
        ctx = browser.new_context(**options)
        contexts.append(ctx)
        ctx.add_cookies([{"name": "sessionid", "value": session_cookie(person.user), "url": live_server_url}])
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server_url + path)
        page.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield open_
    for ctx in contexts:
        ctx.close()
    # The server may still be handling the pages' last messages; the flush must not race it.
    wait_for_database_quiet()


def _unit(code: str, person, where: tuple[float, float], **extra) -> Unit:
    from django.utils import timezone

    return Unit.objects.create(
        code=code,
        name=f"巡逻车{code}",
        agency="police",
        unit_type="patrol_car",
        person=person,
        lat=where[0],
        lon=where[1],
        position_at=timezone.now(),
        **extra,
    )


@pytest.fixture
def scene(world):
    near = _unit("P-NEAR", world.grid_officer, NEAR)
    far = _unit("P-FAR", world.other_officer, FAR)
    incident = Incident.objects.create(title="九江路有人打架", lat=SCENE[0], lon=SCENE[1], address="九江路")
    return {"world": world, "near": near, "far": far, "incident": incident}


def test_it_lets_the_dispatcher_dispatch_a_recommended_unit(open_page, scene):
    world, incident, near = scene["world"], scene["incident"], scene["near"]
    page = open_page(world.dispatcher, "/command/")
    page.click(f"#incidents li[data-incident='{incident.pk}']")
    button = page.locator(f"[data-testid='dispatch-{near.pk}']")
    button.wait_for(timeout=WAIT_MS)
    assert "P-NEAR" in page.locator("#recommendations").inner_text()
    button.click()
    page.wait_for_selector(f"[data-testid='dispatch-{near.pk}'].done", timeout=WAIT_MS)
    assignment = Assignment.objects.get(incident=incident, unit=near)
    assert assignment.eta_s is not None and assignment.dispatched_by == world.dispatcher
    assert page.js_errors == []


def test_it_brings_the_dispatch_order_to_the_officers_phone(open_page, scene, live_server_url):
    world, incident, near = scene["world"], scene["incident"], scene["near"]
    phone = open_page(world.grid_officer, "/phone/", mobile=True)
    token = issue_token(world.dispatcher, "console")
    r = httpx.post(
        f"{live_server_url}/api/v1/incidents/{incident.pk}/dispatch",
        json={"unit_ids": [near.pk]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    order = phone.locator(f"#orders li[data-incident='{incident.pk}']")
    order.wait_for(timeout=WAIT_MS)
    assert "九江路有人打架" in order.inner_text()
    phone.wait_for_selector("body[data-route='1']", timeout=WAIT_MS)  # the route is on the map
    assert phone.locator("#alert").is_visible()
    assert phone.js_errors == []


def test_it_rings_the_command_centre_and_the_group_when_an_officer_presses_sos(open_page, scene):
    world, incident = scene["world"], scene["incident"]
    group = CommandGroup.objects.create(incident=incident, name="九江路指挥群")
    for person in (world.grid_officer, world.other_officer, world.dispatcher):
        CommandGroupMember.objects.create(group=group, person=person)
    # The officer is already on this incident: the phone opens with the order and its group.
    Assignment.objects.create(incident=incident, unit=scene["near"], eta_s=60)
    board = open_page(world.dispatcher, "/command/")
    colleague = open_page(world.other_officer, "/phone/", mobile=True)
    phone = open_page(world.grid_officer, "/phone/", mobile=True)

    assert phone.locator(f"#orders li[data-incident='{incident.pk}']").is_visible()
    assert phone.locator("[data-testid='group']").is_visible()

    # SOS goes only on a held press (a tap is not an alarm): hold until the phone says it is sent.
    box = phone.locator("[data-testid='sos']").bounding_box()
    phone.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.mouse.down()
    phone.wait_for_selector("#sos[data-hold='sent']", timeout=WAIT_MS)
    phone.mouse.up()
    banner = board.locator("[data-testid='sos-banner']")
    banner.wait_for(state="visible", timeout=WAIT_MS)
    assert world.grid_officer.name in banner.inner_text()
    assert int(board.evaluate("LM.beep.count")) >= 1  # the alarm tone was played

    colleague.wait_for_selector("[data-testid='alert'].sos", timeout=WAIT_MS)
    assert world.grid_officer.name in colleague.locator("#alert").inner_text()
    colleague.wait_for_selector("body[data-route='1']", timeout=WAIT_MS)  # a route to the officer

    # The dispatcher acknowledges; the officer's phone is told.
    board.click("[data-testid='sos-ack']")
    banner.wait_for(state="hidden", timeout=WAIT_MS)
    phone.wait_for_selector("body[data-sos='acknowledged']", timeout=WAIT_MS)
    # Acknowledged reads "being handled" on both sides, never "resolved".
    assert phone.locator("[data-testid='sos-state']").inner_text() == "已确认/处置中"
    board.wait_for_selector("#feed li[data-kind='sos-acknowledged']", timeout=WAIT_MS)
    assert "已确认/处置中" in board.locator("#feed").inner_text()
    assert "已解决" not in board.locator("#feed").inner_text() + phone.locator("body").inner_text()
    assert board.js_errors == [] and phone.js_errors == [] and colleague.js_errors == []
