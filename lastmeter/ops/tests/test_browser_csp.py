"""The Content-Security-Policy in a real browser: the command centre (Leaflet map, ECharts charts,
websocket, fetches) and the resident's form work under it with no violation, while an injected
inline script is refused."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lastmeter.dispatching.models import Unit
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet
from lastmeter.testing.world import POINT_IN_A

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000

# Records every violation the page reports, from its first script on.
WATCH = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def context(browser, live_server_url):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    ctx.add_init_script(WATCH)
    console: list[str] = []
    ctx.on("console", lambda m: console.append(m.text))
    ctx.console = console  # type: ignore[attr-defined]
    yield ctx
    ctx.close()
    wait_for_database_quiet()


def violations(page) -> list[str]:
    return page.evaluate("window.cspViolations")


def test_it_runs_the_command_centre_map_and_charts_under_the_policy(
    context, live_server_url, world, new_appeal
):
    Unit.objects.create(
        code="P-01",
        name="巡逻车1",
        agency="police",
        unit_type="patrol_car",
        person=world.grid_officer,
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        position_at=timezone.now(),
    )
    new_appeal()
    context.add_cookies(
        [{"name": "sessionid", "value": session_cookie(world.dispatcher.user), "url": live_server_url}]
    )
    page = context.new_page()
    response = page.goto(live_server_url + "/command/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)  # the websocket is up
    page.wait_for_selector(".leaflet-container .unit-dot", timeout=WAIT_MS)  # the map drew the unit
    page.wait_for_selector("canvas", timeout=WAIT_MS)  # ECharts drew
    # The unit's colour is a style attribute Leaflet's marker carries: allowed and applied.
    colour = page.locator(".unit-dot").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("", "rgba(0, 0, 0, 0)")
    assert violations(page) == []
    assert not [m for m in context.console if "Content Security Policy" in m]

    # An injected inline script does not run, and the browser reports it.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_function("() => window.cspViolations.length > 0", timeout=WAIT_MS)
    assert page.evaluate("window.injected") is None
    assert violations(page)[0].startswith("script-src")


def test_it_runs_the_residents_form_under_the_policy(context, live_server_url, world):
    page = context.new_page()
    page.goto(live_server_url + "/intake/report/")
    page.wait_for_selector("form", timeout=WAIT_MS)
    page.select_option("select[data-autosubmit]", "en")  # the language switch, a script file now
    page.wait_for_selector("html[lang='en']", timeout=WAIT_MS)
    assert violations(page) == []
