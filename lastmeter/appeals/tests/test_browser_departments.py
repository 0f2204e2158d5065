"""Browser flows of issue 11 §2 and §5 through a real server (Playwright, Debian's chromium).

1. transferred → accepted → outcome → reporter told: the dispatcher transfers an appeal to a
   department on the appeal page; the liaison, who logged in and has the inbox open, sees it
   arrive live, accepts it and reports the outcome; the reporter's message carries the
   tracking link, and the tracking page shows the outcome.
2. The dispatcher assigns by name: typing part of a name narrows the picker, the page assigns.
"""

from __future__ import annotations

import pytest

from lastmeter.appeals.choices import AppealState, TransferState
from lastmeter.appeals.models import OutboxMessage
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000


@pytest.fixture
def pages(browser, live_server_url):
    """pages(person=None) → a new zh-CN browser page, logged in as ``person`` when given."""
    contexts = []

    def open_(person=None):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        if person is not None:
            ctx.add_cookies(
                [{"name": "sessionid", "value": session_cookie(person.user), "url": live_server_url}]
            )
        page = ctx.new_page()
        page.js_errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.js_errors.append(str(e)))  # type: ignore[attr-defined]
        return page

    yield open_
    for ctx in contexts:
        ctx.close()
    wait_for_database_quiet()


def test_it_walks_a_transfer_from_the_dispatcher_to_the_liaison_and_back_to_the_reporter(
    pages, live_server_url, world, new_appeal, settings
):
    appeal = new_appeal(text="小区门口人行道上有人摆摊卖水果，行人只能走机动车道")
    # The server checks passwords with the default hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    world.liaison.user.set_password("pass-liaison")
    world.liaison.user.save(update_fields=["password"])

    # The liaison logs in with the form and lands on the department's inbox, live.
    inbox = pages()
    inbox.goto(live_server_url + "/accounts/login/")
    inbox.fill("input[name='username']", "liaison")
    inbox.fill("input[name='password']", "pass-liaison")
    inbox.click("button[type='submit']")
    inbox.wait_for_url(live_server_url + "/departments/inbox/", timeout=WAIT_MS)
    inbox.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)
    assert "暂无待本部门处理的转办" in inbox.inner_text("#inbox")

    # The dispatcher transfers the appeal on its page.
    desk = pages(world.dispatcher)
    desk.goto(f"{live_server_url}/appeals/{appeal.pk}/")
    form = desk.locator("form.action-transfer")
    form.locator("select[name='department']").select_option("urban_management")
    form.locator("input[name='note']").fill("占道经营，请城管处理")
    form.locator("button").click()
    desk.wait_for_selector(".messages li.success", timeout=WAIT_MS)
    assert "已完成「转办部门」" in desk.inner_text(".messages")
    transfer = appeal.transfers.get()

    # It arrives in the liaison's open inbox without a reload, with its acceptance deadline.
    row = inbox.locator(f"[data-testid='transfer-{transfer.pk}']")
    row.wait_for(timeout=WAIT_MS)
    assert appeal.reference in inbox.inner_text("[data-testid='inbox-news']")
    assert "部门签收或退回" in row.inner_text() and "小区门口人行道" in row.inner_text()

    # Accept, then report the outcome.
    inbox.click(f"[data-testid='accept-{transfer.pk}']")
    inbox.wait_for_selector(f"[data-testid='outcome-{transfer.pk}']", timeout=WAIT_MS)
    assert "部门反馈办理结果" in inbox.locator(f"[data-testid='transfer-{transfer.pk}']").inner_text()
    inbox.fill(f"[data-testid='outcome-{transfer.pk}']", "已责令摊主撤离，并加强巡查")
    inbox.click(f"[data-testid='complete-{transfer.pk}']")
    inbox.wait_for_selector(".messages li.success", timeout=WAIT_MS)
    assert "暂无待本部门处理的转办" in inbox.inner_text("#inbox")
    assert "已责令摊主撤离" in inbox.inner_text("#inbox")  # recently finished

    appeal.refresh_from_db()
    transfer.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED and transfer.state == TransferState.COMPLETED
    link = f"/t/{appeal.tracking_token}/"
    told = OutboxMessage.objects.get(appeal=appeal, key__contains=":department_outcome:")
    assert "已责令摊主撤离" in told.body and link in told.body
    transferred = OutboxMessage.objects.get(appeal=appeal, key__contains=":transferred:")
    assert link in transferred.body

    # The reporter follows the link from the message.
    resident = pages()
    resident.goto(live_server_url + link)
    assert "已责令摊主撤离，并加强巡查" in resident.inner_text("main")
    assert inbox.js_errors == [] and desk.js_errors == []  # type: ignore[attr-defined]


def test_it_lets_the_dispatcher_assign_by_name(pages, live_server_url, world, new_appeal):
    appeal = new_appeal()
    desk = pages(world.dispatcher)
    desk.goto(f"{live_server_url}/appeals/{appeal.pk}/")
    picker = desk.locator("[data-testid='assign-picker']")
    options = picker.locator("select[name='person'] option")
    assert options.count() == 3  # both grids' officers and the grid member
    picker.locator("[data-testid='assign-search']").fill("陈")
    # A function, not an expression string: Playwright would eval() a string in the page, which the
    # Content-Security-Policy (script-src 'self') refuses.
    desk.wait_for_function(
        "() => document.querySelectorAll(\"[data-testid='assign-person'] option\").length === 1",
        timeout=WAIT_MS,
    )
    assert "辅警陈" in options.first.inner_text() and "A网格" in options.first.inner_text()
    picker.locator("select[name='person']").select_option(str(world.grid_member.pk))
    picker.locator("form[method='post'] button").click()
    desk.wait_for_selector(".messages li.success", timeout=WAIT_MS)
    appeal.refresh_from_db()
    assert appeal.assignee == world.grid_member
    assert desk.js_errors == []  # type: ignore[attr-defined]
