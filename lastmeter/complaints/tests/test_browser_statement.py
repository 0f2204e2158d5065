"""The officer concerned's statement in a real browser (Playwright, Debian's chromium), in
Chinese: the officer finds the complaint about them under "complaints about me", reads what it is
about without the complainant's details, gives their statement; the reviewer sees it as evidence
on the complaint's timeline; the officer still gets 404 for the complaint itself."""

# ruff: noqa: F811 — a fixture imported from another test module is redefined as an argument.
from __future__ import annotations

import pytest

from lastmeter.complaints import services
from lastmeter.complaints.tests.test_browser_complaints import WAIT_MS, pages  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_officer_gives_a_statement_and_the_reviewer_reads_it(
    pages, live_server_url, world, new_complaint
):
    complaint = new_complaint(text="卸货被贴罚单，请回电 13912340000。")
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)

    officer = pages(world.grid_officer)
    officer.goto(f"{live_server_url}/complaints/")
    officer.click("[data-testid='about-me']")
    officer.click(f"[data-testid='statements'] a[href='/complaints/{complaint.pk}/statement/']")
    text = officer.inner_text("[data-testid='complaint-about-me']")
    assert "卸货被贴罚单" in text and "13912340000" not in text and "钱先生" not in text
    officer.fill("[data-testid='statement-form'] textarea[name='text']", "车辆停在消防通道，现场已两次提醒。")
    officer.click("[data-testid='statement-submit']")
    officer.wait_for_selector("[data-testid='my-statement']", timeout=WAIT_MS)
    assert "两次提醒" in officer.inner_text("[data-testid='my-statement']")
    response = officer.goto(f"{live_server_url}/complaints/{complaint.pk}/")
    assert response is not None and response.status == 404
    assert not officer.js_errors  # type: ignore[attr-defined]

    reviewer = pages(world.legal_reviewer)
    reviewer.goto(f"{live_server_url}/complaints/{complaint.pk}/")
    body = reviewer.inner_text("body")
    assert "两次提醒" in body and "当事民警" in body
    assert not reviewer.js_errors  # type: ignore[attr-defined]
