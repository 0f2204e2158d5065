"""The resident on a phone (360 px wide), through a real server and chromium:

1. opens the report form: labels sit above their inputs, the map draws our own grids (no tile
   server), a tap on the map drops the pin inside grid A and fills latitude and longitude;
2. sends it and lands on the tracking page, which says "请保存此链接" with the link and a copy
   button that puts the link on the clipboard;
3. a pin outside every grid is flagged on the map and refused by the server with a clear message;
4. once the officer has resolved the appeal, the resident asks for a code (it goes to their phone),
   rates with it, and the rating is on the timeline.
"""

from __future__ import annotations

import re

import pytest

from lastmeter.appeals import services
from lastmeter.appeals.models import Appeal, OutboxMessage, Rating
from lastmeter.testing.servers import wait_for_database_quiet
from lastmeter.testing.world import POINT_IN_A

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture
def phone_page(browser, live_server_url):
    contexts = []

    def open_(path: str):
        ctx = browser.new_context(**PHONE)
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server_url)
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server_url + path)
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield open_
    for ctx in contexts:
        ctx.close()
    wait_for_database_quiet()


def _box(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def test_it_lets_a_resident_pin_the_place_on_a_phone_and_save_the_tracking_link(phone_page, world):
    page = phone_page("/intake/report/")
    page.wait_for_selector("#report-map[data-ready='1']", timeout=WAIT_MS)
    # Labels do not run into their inputs: each label ends above its field, within the screen.
    for field in ("f-text", "f-address", "f-name", "f-phone"):
        label, box = _box(page, f"label[for='{field}']"), _box(page, f"#{field}")
        assert label["y"] + label["height"] <= box["y"] + 1, field
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, field
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The map is drawn from our grids, without any tile server.
    assert (
        page.locator("#report-map path.leaflet-interactive").count() >= 2
        or page.locator("#report-map canvas").count() >= 1
    )
    assert page.locator("#report-map .leaflet-tile").count() == 0
    page.wait_for_selector("#report-map[data-roads]", timeout=WAIT_MS)
    # A tap on the map, left of centre (grid A is the western half of the area), drops the pin.
    m = _box(page, "#report-map")
    page.touchscreen.tap(m["x"] + m["width"] * 0.4, m["y"] + m["height"] * 0.5)
    page.wait_for_selector("#report-map[data-pin-inside='1']", timeout=WAIT_MS)
    lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert 31.225 < lat < 31.235 and 121.465 < lon < 121.475
    assert "A网格" in page.inner_text("#pin-status")
    page.fill("#f-text", "小区门口有车辆违停，堵住了消防通道")
    page.fill("#f-name", "刘女士")
    page.fill("#f-phone", "13912345678")
    page.click("button.primary")
    page.wait_for_selector("[data-testid='save-link']", timeout=WAIT_MS)
    appeal = Appeal.objects.get()
    assert appeal.grid == world.grid_a and appeal.channel == "web"
    assert "请保存此链接" in page.inner_text("[data-testid='save-link']")
    assert appeal.reference in page.inner_text("[data-testid='just-filed']")
    link = page.input_value("#track-link")
    assert link.endswith(f"/t/{appeal.tracking_token}/")
    page.click("#copy-link")
    page.wait_for_selector("body[data-copied='1']", timeout=WAIT_MS)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f"/t/{appeal.tracking_token}/") and copied.startswith("http")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.js_errors == []


def test_it_flags_and_refuses_a_pin_outside_the_jurisdiction(phone_page, world):
    page = phone_page("/intake/report/")
    page.wait_for_selector("#report-map[data-ready='1']", timeout=WAIT_MS)
    page.fill("#lat", "31.26")
    page.fill("#lon", "121.52")
    page.dispatch_event("#lon", "change")
    page.wait_for_selector("#pin-status.outside", timeout=WAIT_MS)
    assert "不在本辖区" in page.inner_text("#pin-status")
    page.fill("#f-text", "陆家嘴有车辆违停")
    page.click("button.primary")
    error = page.locator("[data-testid='form-error']")
    error.wait_for(timeout=WAIT_MS)
    assert "不在本辖区" in error.inner_text() and "31.26000" in error.inner_text()
    assert page.input_value("#f-text") == "陆家嘴有车辆违停"  # nothing typed is lost
    assert Appeal.objects.count() == 0
    assert page.js_errors == []


def test_it_lets_the_reporter_rate_with_the_code_sent_to_their_phone(phone_page, world, new_appeal):
    appeal = new_appeal()
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, appeal.pk)
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="民警已到场，车辆已挪走")
    page = phone_page(f"/t/{appeal.tracking_token}/")
    assert "民警已到场，车辆已挪走" in page.inner_text("[data-testid='track-reply']")
    assert "139****5678" in page.inner_text("[data-testid='send-code']")
    page.click("[data-testid='send-code']")
    page.wait_for_selector(".messages li.success", timeout=WAIT_MS)
    sms = OutboxMessage.objects.get(appeal=appeal, key__startswith="feedback-code:")
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]
    form = page.locator("[data-testid='rate-form']")
    form.locator("input[name=score][value='4']").check()
    form.locator("input[name=comment]").fill("处理及时")
    form.locator("input[name=code]").fill(code)
    form.locator("button").click()
    page.wait_for_selector(".ev-rated", timeout=WAIT_MS)
    assert "4 分" in page.inner_text(".ev-rated") and "处理及时" in page.inner_text(".ev-rated")
    assert Rating.objects.get(appeal=appeal).score == 4
    assert page.locator("[data-testid='rate-form']").count() == 0
    assert page.js_errors == []
