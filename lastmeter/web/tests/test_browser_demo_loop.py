"""The everyday loop on the demo jurisdiction (``lastmeter demo``'s people, grids, departments and
categories), each person in their own browser, in Chinese, through a real server:

1. received → acknowledged → contacted → landed → resolved → rated: a resident files on the report
   form (a phone screen) and keeps the tracking link; the grid's officer (陈静, officer3) takes the
   appeal through every step on the phone page, landing from the spot; the resident asks for a code
   on the tracking page, rates with it, and the rating is on the timeline.
2. transferred → accepted → outcome → reporter told: a resident reports street vending, which goes
   to the district's urban management at once; the officer's phone shows it transferred with no step
   to take, the department's liaison accepts it and reports the outcome in the inbox, the officer's
   phone follows live (the card leaves when it is resolved), and the reporter's message carries the
   outcome and the tracking link, whose page shows it.

The demo's road network and dispatch units are not needed here (see demo/tests for those).
"""

from __future__ import annotations

import re

import pytest

from lastmeter.appeals.choices import AppealState, TransferState
from lastmeter.appeals.models import Appeal, OutboxMessage, Rating
from lastmeter.demo.categories import DEMO_CATEGORY_CODES, load_categories, load_clock_policies
from lastmeter.demo.communities import load_communities
from lastmeter.demo.departments import load_departments
from lastmeter.demo.organisation import load_organisation
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
# In the demo's 人民广场社区南网格 (officer3's), and a spot about 55 m north of it.
SCENE = (31.2250, 121.4740)
NEAR = (31.2255, 121.4740)


@pytest.fixture
def demo(db):
    """The demo's organisation, departments (with liaisons), categories and clock policies, and its
    communities with their grids and people."""
    organisation = load_organisation()
    load_clock_policies(load_categories(load_departments()))
    load_communities(organisation.station)
    return organisation


@pytest.fixture
def open_page(browser, live_server_url):
    """open_page(path, username=None, where=None, desk=False) → a 360×740 zh-CN page (``desk``: a
    1280×900 one), logged in as the demo user ``username`` when given, with its GPS at ``where``."""
    from lastmeter.accounts.models import Person

    contexts = []

    def open_(
        path: str, username: str | None = None, where: tuple[float, float] | None = None, desk: bool = False
    ):
        options: dict[str, object] = (
            {"locale": "zh-CN", "viewport": {"width": 1280, "height": 900}} if desk else dict(PHONE)
        )
        if where is not None:
            options.update(
                geolocation={"latitude": where[0], "longitude": where[1]}, permissions=["geolocation"]
            )
        ctx = browser.new_context(**options)
        contexts.append(ctx)
        cookies = [{"name": "django_language", "value": "zh-hans", "url": live_server_url}]
        if username is not None:
            user = Person.objects.get(user__username=username).user
            cookies.append({"name": "sessionid", "value": session_cookie(user), "url": live_server_url})
        ctx.add_cookies(cookies)
        page = ctx.new_page()
        page.js_errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.js_errors.append(str(e)))  # type: ignore[attr-defined]
        page.goto(live_server_url + path)
        return page

    yield open_
    for ctx in contexts:
        ctx.close()
    wait_for_database_quiet()


def file_report(open_page, text: str, category: str) -> tuple[object, Appeal]:
    """The resident files on the report form and lands on the tracking page; (page, appeal)."""
    page = open_page("/intake/report/")
    page.fill("#f-text", text)
    page.fill("#lat", str(SCENE[0]))
    page.fill("#lon", str(SCENE[1]))
    page.select_option("#f-category", DEMO_CATEGORY_CODES[category])
    page.fill("#f-name", "周先生")
    page.fill("#f-phone", "13712345678")
    page.click("button.primary")
    page.wait_for_selector("[data-testid='save-link']", timeout=WAIT_MS)
    appeal = Appeal.objects.select_related("grid", "assignee__user").get(text=text)
    assert page.input_value("#track-link").endswith(f"/t/{appeal.tracking_token}/")
    return page, appeal


def steps_offered(phone, appeal_id: int) -> set[str]:
    card = phone.locator(f"#appeals [data-appeal='{appeal_id}']")
    return set(card.locator("button.act").evaluate_all("bs => bs.map(b => b.dataset.action)"))


def wait_state(phone, appeal_id: int, state: str) -> None:
    phone.wait_for_selector(f"#appeals [data-appeal='{appeal_id}'][data-state='{state}']", timeout=WAIT_MS)


def test_it_walks_a_residents_appeal_from_received_to_rated_on_the_demo(demo, open_page):
    # The resident.
    resident, appeal = file_report(open_page, "我家小区门口有辆车违停，把出口堵住了", "illegal_parking")
    assert appeal.state == AppealState.RECEIVED and appeal.grid.code == "renmin-sq-1"
    assert appeal.assignee.user.username == "officer3"
    assert "请保存此链接" in resident.inner_text("[data-testid='save-link']")

    # The grid's officer, on the phone, standing nearby.
    phone = open_page("/phone/", "officer3", where=NEAR)
    phone.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)
    card = phone.locator(f"#appeals [data-appeal='{appeal.pk}']")
    card.wait_for(timeout=WAIT_MS)
    assert "137****5678" in card.inner_text() and "13712345678" not in card.inner_text()
    assert steps_offered(phone, appeal.pk) == {"acknowledge"}
    phone.click(f"[data-testid='acknowledge-{appeal.pk}']")
    wait_state(phone, appeal.pk, "acknowledged")
    phone.click(f"[data-testid='contact-{appeal.pk}']")
    wait_state(phone, appeal.pk, "contacted")
    phone.check("[data-testid='gps']")
    phone.click(f"[data-testid='land-{appeal.pk}']")
    wait_state(phone, appeal.pk, "landed")
    phone.click(f"[data-testid='resolve-{appeal.pk}']")
    phone.fill(f"[data-testid='resolution-{appeal.pk}']", "已联系车主挪车，小区出口已畅通")
    phone.click(f"[data-testid='resolve-submit-{appeal.pk}']")
    card.wait_for(state="detached", timeout=WAIT_MS)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED
    assert appeal.landings.get().officer.user.username == "officer3"
    # The timeline holds every step, in order.
    kinds = list(appeal.events.exclude(to_state="").order_by("at", "pk").values_list("to_state", flat=True))
    assert kinds[kinds.index("acknowledged") :] == ["acknowledged", "contacted", "landed", "resolved"]

    # The resident, back on the tracking page: a code to their phone, then the rating.
    resident.reload()
    assert "已联系车主挪车" in resident.inner_text("[data-testid='track-reply']")
    resident.click("[data-testid='send-code']")
    resident.wait_for_selector(".messages li.success", timeout=WAIT_MS)
    sms = OutboxMessage.objects.get(appeal=appeal, key__startswith="feedback-code:")
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]
    form = resident.locator("[data-testid='rate-form']")
    form.locator("input[name=score][value='5']").check()
    form.locator("input[name=comment]").fill("民警来得很快")
    form.locator("input[name=code]").fill(code)
    form.locator("button").click()
    resident.wait_for_selector(".ev-rated", timeout=WAIT_MS)
    assert "5 分" in resident.inner_text(".ev-rated")
    assert Rating.objects.get(appeal=appeal).score == 5
    assert resident.js_errors == [] and phone.js_errors == []  # type: ignore[attr-defined]


def test_it_walks_a_transfer_to_the_department_and_tells_the_reporter_on_the_demo(demo, open_page):
    resident, appeal = file_report(
        open_page, "小区门口人行道上有人摆摊卖水果，行人只能走机动车道", "street_vending"
    )
    assert appeal.state == AppealState.TRANSFERRED and appeal.department.code == "urban_management"
    transfer = appeal.transfers.get()
    link = f"/t/{appeal.tracking_token}/"
    assert link in OutboxMessage.objects.get(appeal=appeal, key__contains=":transferred:").body

    # The grid's officer sees it on the phone, transferred, with nothing for them to do.
    phone = open_page("/phone/", "officer3")
    phone.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)
    wait_state(phone, appeal.pk, "transferred")
    assert steps_offered(phone, appeal.pk) == set()

    # The department's liaison accepts it in the inbox, then reports the outcome.
    inbox = open_page("/departments/inbox/", "liaison", desk=True)  # the department's desk
    inbox.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)
    row = inbox.locator(f"[data-testid='transfer-{transfer.pk}']")
    row.wait_for(timeout=WAIT_MS)
    assert "部门签收或退回" in row.inner_text()
    inbox.click(f"[data-testid='accept-{transfer.pk}']")
    inbox.wait_for_selector(f"[data-testid='outcome-{transfer.pk}']", timeout=WAIT_MS)
    wait_state(phone, appeal.pk, "accepted")  # the officer's phone follows, live
    inbox.fill(f"[data-testid='outcome-{transfer.pk}']", "城管已到场劝离摊贩，人行道已恢复通行")
    inbox.click(f"[data-testid='complete-{transfer.pk}']")
    inbox.wait_for_selector(".messages li.success", timeout=WAIT_MS)
    phone.locator(f"#appeals [data-appeal='{appeal.pk}']").wait_for(state="detached", timeout=WAIT_MS)

    appeal.refresh_from_db()
    transfer.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED and transfer.state == TransferState.COMPLETED
    told = OutboxMessage.objects.get(appeal=appeal, key__contains=":department_outcome:")
    assert "城管已到场劝离摊贩" in told.body and link in told.body
    # The reporter follows the link.
    resident.reload()
    assert "城管已到场劝离摊贩，人行道已恢复通行" in resident.inner_text("main")
    assert inbox.js_errors == [] and phone.js_errors == [] and resident.js_errors == []  # type: ignore[attr-defined]
