"""The printable minutes: in Chinese whatever the reader's language, with the attendees, the
agenda, the minutes and each decision with its owner and due date; print CSS and no inline
script; refused (404) to whoever may not open the meeting."""

# ruff: noqa: F811 — a fixture imported from another test module is redefined as an argument.
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from lastmeter.meetings import services
from lastmeter.meetings.tests.test_meetings import held_meeting  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _login(username: str, language: str = "zh-hans") -> Client:
    c = Client(headers={"accept-language": language})
    assert c.login(username=username, password="pass-" + username)
    return c


def test_it_prints_the_minutes_with_attendees_agenda_and_decisions_in_chinese(world, held_meeting) -> None:
    meeting = held_meeting()
    item = meeting.items.first()
    services.do_decide(
        world.scope(world.grid_officer),
        meeting.pk,
        services.NewDecision(item.pk, "加装隔离桩", "门口加装隔离桩", world.liaison, 10, world.department),
        now=datetime(2026, 9, 30, 20, 0, tzinfo=SHANGHAI),
    )
    page = _login("officer_a", "en").get(f"/meetings/{meeting.pk}/print/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("会议纪要", "参加人员", "居民代表刘", "城管执法局", "议程", "福州路1号", "居民反映门口违停"):
        assert text in html, text
    # The decision, its owner and its due date (ten working days across National Day: the end of
    # 20 October, i.e. 21 October 00:00 local time, as the meeting's page shows it).
    assert "加装隔离桩" in html and world.liaison.name in html and "2026-10-21" in html
    assert "meetings/print.css" in html and "<script>" not in html
    assert (
        f'href="/meetings/{meeting.pk}/print/"'
        in _login("officer_a").get(f"/meetings/{meeting.pk}/").content.decode()
    )


def test_it_refuses_the_minutes_to_whoever_may_not_open_the_meeting(world, held_meeting) -> None:
    meeting = held_meeting()
    for username in ("officer_b", "head_a"):
        assert _login(username).get(f"/meetings/{meeting.pk}/print/").status_code == 404
    assert Client().get(f"/meetings/{meeting.pk}/print/").status_code == 302
