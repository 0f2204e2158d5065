"""The dashboards in a real browser (Playwright driving Debian's chromium against daphne):

1. The leader opens the leadership dashboard, narrows the range, sorts a table, follows a number
   to the appeals behind it and downloads the dashboard as XLSX.
2. The officer of another community asks for grid A's dashboard and is refused.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from lastmeter.accounts.models import AccessLog
from lastmeter.stats.rollups import rebuild
from lastmeter.stats.tests.fixture import build_month
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000
MARCH = "from=2024-03-01&to=2024-03-31"


@pytest.fixture
def open_page(browser, live_server_url):
    contexts = []

    def open_(person, path: str):
        ctx = browser.new_context(
            locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        contexts.append(ctx)
        ctx.add_cookies([{"name": "sessionid", "value": session_cookie(person.user), "url": live_server_url}])
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


@pytest.fixture
def month(world):
    m = build_month(world)
    rebuild()
    return m


def _column(page, table: str, label: str) -> int:
    headings = page.locator(f"[data-testid='table-{table}'] thead th").all_inner_texts()
    return next(i for i, text in enumerate(headings) if label in text)


def test_it_walks_the_leader_through_the_dashboard(open_page, world, month, tmp_path):
    page = open_page(world.leader, f"/stats/leadership/?{MARCH}")
    page.wait_for_selector("body[data-charts]", timeout=WAIT_MS)
    assert int(page.get_attribute("body", "data-charts")) >= 3
    assert page.locator("[data-testid='chart-trend'] canvas").count() == 1  # ECharts drew it
    assert page.locator("[data-testid='kpi-received'] .kpi-value").inner_text() == "6"

    # The range: only 5 March (A2, A3, A4, A5).
    page.fill("[data-testid='range-from']", "2024-03-05")
    page.fill("[data-testid='range-to']", "2024-03-05")
    page.click("[data-testid='range-apply']")
    page.wait_for_url("**from=2024-03-05**", timeout=WAIT_MS)
    assert page.locator("[data-testid='kpi-received'] .kpi-value").inner_text() == "4"

    # Sort the ranking of grids by appeals received: most first, then fewest first.
    received = _column(page, "grids", "受理诉求数")
    heading = page.locator("[data-testid='table-grids'] thead th").nth(received)
    heading.locator("button").click()
    assert heading.get_attribute("aria-sort") == "descending"
    first_cell = page.locator("[data-testid='table-grids'] tbody tr").first.locator("td").nth(received)
    assert first_cell.inner_text() == "3"  # grid A: A2, A3, A5
    heading.locator("button").click()
    assert heading.get_attribute("aria-sort") == "ascending" and first_cell.inner_text() == "1"

    # A number is a link to the appeals behind it.
    page.click("[data-testid='kpi-received'] a")
    page.wait_for_url("**/appeals/?received_from=2024-03-05**", timeout=WAIT_MS)
    assert page.locator("[data-appeal]").count() == 4
    assert page.locator("[data-testid='figure-filter']").is_visible()

    # Back on the dashboard, download every table as one workbook.
    page.go_back()
    with page.expect_download(timeout=WAIT_MS) as download:
        page.click("[data-testid='export-all']")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "lastmeter-leadership-jurisdiction-2024-03-05_2024-03-05.xlsx"
    book = load_workbook(saved)
    assert book.sheetnames[:2] == ["核心指标", "趋势"] and book["核心指标"]["B2"].value == 4
    assert AccessLog.objects.filter(person=world.leader, what__contains="all tables (xlsx)").count() == 1
    assert page.js_errors == []


def test_it_refuses_a_grid_officer_another_grids_dashboard(open_page, world, month):
    page = open_page(world.other_officer, f"/stats/grid/{world.grid_a.pk}/?{MARCH}")
    page.wait_for_selector("[data-testid='error-404']", timeout=WAIT_MS)
    assert "A网格" not in page.content() and page.locator("[data-chart]").count() == 0
    assert str(world.grid_a.pk) in page.locator("[data-testid='error-message']").inner_text()
    # Their own grid opens.
    page.goto(page.url.replace(f"/grid/{world.grid_a.pk}/", f"/grid/{world.grid_b.pk}/"))
    page.wait_for_selector("body[data-charts]", timeout=WAIT_MS)
    assert page.locator("[data-testid='dash-target']").inner_text() == "B网格"
