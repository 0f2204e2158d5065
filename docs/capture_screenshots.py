"""Capture the README's screenshots from a running demo (`make run`, or `lastmeter serve`).

    .venv/bin/python docs/capture_screenshots.py [--base http://127.0.0.1:8000] [--wait 0]

Logs in as the demo dispatcher and as the officer who holds the newest dispatch order (read
from the demo database, so run it with the same LASTMETER_VAR_DIR / DATABASE_URL as the server),
and saves docs/screenshot-command-centre.png, docs/screenshot-phone.png,
docs/screenshot-planning.png and, as the demo's leader, docs/screenshot-dashboard.png (the
leadership dashboard of the last twelve whole months; the server's worker must have refreshed the figures'
rollup once, which `lastmeter serve` does at start) and docs/screenshot-report-weekly.png. Uses
Debian's chromium through Playwright, like the browser tests; Chinese text needs a CJK font
(`apt-get install fonts-wqy-microhei`), or it prints as boxes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PASSWORD = "lastmeter-demo"


def officer_with_order() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")
    sys.path.insert(0, str(DOCS.parent))
    import django

    django.setup()
    from lastmeter.dispatching.models import Assignment

    a = (
        Assignment.objects.filter(cleared_at__isnull=True, unit__person__user__isnull=False)
        .select_related("unit__person__user")
        .order_by("-dispatched_at")
        .first()
    )
    return a.unit.person.user.username if a else "officer1"


def login(browser, base: str, username: str, **options):
    ctx = browser.new_context(locale="zh-CN", **options)
    page = ctx.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def capture_weekly_report(browser, base: str) -> Path:
    """The leader's printable weekly report of the last complete week (the page's default)."""
    page = login(browser, base, "leader", viewport={"width": 1100, "height": 900})
    page.goto(base + "/stats/report/leadership/?period=week", timeout=180_000)  # Gi* compiles once
    page.wait_for_selector("[data-testid='report']")
    path = DOCS / "screenshot-report-weekly.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to let the demo run first")
    args = parser.parse_args()
    time.sleep(args.wait)
    officer = officer_with_order()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    from lastmeter.testing.browser import CHROMIUM, CHROMIUM_ARGS  # the browser tests' flags

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        board = login(browser, args.base, "dispatcher", viewport={"width": 1440, "height": 900})
        board.goto(args.base + "/command/")
        board.wait_for_selector("body[data-live='1']")
        board.wait_for_selector("body[data-roads='1']", timeout=60_000)
        first = board.locator("#incidents li").first
        if first.count():
            first.click()
            board.wait_for_selector("#recommendations li", timeout=30_000)
        time.sleep(2)
        board.screenshot(path=str(DOCS / "screenshot-command-centre.png"))

        phone = login(
            browser,
            args.base,
            officer,
            viewport={"width": 412, "height": 880},
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
        )
        phone.goto(args.base + "/phone/")
        phone.wait_for_selector("body[data-live='1']")
        phone.wait_for_selector("body[data-roads='1']", timeout=60_000)
        nav = phone.locator("[data-testid='navigate-order']").first
        if nav.count():
            nav.click()
            time.sleep(2)
        phone.screenshot(path=str(DOCS / "screenshot-phone.png"))

        # The planner's platforms page: containment of a fleeing vehicle with the page's defaults.
        board.goto(args.base + "/planning/service-areas/")
        board.wait_for_selector("#sa-map.leaflet-container", timeout=60_000)
        board.click("#containment-form button")
        board.wait_for_selector("#containment-result:not([hidden])", timeout=60_000)
        time.sleep(1)
        board.locator("[data-testid='sa-map-card']").scroll_into_view_if_needed()
        board.screenshot(path=str(DOCS / "screenshot-planning.png"), full_page=True)

        # The leadership dashboard: headline figures, trend and rankings, charts drawn.
        leader = login(browser, args.base, "leader", viewport={"width": 1440, "height": 900})
        # The last twelve whole months: a monthly trend, and YoY from the demo's drawn history.
        today = date.today()
        last = today.replace(day=1) - timedelta(days=1)
        first = last.replace(year=last.year - 1) + timedelta(days=1)
        leader.goto(args.base + f"/stats/leadership/?from={first}&to={last}")
        leader.wait_for_selector("body[data-charts]", timeout=60_000)
        time.sleep(1.5)  # the charts' entry animation
        # The top of the page: range, headline figures, charts and the first table.
        leader.screenshot(
            path=str(DOCS / "screenshot-dashboard.png"),
            full_page=True,
            clip={"x": 0, "y": 0, "width": 1440, "height": 1600},
        )
        report = capture_weekly_report(browser, args.base)
        browser.close()
    names = ("command-centre", "phone", "planning", "dashboard")
    print("saved", *(DOCS / f"screenshot-{n}.png" for n in names), report)


if __name__ == "__main__":
    main()
