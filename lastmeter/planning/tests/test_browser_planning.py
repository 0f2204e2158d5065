"""Browser flow through a real server: a planner contains a fleeing vehicle on the service-areas page.

Playwright drives Debian's chromium against uvicorn (lastmeter.testing.servers), over the test
database and the shipped central-Shanghai road extract. The planner opens /planning/service-areas/,
the map and its platforms load, they submit the containment form with the page defaults for an
incident at People's Square, and the page shows the cordon summary, its table and its map markers.
An officer who is not a planner gets 403.
"""

from __future__ import annotations

import httpx
import pytest

from lastmeter.demo.planning import DEMO_PLATFORMS
from lastmeter.planning.platforms import do_save_platform
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 60_000  # generous: the first analysis loads the road network in the server
PAGE = "/planning/service-areas/"

# The page's default incident, at People's Square south (延安东路/西藏中路 area): with the ten demo
# platforms and the defaults (1 min ahead, 30 km/h) it has a valid cordon. The corner of 福州路/福建中路
# (31.23585,121.47640) has none with these platforms: the suspect reaches the network's edge first.
INCIDENT = "31.2305,121.4737"
PLATFORMS = DEMO_PLATFORMS  # intersections of the shipped OSM extract (lastmeter/demo/planning.py)
CORDON_COLOUR = "#1f5fbf"  # service_areas.js draws each sealed intersection in this colour
INCIDENT_COLOUR = "#ff6f00"

# Counts the circle markers service_areas.js draws (they are painted on a canvas, so not in the DOM):
# wraps L.circleMarker as soon as Leaflet assigns window.L.
COUNT_MARKERS = """
(() => {
  let real;
  window.__markers = [];
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return real; },
    set(v) {
      real = v;
      const make = v.circleMarker;
      v.circleMarker = function (ll, opts) {
        window.__markers.push((opts && opts.color) || "");
        return make.apply(this, arguments);
      };
    },
  });
})();
"""


@pytest.fixture
def planner_page(browser, live_server_url):
    """planner_page(person) → (page, js_errors): a logged-in desktop page, not yet navigated."""
    contexts = []

    def open_(person):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        ctx.add_cookies([{"name": "sessionid", "value": session_cookie(person.user), "url": live_server_url}])
        ctx.add_init_script(COUNT_MARKERS)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page, errors

    yield open_
    for ctx in contexts:
        ctx.close()
    # The server may still be handling the page's last requests; the flush must not race it.
    wait_for_database_quiet()


@pytest.fixture
def platforms(world):
    return [do_save_platform(code=c, name=n, lat=lat, lon=lon) for c, n, lat, lon in PLATFORMS]


def test_it_lets_a_planner_contain_a_fleeing_vehicle(planner_page, live_server_url, world, platforms):
    page, errors = planner_page(world.dispatcher)
    with page.expect_response(lambda r: "/planning/service-areas/geojson" in r.url, timeout=WAIT_MS) as areas:
        response = page.goto(live_server_url + PAGE)
    assert response is not None and response.status == 200
    assert areas.value.ok
    features = areas.value.json()["features"]
    assert sum(f["properties"]["layer"] == "platform" for f in features) == len(PLATFORMS)
    # The server-rendered report lists every platform.
    report = page.locator("[data-testid='service-areas']").inner_text()
    assert all(p.code in report for p in platforms)
    page.wait_for_selector("#sa-map.leaflet-container", timeout=WAIT_MS)
    page.wait_for_function("window.__markers.length > 0", timeout=WAIT_MS)
    assert page.locator("#sa-map canvas").count() >= 1

    form = page.locator("#containment-form")
    # The page defaults are the brief's scenario: one minute ahead, a suspect at 30 km/h.
    assert form.locator("[name=head_start_min]").input_value() == "1"
    assert form.locator("[name=suspect_speed_kmh]").input_value() == "30"
    form.locator("[name=incident]").fill(INCIDENT)
    before = page.evaluate("window.__markers.length")
    with page.expect_response(lambda r: "/planning/containment" in r.url, timeout=WAIT_MS) as planned:
        form.locator("button").click()
    assert planned.value.status == 200, planned.value.text()
    plan = planned.value.json()
    page.wait_for_selector("#containment-result:not([hidden])", timeout=WAIT_MS)

    assert plan["cut_valid"] is True and plan["cordon_size"] >= 1
    summary = page.locator("#containment-summary").inner_text()
    assert "割集检验" in summary or "cut check" in summary
    assert "通过" in summary and "未通过" not in summary
    rows = page.locator("#containment-result tbody tr")
    assert rows.count() == plan["cordon_size"] == len(plan["assignments"])
    codes = {p.code for p in platforms}
    assert all(any(c in rows.nth(i).inner_text() for c in codes) for i in range(rows.count()))
    # Each sealed intersection is named by its streets (or, for a ramp, the street beside it),
    # never by its road-map node id.
    for i, a in enumerate(plan["assignments"]):
        place = rows.nth(i).locator("td").first.inner_text()
        assert str(a["node"]) not in place
        assert (
            place in (" / ".join(a["streets"]), " / ".join(a["near"]) + "附近") and a["streets"] + a["near"]
        )
    assert page.locator("#containment-error").is_hidden()
    drawn = page.evaluate("window.__markers")[before:]
    assert drawn.count(CORDON_COLOUR) == plan["cordon_size"]
    assert drawn.count(INCIDENT_COLOUR) == 1
    assert errors == []


def test_it_forbids_the_page_to_an_officer(live_server_url, world):
    for person, status in ((world.grid_officer, 403), (world.dispatcher, 200)):
        cookies = {"sessionid": session_cookie(person.user)}
        with httpx.Client(base_url=live_server_url, cookies=cookies, timeout=30) as client:
            # The planner gets the page, so the officer's 403 is about the role, not the route.
            assert client.get(PAGE).status_code == status
