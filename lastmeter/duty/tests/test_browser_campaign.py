"""A joint campaign in a real browser (Playwright, Debian's chromium), in Chinese: the grid
officer creates it on the page (a campaign ending before it starts is refused first), enters a
day's results (a day outside the period is refused), starts it and reads its before/after figure;
and the dispatcher sees who is on post in the command centre's panel."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from lastmeter.accounts.models import DutyShift
from lastmeter.appeals.models import Appeal
from lastmeter.duty.models import Campaign, DutyPost
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet
from lastmeter.testing.world import POINT_IN_A

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


def test_it_runs_a_campaign_from_creation_to_its_before_after_page(page, live_server_url, world, new_appeal):
    today = timezone.localdate()
    # Two illegal-parking appeals at the spot in the 3 days before the campaign, one during it.
    for n, day in enumerate([today - timedelta(days=4), today - timedelta(days=3), today]):
        appeal = new_appeal(text=f"福州路口第{n}次有车违停", reporter_phone=f"1390000{n:04d}")
        noon = timezone.make_aware(datetime.combine(day, time(12)))
        Appeal.objects.filter(pk=appeal.pk).update(created_at=noon)

    page.goto(live_server_url + "/duty/campaigns/new/")
    page.fill("input[name='name']", "福州路违停整治")
    page.fill("input[name='target']", "福州路口违章停车")
    page.select_option("select[name='category']", str(world.police_category.pk))
    page.fill("input[name='lat']", str(POINT_IN_A[0]))
    page.fill("input[name='lon']", str(POINT_IN_A[1]))
    page.fill("input[name='radius_m']", "300")
    page.fill("input[name='starts_on']", (today - timedelta(days=2)).isoformat())
    page.fill("input[name='ends_on']", (today - timedelta(days=5)).isoformat())
    page.check("input[name='agencies'][value='traffic_police']")
    page.check("input[name='agencies'][value='urban_management']")
    page.click("[data-testid='campaign-form'] button")
    page.wait_for_selector("text=专项行动不能在开始之前结束", timeout=WAIT_MS)
    assert not Campaign.objects.exists()

    page.fill("input[name='ends_on']", (today + timedelta(days=7)).isoformat())
    page.click("[data-testid='campaign-form'] button")
    page.wait_for_selector("[data-testid='campaign-state']", timeout=WAIT_MS)
    assert "已计划" in page.inner_text("[data-testid='campaign-state']")

    form = page.locator("[data-testid='result-form']")
    form.locator("input[name='day']").fill((today + timedelta(days=30)).isoformat())
    form.locator("input[name='cases_handled']").fill("4")
    form.locator("button").click()
    page.wait_for_selector(".messages li", timeout=WAIT_MS)
    assert "不在专项行动期间" in page.inner_text(".messages")

    form = page.locator("[data-testid='result-form']")
    form.locator("input[name='day']").fill(today.isoformat())
    form.locator("input[name='cases_handled']").fill("6")
    form.locator("input[name='penalties']").fill("2")
    form.locator("input[name='appeals_resolved']").fill("1")
    form.locator("button").click()
    page.wait_for_selector("text=战果已保存", timeout=WAIT_MS)
    assert "6" in page.inner_text("[data-testid='results'] .totals")

    page.click("[data-testid='move-active'] button")
    page.wait_for_selector("text=专项行动现为", timeout=WAIT_MS)
    assert "进行中" in page.inner_text("[data-testid='campaign-state']")
    assert page.inner_text("[data-testid='before']") == "2"
    assert page.inner_text("[data-testid='during']") == "1"
    assert page.inner_text("[data-testid='change']") == "-50%"
    assert Campaign.objects.get().results.get().penalties == 2
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_it_shows_who_is_on_post_in_the_command_centre(browser, live_server_url, world):
    post = DutyPost.objects.create(
        name="人民广场路口",
        kind="intersection",
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        community=world.community_a,
    )
    now = timezone.now()
    shift = DutyShift.objects.create(
        person=world.grid_member,
        grid=world.grid_a,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    post.assignments.create(shift=shift, agency="traffic_police")
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.add_cookies(
        [
            {"name": "django_language", "value": "zh-hans", "url": live_server_url},
            {"name": "sessionid", "value": session_cookie(world.dispatcher.user), "url": live_server_url},
        ]
    )
    p = ctx.new_page()
    try:
        p.goto(live_server_url + "/command/")
        p.wait_for_selector("#on-post li[data-post]", timeout=WAIT_MS)
        text = p.inner_text("#on-post")
        assert "人民广场路口" in text and "辅警陈" in text and "交警" in text
    finally:
        ctx.close()
        wait_for_database_quiet()
