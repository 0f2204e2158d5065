"""A consultation meeting from its agenda to the report-back at the next meeting, in a real browser
(Playwright, Debian's chromium), in Chinese: the grid officer schedules a meeting whose agenda
holds the recurring parking problem, records attendees and minutes; a decision without an owner
is refused on the page, with an owner it becomes an action item and the reporters are told; the
next meeting carries the action item to its agenda, and the report-back closes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lastmeter.appeals.models import OutboxMessage
from lastmeter.meetings.models import ActionItem, Meeting
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000


@pytest.fixture
def page(browser, live_server_url, world):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.add_cookies(
        [
            {"name": "django_language", "value": "zh-hans", "url": live_server_url},
            {"name": "sessionid", "value": session_cookie(world.grid_officer.user), "url": live_server_url},
        ]
    )
    p = ctx.new_page()
    p.js_errors = []  # type: ignore[attr-defined]
    p.on("pageerror", lambda e: p.js_errors.append(str(e)))  # type: ignore[attr-defined]
    yield p
    ctx.close()
    wait_for_database_quiet()


def _act(
    page, action: str, fields: dict[str, str] | None = None, selects: dict[str, str] | None = None
) -> str:
    form = page.locator(f"[data-testid='action-{action}']")
    for name, value in (selects or {}).items():
        form.locator(f"select[name='{action}-{name}']").select_option(value)
    for name, value in (fields or {}).items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    form.locator("button").click()
    page.wait_for_selector(".messages li", timeout=WAIT_MS)
    return page.inner_text(".messages")


def _in_days(days: int) -> str:
    """A meeting time ahead of now (the agenda takes the appeals known when it is scheduled)."""
    return f"{timezone.localtime() + timedelta(days=days):%Y-%m-%dT19:00}"


def _schedule(page, live_server_url, title: str, when: str) -> Meeting:
    page.goto(live_server_url + "/meetings/new/")
    page.fill("input[name='title']", title)
    page.fill("input[name='held_at']", when)
    page.fill("input[name='place']", "福州路社区活动室")
    page.click("[data-testid='meeting-form'] button")
    page.wait_for_selector("[data-testid='meeting-state']", timeout=WAIT_MS)
    return Meeting.objects.get(title=title)


def _hold(page, minutes: str) -> None:
    _act(page, "add_attendee", {"name": "居民代表刘"}, {"kind": "resident_rep"})
    assert "已召开" in _act(page, "minutes", {"minutes": minutes})


def test_it_runs_a_meeting_from_the_agenda_to_the_report_back(page, live_server_url, world, new_appeal):
    for _ in range(3):
        new_appeal(text="小区门口夜间违停堵路", address="福州路1号")
    first = _schedule(page, live_server_url, "三月警民议事会", _in_days(1))
    agenda = page.inner_text("[data-testid='agenda']")
    assert "反复出现的问题" in agenda and "福州路1号" in agenda
    _hold(page, "居民反映门口夜间违停")
    hotspot = first.items.get(kind="hotspot")

    fields = {"decision": "门口加装隔离桩", "task": "加装隔离桩并夜间巡查", "working_days": "10"}
    refused = _act(page, "decide", fields, {"item": str(hotspot.pk)})
    assert "决定须有责任人" in refused and not ActionItem.objects.exists()
    _act(page, "decide", fields, {"item": str(hotspot.pk), "owner": str(world.liaison.pk)})
    assert "城管联络员" in page.inner_text("[data-testid='action-items']")
    assert OutboxMessage.objects.filter(key__startswith=f"meeting:{first.pk}:").count() == 3
    assert "纪要已归档" in _act(page, "close")

    second = _schedule(page, live_server_url, "四月警民议事会", _in_days(30))
    report = second.items.get(kind="report_back")
    assert "加装隔离桩并夜间巡查" in page.inner_text("[data-testid='agenda']")
    _hold(page, "城管汇报隔离桩已安装")
    page.locator("[data-testid='action-report_back'] input[name='report_back-done']").check()
    _act(page, "report_back", {"report": "隔离桩已安装，夜间巡查两周"}, {"item": str(report.pk)})
    action = ActionItem.objects.get()
    assert action.state == "done" and action.reported_at == second
    assert "隔离桩已安装" in page.inner_text(".timeline")
    assert "已完成" in page.inner_text("[data-testid='agenda'] li[data-kind='report_back']")
    assert not page.js_errors  # type: ignore[attr-defined]
