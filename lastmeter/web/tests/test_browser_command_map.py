"""The command centre's map, in a real browser: a legend that says what every colour and mark means,
charts with titled axes, and a new incident opened by clicking on the map (Playwright + chromium
against uvicorn, as in test_browser_command.py)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lastmeter.dispatching.models import Incident, Unit
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet
from lastmeter.testing.world import GRID_A_BOX, GRID_B_BOX, POINT_IN_A

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000


@pytest.fixture
def board(browser, live_server_url, world, new_appeal):
    """The dispatcher's command centre, live, in zh-Hans, with a unit and an open appeal on it."""
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
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    ctx.add_cookies(
        [{"name": "sessionid", "value": session_cookie(world.dispatcher.user), "url": live_server_url}]
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server_url + "/command/")
    page.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    ctx.close()
    wait_for_database_quiet()


def test_it_explains_the_map_colours_in_a_legend(board):
    legend = board.locator("#legend")
    groups = legend.locator(".lg-group")
    assert groups.evaluate_all("gs => gs.map(g => g.dataset.legend)") == [
        "units",
        "agencies",
        "appeals",
        "marks",
    ]
    appeals = legend.locator("[data-legend='appeals']").inner_text()
    for words in ("诉求（剩余时限）", "剩余一半以上", "剩余不足一半", "剩余不足四分之一", "已超时", "无计时"):
        assert words in appeals, words
    units = legend.locator("[data-legend='units']").inner_text()
    assert "警力（状态）" in units and "空闲" in units
    # The swatches are the colours the map draws with (mapbase.APPEAL_COLOURS).
    swatches = legend.locator("[data-legend='appeals'] i").evaluate_all(
        "is => is.map(i => getComputedStyle(i).backgroundColor)"
    )
    assert swatches == board.evaluate(
        """() => ["plenty", "half", "quarter", "overdue", "none"].map(k => {
            const probe = document.createElement("i"); probe.style.background = LM.mapbase.APPEAL_COLOURS[k];
            return probe.style.backgroundColor; })"""
    )
    hourly = board.locator("#chart-hourly").get_attribute("aria-label")
    response = board.locator("#chart-response").get_attribute("aria-label")
    assert hourly == "今日各时段 (时段（时） / 数量（件）)"
    assert response == "响应时间（分钟） (今日警情（按顺序） / 分钟)"
    assert board.js_errors == []


def test_it_opens_an_incident_where_the_dispatcher_clicks_on_the_map(board, world):
    box = board.locator("#map").bounding_box()
    assert box is not None
    # Somewhere on the map away from the markers (the unit and the appeal are at its centre).
    board.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.35)
    form = board.locator("[data-testid='new-incident-form']")
    form.wait_for(timeout=WAIT_MS)
    assert "在此新建警情" in form.inner_text()
    board.fill("[data-testid='new-incident-title']", "人民广场有人晕倒")
    board.select_option("[data-testid='new-incident-type']", "public_order")
    board.fill("[data-testid='new-incident-description']", "一名老人晕倒在地，需要救助")
    board.click("[data-testid='new-incident-create']")

    board.wait_for_selector("#incidents li:has-text('人民广场有人晕倒')", timeout=WAIT_MS)
    incident = Incident.objects.get(title="人民广场有人晕倒")
    assert incident.incident_type == "public_order" and incident.description == "一名老人晕倒在地，需要救助"
    assert incident.created_by == world.dispatcher and incident.status == "open"
    # Where the click was: on the map, inside the two grids' extent (lon, lat boxes).
    assert GRID_A_BOX[0] - 0.01 < incident.lon < GRID_B_BOX[2] + 0.01
    assert GRID_A_BOX[1] - 0.01 < incident.lat < GRID_A_BOX[3] + 0.01
    # The new incident is selected: its panel is open, with its type, and the form is gone.
    panel = board.locator("[data-testid='incident-panel']")
    panel.wait_for(state="visible", timeout=WAIT_MS)
    assert panel.get_attribute("data-incident") == str(incident.pk)
    assert "治安" in board.locator("#incident-meta").inner_text()
    form.wait_for(state="detached", timeout=WAIT_MS)  # the popup closes (after its fade)
    assert board.js_errors == []


def test_it_says_why_an_incident_without_a_title_is_refused(board):
    box = board.locator("#map").bounding_box()
    assert box is not None
    board.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    board.locator("[data-testid='new-incident-form']").wait_for(timeout=WAIT_MS)
    # The browser itself asks for a title; a title of spaces reaches the server and is refused.
    board.fill("[data-testid='new-incident-title']", "   ")
    board.click("[data-testid='new-incident-create']")
    error = board.locator("[data-testid='new-incident-error']")
    error.wait_for(state="visible", timeout=WAIT_MS)
    assert "警情需要标题" in error.inner_text()
    assert Incident.objects.count() == 0
