"""The weekly report in a real browser (Playwright + chromium against daphne): Chinese headings and
the figures as measured, the print button, and print media without the site's navigation."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from lastmeter.appeals.choices import AppealState, ClockKind, ClockState
from lastmeter.stats.rollups import local_tz, rebuild
from lastmeter.stats.tests.fixture import H, appeal, clock, event
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_MS = 30_000


@pytest.fixture
def last_week(world):
    """Three appeals on Tuesday of the last complete week: two landed on time, one late."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    tuesday = datetime.combine(monday + timedelta(days=1), time(9), tzinfo=local_tz())
    for n, landed in enumerate((ClockState.MET, ClockState.MET, ClockState.BREACHED)):
        a = appeal(
            world, tuesday + n * H, grid=world.grid_a if n < 2 else world.grid_b, state=AppealState.LANDED
        )
        clock(a, ClockKind.LAND, landed)
        event(a, a.created_at + 2 * H, AppealState.LANDED)
    rebuild()
    return monday


def test_it_prints_the_leaders_weekly_report_in_chinese_without_the_navigation(
    browser, live_server_url, world, last_week
):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    ctx.add_cookies(
        [{"name": "sessionid", "value": session_cookie(world.leader.user), "url": live_server_url}]
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # The header's link leads to the leader's report: the last complete week by default.
        page.goto(live_server_url + "/")
        page.click("header.top a[href='/stats/report/leadership/']")
        page.wait_for_selector("[data-testid='report']", timeout=WAIT_MS)
        assert page.locator("h1").inner_text() == "全辖区 周报"
        headings = page.locator(".rp-section h2").all_inner_texts()
        assert headings[:2] == ["核心指标", "本期诉求热点分布图"]
        assert {"主要诉求类别", "网格", "转办部门情况", "超时未办结事项"} <= set(headings)
        assert (
            f"统计期间：{last_week.isoformat()} 至 {(last_week + timedelta(days=6)).isoformat()}"
            in page.inner_text(".rp-head")
        )
        received = page.locator("tr[data-figure='received'] td").first.inner_text()
        landed = page.locator("tr[data-figure='landed_rate'] td").first.inner_text()
        assert (received, landed) == ("3", "66.7%")
        # The grid outlines are drawn in the page itself (inline SVG): nothing to fetch when printing.
        assert page.locator("svg.rp-map polygon.rp-grid").count() == 2
        # The print button opens the browser's print dialog.
        page.evaluate("window.print = () => { window.printed = true; }")
        page.click("[data-testid='print']")
        assert page.evaluate("window.printed") is True
        assert (
            page.locator("header.top").is_visible()
            and page.locator("[data-testid='report-toolbar']").is_visible()
        )
        page.emulate_media(media="print")
        assert not page.locator("header.top").is_visible()
        assert not page.locator("[data-testid='report-toolbar']").is_visible()
        assert page.locator("[data-testid='headline']").is_visible() and page.locator("h1").is_visible()
        assert errors == []
    finally:
        ctx.close()
        wait_for_database_quiet()
