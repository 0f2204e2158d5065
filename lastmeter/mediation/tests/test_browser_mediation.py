"""A mediation case from an appeal to closure in a real browser (Playwright, Debian's chromium), in
Chinese: the grid officer opens the case from a resident's appeal, records both parties' consent,
a session and the agreement; concluding with one confirmation is refused on the page; with both it
is concluded, the follow-up visits are scheduled, made, and the case is closed."""

from __future__ import annotations

import pytest

from lastmeter.mediation.models import MediationCase
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


def test_it_mediates_a_dispute_from_an_appeal_to_closure(page, live_server_url, world, new_appeal):
    appeal = new_appeal(text="楼上邻居每天夜里装修到十二点，沟通多次无果", address="福州路1号楼")
    page.goto(live_server_url + "/mediation/new/")
    page.fill("input[name='appeal_reference']", appeal.reference)
    page.select_option("select[name='dispute_type']", "noise")
    page.fill("textarea[name='summary']", "楼上夜间装修噪音，双方多次争吵")
    page.select_option("select[name='mediator_kind']", "community_police")
    page.fill("input[name='respondent_name']", "马先生")
    page.fill("input[name='respondent_phone']", "13811112222")
    page.click("[data-testid='case-form'] button")
    page.wait_for_selector("[data-testid='case-state']", timeout=WAIT_MS)
    case = MediationCase.objects.get()
    assert "调解中" in page.inner_text("[data-testid='case-state']")
    applicant, respondent = case.parties.order_by("id")
    assert applicant.name == "刘女士"  # the appeal's reporter

    for party in (applicant, respondent):
        _act(page, "consent", {"how": "签署调解申请书"}, {"party": str(party.pk)})
    _act(
        page,
        "session",
        {
            "held_at": "2026-03-02T19:00",
            "place": "福州路警务室调解室",
            "attendees": "刘女士、马先生、楼长孙",
            "notes": "双方各自陈述",
        },
    )
    _act(
        page, "draft_agreement", {"text": "马先生装修期间每日18时后停工", "terms": "18时后停工\n向刘女士道歉"}
    )
    _act(page, "confirm", {"how": "签字"}, {"party": str(applicant.pk)})
    refused = _act(page, "conclude")
    assert "须经双方当事人确认" in refused and "马先生" in refused
    _act(page, "confirm", {"how": "签字按手印"}, {"party": str(respondent.pk)})
    assert "已达成协议" in _act(page, "conclude")
    visits = list(case.follow_ups.order_by("due_on"))
    assert len(visits) == 3
    assert page.locator("[data-testid='follow-ups'] li").count() == 3

    for visit in visits:
        page.locator("[data-testid='action-follow_up'] input[name='follow_up-kept']").check()
        _act(page, "follow_up", {"note": "夜间未再施工，邻里关系缓和"}, {"follow_up": str(visit.pk)})
    assert "已办结" in _act(page, "close", {"note": "回访三次，协议履行良好"})
    case.refresh_from_db()
    assert case.state == "closed" and all(v.kept for v in case.follow_ups.all())
    assert "已办结" in page.inner_text("[data-testid='case-state']")
    assert not page.js_errors  # type: ignore[attr-defined]
