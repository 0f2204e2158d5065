"""The pages: queue, detail with exactly the viewer's actions, the resident's tracking page."""

from __future__ import annotations

import re

import time_machine
from django.test import Client

from lastmeter.appeals import services
from lastmeter.appeals.choices import AppealState
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import OutboxMessage
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    assert client.get("/appeals/").status_code == 302


def test_it_lists_the_officers_queue_with_masked_phones(world, new_appeal):
    mine = new_appeal()
    theirs = new_appeal(lat=POINT_IN_B[0], lon=POINT_IN_B[1], text="云南中路噪音")
    page = login("officer_a").get("/appeals/").content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert "139****5678" in page and "13912345678" not in page


def test_it_filters_the_queue(world, new_appeal):
    a = new_appeal()
    c = login("dispatcher")
    assert a.reference in c.get("/appeals/?state=received").content.decode()
    assert a.reference not in c.get("/appeals/?state=closed").content.decode()


def test_it_shows_exactly_the_viewers_actions(world, new_appeal):
    appeal = new_appeal()
    officer_page = login("officer_a").get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/appeals/{appeal.pk}/act/acknowledge/" in officer_page
    assert f"/appeals/{appeal.pk}/act/close/" not in officer_page  # staff only
    # The community officer may assign within their grids; an auxiliary may not assign at all.
    assert f"/appeals/{appeal.pk}/act/assign/" in officer_page
    member_page = login("member_a").get(f"/appeals/{appeal.pk}/").content.decode()
    assert f"/appeals/{appeal.pk}/act/assign/" not in member_page
    assert login("officer_b").get(f"/appeals/{appeal.pk}/").status_code == 404


def test_it_acts_through_the_page_form(world, new_appeal):
    appeal = new_appeal()
    c = login("officer_a")
    r = c.post(f"/appeals/{appeal.pk}/act/acknowledge/")
    assert r.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.ACKNOWLEDGED
    # A refused action says why and changes nothing.
    r = c.post(f"/appeals/{appeal.pk}/act/resolve/", {"resolution": "done"}, follow=True)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.ACKNOWLEDGED


def test_it_lets_the_resident_track_rate_and_contest(world, new_appeal, client):
    appeal = new_appeal()
    page = client.get(f"/t/{appeal.tracking_token}/")
    assert page.status_code == 200 and appeal.reference in page.content.decode()
    assert client.get("/t/not-the-token/").status_code == 404
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, appeal.pk)
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="已劝离")
    client.post(f"/t/{appeal.tracking_token}/code/")
    sms = OutboxMessage.objects.filter(appeal=appeal, key__startswith="feedback-code:").get()
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]
    client.post(f"/t/{appeal.tracking_token}/feedback/", {"contest": "1", "reason": "还没修好", "code": code})
    appeal.refresh_from_db()
    assert appeal.state == AppealState.REOPENED


def test_it_speaks_chinese_by_default_and_english_on_request(world, new_appeal):
    c = login("dispatcher")
    assert "诉求队列" in c.get("/appeals/").content.decode()
    c.post("/i18n/setlang/", {"language": "en", "next": "/appeals/"})
    assert "Appeal queue" in c.get("/appeals/").content.decode()


def test_it_filters_overdue_appeals(world, new_appeal):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        late = new_appeal()
        t.shift(3 * 3600)
        fresh = new_appeal(text="刚刚发生的违停")
        sweep()
        page = login("dispatcher").get("/appeals/?overdue=1").content.decode()
    assert late.reference in page and fresh.reference not in page


def test_it_says_what_is_missing_when_an_action_field_does_not_parse(world, new_appeal):
    appeal = new_appeal()
    c = login("officer_a")
    c.post(f"/appeals/{appeal.pk}/act/acknowledge/")
    page = c.post(
        f"/appeals/{appeal.pk}/act/land/",
        {"lat": "abc", "lon": "121.47"},
        headers={"accept-language": "en"},
        follow=True,
    ).content.decode()
    assert "landing needs the officer&#x27;s current position" in page
    assert c.get("/appeals/?grid=abc&overdue=yes").status_code == 200


def test_the_queue_page_asks_the_same_queries_for_two_rows_as_for_twelve(world, new_appeal):
    """Each row's "overdue" (a breached clock) comes with the rows, not one query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dispatcher = login("dispatcher")
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        late = new_appeal()
        t.shift(30 * 3600)  # past the 24-hour landing clock: breached by the sweep
        sweep()
        new_appeal(text="刚刚发生的违停")
        dispatcher.get("/appeals/")  # the session and the caches warm
        with CaptureQueriesContext(connection) as two:
            page = dispatcher.get("/appeals/").content.decode()
        for n in range(10):
            new_appeal(text=f"第{n}处违停")
        with CaptureQueriesContext(connection) as twelve:
            assert dispatcher.get("/appeals/").status_code == 200
    assert len(twelve.captured_queries) == len(two.captured_queries)
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{late.reference}", page, re.S)
    assert row is not None and row.group(0).startswith('<tr class="overdue"')
