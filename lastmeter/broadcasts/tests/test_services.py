"""Compose, the two-person rule, scope, and every refusal of §5 — nothing half-sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals.models import OutboxMessage
from lastmeter.broadcasts import services
from lastmeter.broadcasts.choices import BroadcastState, EventKind
from lastmeter.broadcasts.models import Delivery
from lastmeter.broadcasts.selectors import access_broadcast_by_scope, broadcast_report
from lastmeter.broadcasts.tests.conftest import audience, draft
from lastmeter.lib.errors import NotAllowed, ServiceError

pytestmark = pytest.mark.django_db


def second_leader(world) -> Person:
    person = Person.objects.create(name="李副所长")
    RoleAssignment.objects.create(person=person, role=Role.LEADERSHIP, org_unit=world.station)
    return person


def test_it_sends_a_one_community_notice_at_once_with_one_row_per_destination(
    world, groups, subscribers, volunteer
):
    aud = audience(world, grid_members=True, building_heads=True, volunteers=True, sms_residents=True)
    scope = world.scope(world.grid_officer)
    b = services.do_create_broadcast(scope, draft(aud))
    b = services.do_submit(scope, b.pk)
    b.refresh_from_db()
    assert b.state == BroadcastState.DONE  # once, now: fired inside submit, nothing left to do
    run = b.runs.get()
    assert run.text == "福州路17点前后车多，请绕行广东路。"
    queued = run.deliveries.filter(state="queued")
    # 4 groups, grid member, volunteer, 3 residents; the building head shares the member's phone
    assert queued.count() == 9
    skipped = run.deliveries.get(state="skipped")
    assert "楼长孙" in skipped.label and "相同" in skipped.reason
    keys = set(OutboxMessage.objects.values_list("key", flat=True))
    assert len(keys) == 9 and all(k.startswith(f"broadcast:{b.pk}:") for k in keys)
    sms = OutboxMessage.objects.filter(transport="sms").first()
    assert sms is not None and sms.body.startswith("晚高峰提醒\n福州路")
    kinds = list(b.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.SCHEDULED, EventKind.FIRED]
    report = broadcast_report(b)[0]
    assert report.counts == {"pending": 9, "skipped": 1}


def test_it_needs_another_leaders_approval_for_two_communities(world, groups):
    leader_scope = world.scope(world.leader)
    aud = services.do_create_audience(
        leader_scope,
        services.AudienceSpec(
            name="两社区",
            communities=[world.community_a, world.community_b],
            grids=[],
            groups=[],
            departments=[],
        ),
    )
    b = services.do_create_broadcast(leader_scope, draft(aud))
    services.do_submit(leader_scope, b.pk)
    b.refresh_from_db()
    assert b.state == BroadcastState.AWAITING_APPROVAL and not OutboxMessage.objects.exists()
    with pytest.raises(NotAllowed, match="撰写人"):
        services.do_approve(leader_scope, b.pk)
    with pytest.raises(NotAllowed, match="领导"):
        services.do_approve(world.scope(world.grid_officer), b.pk)
    other = second_leader(world)
    services.do_approve(scope_for(other), b.pk)
    b.refresh_from_db()
    assert b.state == BroadcastState.DONE and b.approved_by == other
    events = list(b.events.values_list("kind", "actor__name"))
    assert (EventKind.SUBMITTED, "王所长") in events and (EventKind.APPROVED, "李副所长") in events
    assert OutboxMessage.objects.count() == 4


def test_it_refuses_communities_outside_the_senders_scope(world, groups):
    with pytest.raises(NotAllowed, match="云南中路社区"):
        audience(world, communities=[world.community_b])
    for person in (world.grid_member, world.building_head, world.liaison):
        with pytest.raises(NotAllowed):
            services.do_create_audience(
                world.scope(person),
                services.AudienceSpec(
                    name="x", communities=[world.community_a], grids=[], groups=[], departments=[]
                ),
            )
    b = services.do_create_broadcast(world.scope(world.grid_officer), draft(audience(world)))
    with pytest.raises(Http404):
        access_broadcast_by_scope(world.scope(world.other_officer), b.pk)
    with pytest.raises(Http404):
        access_broadcast_by_scope(scope_for(None), b.pk)
    assert access_broadcast_by_scope(world.scope(world.leader), b.pk) == b
    with pytest.raises(NotAllowed):
        services.do_cancel(world.scope(world.other_officer), b.pk)


def _refused(world, b, match):
    before = (OutboxMessage.objects.count(), Delivery.objects.count())
    with pytest.raises(ServiceError, match=match):
        services.do_submit(world.scope(world.grid_officer), b.pk)
    b.refresh_from_db()
    assert b.state == BroadcastState.DRAFT
    assert (OutboxMessage.objects.count(), Delivery.objects.count()) == before  # nothing half-sent


def test_it_refuses_an_empty_audience(world):
    with pytest.raises(ServiceError, match="受众为空"):
        audience(world, communities=[])
    aud = audience(world, area_groups=True)  # community A has no groups, no people chosen
    b = services.do_create_broadcast(world.scope(world.grid_officer), draft(aud))
    _refused(world, b, "没有人会收到")


def test_it_refuses_a_variable_without_a_value(world, groups):
    b = services.do_create_broadcast(
        world.scope(world.grid_officer), draft(audience(world), variables={"road": "福州路"})
    )
    _refused(world, b, r"\{hour\}, \{detour\}")


def test_it_refuses_an_sms_over_ten_segments(world, subscribers):
    aud = audience(world, sms_residents=True)
    b = services.do_create_broadcast(
        world.scope(world.grid_officer), draft(aud, template="请注意交通安全。" * 90)
    )
    _refused(world, b, "11 条")


def test_it_refuses_a_schedule_in_the_past(world, groups):
    past = timezone.now() - timedelta(hours=1)
    b = services.do_create_broadcast(world.scope(world.grid_officer), draft(audience(world), send_at=past))
    _refused(world, b, "已经过去")
    b2 = services.do_create_broadcast(
        world.scope(world.grid_officer),
        draft(audience(world), repeat="working_days", times=["7:15", "25:00"]),
    )
    _refused(world, b2, "25:00")


def test_it_refuses_a_group_whose_bot_was_removed(world, groups):
    groups["wecom"].bot_removed_at = timezone.now()
    groups["wecom"].save()
    b = services.do_create_broadcast(world.scope(world.grid_officer), draft(audience(world)))
    _refused(world, b, "wecom群")


def test_it_skips_an_opted_out_resident_and_says_why(world, subscribers):
    subscribers[0].opted_out_at = timezone.now()
    subscribers[0].save()
    aud = audience(world, sms_residents=True, area_groups=False)
    b = services.do_create_broadcast(world.scope(world.grid_officer), draft(aud))
    services.do_submit(world.scope(world.grid_officer), b.pk)
    run = b.runs.get()
    skipped = run.deliveries.get(state="skipped")
    assert "退订" in skipped.reason and "139****5600" in skipped.label
    assert not [m for m in OutboxMessage.objects.all() if m.recipient.get("phone") == subscribers[0].phone]
    assert OutboxMessage.objects.count() == 2


def test_it_pauses_resumes_and_cancels_a_schedule(world, groups):
    scope = world.scope(world.grid_officer)
    b = services.do_create_broadcast(scope, draft(audience(world), repeat="every_day", times=["07:15"]))
    services.do_submit(scope, b.pk)
    services.do_pause(scope, b.pk)
    b.refresh_from_db()
    assert b.state == BroadcastState.PAUSED
    assert services.fire_due(timezone.now() + timedelta(days=2))["broadcasts_fired"] == 0
    services.do_resume(scope, b.pk)
    services.do_cancel(scope, b.pk)
    b.refresh_from_db()
    assert b.state == BroadcastState.CANCELLED and b.next_run_at is None
    with pytest.raises(ServiceError, match="暂停"):
        services.do_resume(scope, b.pk)
    assert not OutboxMessage.objects.exists()
