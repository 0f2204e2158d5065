"""The resident's tracking page and /api/v1/track/<token> show only what the reporter may see.

The appeal below collects everything a reporter must never see — a staff note, intake's
"possible duplicate" note, a pause reason, a department's return reason, the assignee's and the
escalation target's names, a duplicate reporter's text — and the test asserts none of it is in the
page's HTML or the API's JSON, while the public states, dates, reply and unit are.
"""

from __future__ import annotations

import json

import time_machine
from django.test import Client

from lastmeter.appeals import services, transfers
from lastmeter.appeals.choices import EventKind
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.locking import record_event
from lastmeter.appeals.models import Appeal, Subscription
from lastmeter.appeals.notify.reporter import follow_link
from lastmeter.testing.world import POINT_IN_A

STAFF_NOTE = "内部备注：报警人情绪激动，注意安全"
DUPLICATE_NOTE = "possible duplicate of appeal #4711 (similarity 0.93)"
PAUSE_REASON = "报警人电话关机，稍后再联系"
RETURN_REASON = "该路段属于市管道路，内部移交意见"
OTHER_TEXT = "我是第二位居民，我家住福州路3号602室，电话13700001111"
CHAT_DUPLICATE_TEXT = "群里另一位邻居：我也看到了，我叫钱多多"
REPLY = "民警已到场，车辆已挪走"


def _everything_private(world, new_appeal) -> tuple[Appeal, Appeal]:
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        appeal = new_appeal()
        dispatcher = world.scope(world.dispatcher)
        officer = world.scope(world.grid_officer)
        # Intake's own note and a staff note, a pause with its reason.
        record_event(appeal, EventKind.NOTE, None, note=DUPLICATE_NOTE, data={"possible_duplicate": 4711})
        services.do_add_note(dispatcher, appeal.pk, note=STAFF_NOTE)
        services.do_pause(officer, appeal.pk, reason=PAUSE_REASON)
        services.do_resume(officer, appeal.pk)
        # The contact clock breaches and escalates to a named person.
        t.shift(30 * 3600)
        sweep()
        # A transfer returned with an internal reason, then the police finish it.
        transfers.do_transfer(dispatcher, appeal.pk, department=world.department, note="内部：城管辖区")
        transfers.do_return_transfer(world.scope(world.liaison), appeal.pk, reason=RETURN_REASON)
        services.do_acknowledge(officer, appeal.pk)
        # Another resident's report of the same problem is merged into it, and someone in a chat
        # group reported it too (intake attaches them with their text on the timeline).
        other = new_appeal(text=OTHER_TEXT, reporter_name="钱先生", reporter_phone="13700001111")
        services.do_merge(dispatcher, other.pk, into_id=appeal.pk)
        record_event(appeal, EventKind.DUPLICATE, None, note=CHAT_DUPLICATE_TEXT, channel="telegram")
        Subscription.objects.create(appeal=appeal, name="钱多多", phone="13600002222", channel="telegram")
        services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
        services.do_resolve(officer, appeal.pk, resolution=REPLY)
    appeal.refresh_from_db()
    other.refresh_from_db()
    return appeal, other


def _private_strings(world, other: Appeal) -> list[str]:
    people = [
        world.leader,
        world.dispatcher,
        world.grid_officer,
        world.other_officer,
        world.grid_member,
        world.building_head,
        world.liaison,
    ]
    return [
        STAFF_NOTE,
        DUPLICATE_NOTE,
        "possible duplicate",
        PAUSE_REASON,
        RETURN_REASON,
        "内部：城管辖区",
        CHAT_DUPLICATE_TEXT,
        OTHER_TEXT,
        "13700001111",
        "13600002222",
        "钱多多",
        "13912345678",  # the reporter's own phone is not on the page either
        *[p.name for p in people],
    ]


def test_it_shows_the_reporter_only_public_progress_on_the_page_and_in_the_api(world, new_appeal):
    appeal, other = _everything_private(world, new_appeal)
    assert appeal.events.filter(kind=EventKind.ESCALATED).exists()  # the setup did escalate
    resident = Client()
    html = resident.get(f"/t/{appeal.tracking_token}/").content.decode()
    data = resident.get(f"/api/v1/track/{appeal.tracking_token}").json()
    dumped = json.dumps(data, ensure_ascii=False)
    for secret in _private_strings(world, other):
        assert secret not in html, secret
        assert secret not in dumped, secret
    # What the reporter may see is there: state, reply, unit, their own text, dates.
    assert data["state"] == "resolved" and data["resolution"] == REPLY
    assert data["unit"] == "福州路社区 · A网格"
    assert data["text"] == appeal.text and data["created_at"] and data["resolved_at"]
    assert {e["state"] for e in data["events"]} >= {
        "received",
        "transferred",
        "returned",
        "landed",
        "resolved",
    }
    assert set(data["events"][0]) == {"at", "kind", "state", "label", "text"}  # no actor, no note
    assert REPLY in html and "福州路社区 · A网格" in html and appeal.text in html


def test_it_shows_a_merged_reporter_the_surviving_appeals_progress_without_its_text(world, new_appeal):
    appeal, other = _everything_private(world, new_appeal)
    resident = Client()
    html = resident.get(f"/t/{other.tracking_token}/").content.decode()
    data = resident.get(f"/api/v1/track/{other.tracking_token}").json()
    dumped = json.dumps(data, ensure_ascii=False)
    assert data["text"] == OTHER_TEXT  # their own text
    assert data["merged_into"]["reference"] == appeal.reference
    assert data["merged_into"]["resolution"] == REPLY and data["merged_into"]["state"] == "resolved"
    for secret in [
        appeal.text,
        STAFF_NOTE,
        DUPLICATE_NOTE,
        CHAT_DUPLICATE_TEXT,
        RETURN_REASON,
        world.grid_officer.name,
    ]:
        assert secret not in html and secret not in dumped, secret
    assert (
        data["can_rate"] is False and data["can_contest"] is False
    )  # the merged report's is not theirs to rate


def test_it_gives_a_subscriber_a_follow_page_with_nobodys_text(world, new_appeal):
    appeal, _other = _everything_private(world, new_appeal)
    subscription = Subscription.objects.get(appeal=appeal, source_appeal=None)
    link = follow_link(subscription)
    page = Client().get(link)
    html = page.content.decode()
    assert page.status_code == 200 and appeal.reference in html and REPLY in html
    for secret in [
        appeal.text,
        OTHER_TEXT,
        CHAT_DUPLICATE_TEXT,
        STAFF_NOTE,
        "13912345678",
        world.grid_officer.name,
    ]:
        assert secret not in html, secret
    assert 'name="code"' not in html  # a follower cannot rate or contest
    assert Client().get(link[:-3] + "xx/").status_code == 404  # a forged follow link
