"""A complaint from filing to closure in a real browser (Playwright, Debian's chromium), in Chinese:

the resident files on the web form and lands on their own page; the legal reviewer identifies the
officer concerned; the leader assigns the reviewer (the picker offers only independent reviewers);
the officer concerned gets 404 for the complaint; the reviewer adds the officer's statement and
decides; the resident's page shows the decision with its letter; the leader closes the complaint.
"""

from __future__ import annotations

import pytest

from lastmeter.complaints.models import Complaint
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000


@pytest.fixture
def pages(browser, live_server_url, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    contexts = []

    def open_(person=None):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        cookies = [{"name": "django_language", "value": "zh-hans", "url": live_server_url}]
        if person is not None:
            cookies.append(
                {"name": "sessionid", "value": session_cookie(person.user), "url": live_server_url}
            )
        ctx.add_cookies(cookies)
        page = ctx.new_page()
        page.js_errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.js_errors.append(str(e)))  # type: ignore[attr-defined]
        return page

    yield open_
    for ctx in contexts:
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


def test_it_takes_a_complaint_from_the_web_form_to_closure(pages, live_server_url, world):
    resident = pages()
    resident.goto(live_server_url + "/complaints/new/")
    assert "当事民警看不到您的联系方式" in resident.inner_text("main")
    resident.select_option("select[name='subject_kind']", "ticket")
    resident.fill("input[name='ticket_number']", "沪A0001234567")
    resident.fill("input[name='officer_description']", "福州路执勤的张警官")
    resident.fill("textarea[name='text']", "我在福州路卸货不到五分钟就被贴了罚单，现场有卸货标志。")
    resident.fill("input[name='complainant_name']", "钱先生")
    resident.fill("input[name='complainant_phone']", "13912340000")
    resident.click("[data-testid='complaint-form'] button")
    resident.wait_for_selector("[data-testid='track-state']", timeout=WAIT_MS)
    complaint = Complaint.objects.get()
    assert complaint.reference in resident.inner_text("h1")
    assert "已接收" in resident.inner_text("[data-testid='track-state']")
    track_url = resident.url

    legal = pages(world.legal_reviewer)
    legal.goto(f"{live_server_url}/complaints/{complaint.pk}/")
    assert "139****0000" in legal.inner_text("[data-testid='phone']")  # not yet their review
    assert "已完成" in _act(legal, "identify_officer", selects={"officer": str(world.grid_officer.pk)})
    assert "张警官" in legal.inner_text("[data-testid='officer']")

    leader = pages(world.leader)
    leader.goto(f"{live_server_url}/complaints/{complaint.pk}/")
    options = leader.locator("select[name='assign-reviewer'] option").all_inner_texts()
    assert any("法制员周" in o for o in options) and not any("王所长" in o for o in options)
    assert "审查中" in _act(leader, "assign", selects={"reviewer": str(world.legal_reviewer.pk)})

    officer = pages(world.grid_officer)
    response = officer.goto(f"{live_server_url}/complaints/{complaint.pk}/")
    assert response is not None and response.status == 404

    legal.goto(f"{live_server_url}/complaints/{complaint.pk}/")
    assert "13912340000" in legal.inner_text("[data-testid='phone']")
    _act(
        legal,
        "add_evidence",
        {"description": "张警官陈述：车辆停放约二十分钟。"},
        {"kind": "officer_statement"},
    )
    message = _act(
        legal,
        "decide",
        {"reasons": "现场照片显示有卸货标志且停车不足十分钟，罚单依据不足，予以撤销。"},
        {"kind": "revoke"},
    )
    assert "已作出决定并答复" in message
    assert "予以撤销" in legal.inner_text("[data-testid='decision']")

    resident.goto(track_url)
    assert "予以撤销" in resident.inner_text("main")
    with resident.expect_download() as download:
        resident.click("text=答复书")
    assert download.value.suggested_filename == f"{complaint.reference}-1.docx"

    leader.goto(f"{live_server_url}/complaints/{complaint.pk}/")
    assert "已办结" in _act(leader, "close", {"reason": "答复书已送达，投诉人无异议"})
    assert "已办结" in leader.inner_text("[data-testid='complaint-state']")
    assert not (resident.js_errors or legal.js_errors or leader.js_errors)  # type: ignore[attr-defined]
