"""Meetings: the agenda built from the community's appeals, a decision refused without an owner,
the working-day deadline across the National Day holiday, the overdue sweep once, the resident
told the decision with their tracking link, the report-back carried to the next meeting, the
refusals per role (other community's officer, resident, liaison), the API and the counter log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals.models import OutboxMessage
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.meetings import jobs, selectors, services
from lastmeter.meetings.models import ActionItem, CounterVisit, Meeting

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def held_meeting(world, new_appeal):
    """Three parking appeals at one address (a recurring problem) and one other open appeal."""

    def make(held_at=None):
        for _ in range(3):
            new_appeal(text="小区门口违停堵路", address="福州路1号")
        new_appeal(text="路灯不亮", address="福州路9号", reporter_phone="13700001111")
        officer = world.scope(world.grid_officer)
        meeting = services.do_schedule_meeting(
            officer,
            community=world.community_a,
            title="三月警民议事会",
            held_at=held_at or timezone.now(),
            place="福州路社区活动室",
        )
        services.do_add_attendee(officer, meeting.pk, name="居民代表刘", kind="resident_rep")
        services.do_add_attendee(officer, meeting.pk, name="", kind="department", department=world.department)
        services.do_record_minutes(officer, meeting.pk, minutes="居民反映门口违停")
        return Meeting.objects.get(pk=meeting.pk)

    return make


def test_the_agenda_puts_the_recurring_problem_first_then_open_appeals(world, held_meeting):
    meeting = held_meeting()
    items = list(meeting.items.all())
    assert [i.kind for i in items] == ["hotspot", "appeal"]
    assert items[0].repeat_count == 3 and "福州路1号" in items[0].title
    assert items[1].appeals.get().address == "福州路9号"
    assert meeting.state == "held"


def test_a_decision_without_an_owner_is_refused(world, held_meeting):
    meeting = held_meeting()
    item = meeting.items.first()
    with pytest.raises(ServiceError, match="责任人"):
        services.do_decide(
            world.scope(world.grid_officer),
            meeting.pk,
            services.NewDecision(item.pk, "加装隔离桩", "门口加装隔离桩", None, 10),
        )
    assert not ActionItem.objects.exists()


def test_a_decision_tells_each_reporter_with_the_tracking_link_and_runs_a_working_day_clock(
    world, held_meeting
):
    meeting = held_meeting()
    item = meeting.items.first()
    # Decided on 2026-09-30: ten working days skip the National Day holiday (1–7 October) and
    # count the adjusted working Saturday 10 October.
    decided = datetime(2026, 9, 30, 20, 0, tzinfo=SHANGHAI)
    action = services.do_decide(
        world.scope(world.grid_officer),
        meeting.pk,
        services.NewDecision(item.pk, "加装隔离桩", "门口加装隔离桩", world.liaison, 10, world.department),
        now=decided,
    )
    # 8, 9, 10 (Saturday, worked), 12–16, 19, 20 October: due at the end of the 20th.
    assert action.due_at == datetime(2026, 10, 21, 0, 0, tzinfo=SHANGHAI)
    told = OutboxMessage.objects.filter(key__startswith=f"meeting:{meeting.pk}:")
    assert told.count() == 3  # the three reporters of the recurring problem
    body = told.first().body
    assert "加装隔离桩" in body and "/t/" in body


def test_the_sweep_marks_overdue_once_and_the_next_meeting_hears_the_report_back(world, held_meeting):
    officer = world.scope(world.grid_officer)
    first = held_meeting()
    action = services.do_decide(
        officer,
        first.pk,
        services.NewDecision(first.items.first().pk, "加装隔离桩", "门口加装隔离桩", world.liaison, 3),
        now=timezone.now() - timedelta(days=30),
    )
    assert jobs.sweep_actions() == {"meeting_actions_overdue": 1}
    assert jobs.sweep_actions() == {"meeting_actions_overdue": 0}
    assert OutboxMessage.objects.filter(key=f"meeting-action:{action.pk}:overdue").count() == 1
    services.do_close(officer, first.pk)

    second = services.do_schedule_meeting(
        officer, community=world.community_a, title="四月警民议事会", held_at=timezone.now(), place="活动室"
    )
    assert second.previous == first
    report = second.items.get(kind="report_back")
    assert report.action_item == action
    with pytest.raises(NotAllowed):  # not held yet
        services.do_report_back(officer, second.pk, item_id=report.pk, report="已安装", done=True)
    services.do_add_attendee(officer, second.pk, name="楼长孙", kind="building_head")
    services.do_record_minutes(officer, second.pk, minutes="城管汇报隔离桩已安装")
    services.do_report_back(officer, second.pk, item_id=report.pk, report="隔离桩已安装", done=True)
    action.refresh_from_db()
    assert action.state == "done" and action.reported_at == second


def test_refusals_per_role(world, held_meeting):
    meeting = held_meeting()
    resident = Person.objects.create(
        name="居民", user=get_user_model().objects.create_user(username="res", password="pass-res")
    )
    for person in (world.other_officer, resident, world.liaison):
        scope = scope_for(person)
        assert not selectors.visible_meetings(scope).filter(pk=meeting.pk).exists()
        with pytest.raises(Exception) as refused:
            services.do_add_item(scope, meeting.pk, title="插话")
        assert refused.typename in ("Http404", "NotAllowed")
    with pytest.raises(NotAllowed):
        services.do_schedule_meeting(
            world.scope(world.other_officer),
            community=world.community_a,
            title="越界",
            held_at=timezone.now(),
            place="x",
        )
    # The liaison who owns an action item reads the meeting, and may not run it.
    services.do_decide(
        world.scope(world.grid_officer),
        meeting.pk,
        services.NewDecision(None, "清理", "清理违停", world.liaison, 5),
    )
    liaison = world.scope(world.liaison)
    assert selectors.access_meeting_by_scope(liaison, meeting.pk) == meeting
    assert selectors.available_actions(liaison, meeting) == []
    other = Client()
    other.login(username="officer_b", password="pass-officer_b")
    assert other.get(f"/meetings/{meeting.pk}/").status_code == 404


def test_the_pages_and_the_api(world, held_meeting):
    meeting = held_meeting()
    officer = Client(headers={"accept-language": "zh-hans"})
    officer.login(username="officer_a", password="pass-officer_a")
    page = officer.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "三月警民议事会" in page and "福州路1号" in page
    response = officer.post(
        f"/meetings/{meeting.pk}/act/decide/",
        {"decide-decision": "加装隔离桩", "decide-task": "门口加装隔离桩", "decide-working_days": "10"},
        follow=True,
    )
    assert "责任人" in response.content.decode() and not ActionItem.objects.exists()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.grid_officer, 'test')}")
    done = api.post(
        f"/api/v1/meetings/{meeting.pk}/actions/decide",
        data=json.dumps(
            {"decision": "加装隔离桩", "task": "门口加装隔离桩", "owner": world.liaison.pk, "working_days": 5}
        ),
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["action_items"][0]["owner"] == "城管联络员"
    other = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.other_officer, 'test')}")
    assert other.get(f"/api/v1/meetings/{meeting.pk}").status_code == 404


def test_the_counter_log_and_its_figures(world):
    officer = world.scope(world.grid_officer)
    start = timezone.now() - timedelta(hours=3)
    for minutes, kind in ((10, "certificate"), (20, "certificate"), (40, "lost_property")):
        visit = services.do_log_arrival(
            officer, community=world.community_a, kind=kind, matter="开具证明", at=start
        )
        services.do_serve(officer, visit.pk, at=start + timedelta(minutes=5))
        services.do_finish(officer, visit.pk, at=start + timedelta(minutes=5 + minutes))
    waiting = services.do_log_arrival(
        officer, community=world.community_a, kind="consultation", matter="咨询"
    )
    with pytest.raises(ServiceError):
        services.do_finish(officer, waiting.pk)
    figures = selectors.counter_figures(CounterVisit.objects.all())
    assert figures.visits == 4 and figures.finished == 3
    assert figures.median_handling_min == 20 and figures.median_waiting_min == 5
    by_kind = {k.key: k for k in figures.by_kind}
    assert by_kind["certificate"].count == 2 and by_kind["certificate"].median_handling_min == 15
    with pytest.raises(NotAllowed):
        services.do_log_arrival(
            world.scope(world.other_officer), community=world.community_a, kind="certificate", matter="x"
        )
    with pytest.raises(NotAllowed):
        services.do_serve(world.scope(world.other_officer), waiting.pk)


def test_a_meeting_entered_after_the_fact_proposes_only_the_appeals_known_then(world, new_appeal):
    new_appeal(text="路灯不亮", address="福州路9号")
    meeting = services.do_schedule_meeting(
        world.scope(world.grid_officer),
        community=world.community_a,
        title="上月议事会补录",
        held_at=timezone.now() - timedelta(days=20),
        place="活动室",
    )
    assert not meeting.items.exists()


def test_the_counter_api_and_the_refusals_of_its_pages(world, held_meeting):
    meeting = held_meeting()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.grid_officer, 'test')}")

    def post(url, data=None):
        return api.post(url, data=json.dumps(data or {}), content_type="application/json")

    visit = post(
        "/api/v1/counter/visits",
        {"community": world.community_a.pk, "kind": "lost_property", "matter": "登记遗失的身份证"},
    )
    assert visit.status_code == 201
    visit_id = visit.json()["id"]
    assert post(f"/api/v1/counter/visits/{visit_id}/finish").status_code == 400  # not served yet
    assert post(f"/api/v1/counter/visits/{visit_id}/serve").status_code == 200
    assert post(f"/api/v1/counter/visits/{visit_id}/finish", {"outcome": "已登记"}).status_code == 200
    figures = api.get("/api/v1/counter/figures").json()
    assert figures["visits"] == 1 and figures["by_kind"]["lost_property"]["count"] == 1
    # A decision without an owner is refused through the API too.
    refused = post(
        f"/api/v1/meetings/{meeting.pk}/actions/decide", {"decision": "x", "task": "y", "working_days": 3}
    )
    assert refused.status_code == 400 and "责任人" in refused.json()["detail"]

    liaison = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.liaison, 'test')}")
    assert liaison.get("/api/v1/counter/figures").status_code == 403
    assert liaison.get("/api/v1/counter/visits").json() == []
    other = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.other_officer, 'test')}")
    assert other.get("/api/v1/counter/visits").json() == []
    assert other.post(f"/api/v1/counter/visits/{visit_id}/serve").status_code == 403
    get_user_model().objects.create_user(username="res", password="pass-res")
    for username in ("res", "liaison"):
        client = Client()
        assert client.login(username=username, password="pass-" + username)
        assert client.get("/meetings/new/").status_code == 404
        assert client.get("/meetings/counter/").status_code == 404
