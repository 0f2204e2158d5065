"""One-click command groups: idempotent, the right members, only members and staff may talk."""

from __future__ import annotations

import pytest

from lastmeter.dispatching import services
from lastmeter.dispatching.models import CommandGroup, CommandGroupMember
from lastmeter.dispatching.selectors import command_group_ids_for_person
from lastmeter.realtime.events import cgroup_group, person_group


def members(group):
    return set(CommandGroupMember.objects.filter(group=group).values_list("person_id", flat=True))


def test_it_opens_one_group_with_the_commander_and_the_dispatched_officers(world, fleet, scene_incident):
    d = world.dispatcher
    services.do_dispatch(scene_incident, [fleet.p1.pk, fleet.p2.pk, fleet.f1.pk], d)
    group = services.do_open_command_group(scene_incident, d)
    assert members(group) == {d.pk, world.grid_officer.pk, world.other_officer.pk}
    assert CommandGroupMember.objects.get(group=group, person=d).is_commander
    scene_incident.refresh_from_db()
    assert scene_incident.commander_id == d.pk
    again = services.do_open_command_group(scene_incident, d)
    assert again.pk == group.pk and CommandGroup.objects.count() == 1
    assert members(again) == members(group)
    assert group.messages.filter(kind="system").count() == 2  # opened + joined, not repeated


def test_it_adds_officers_dispatched_after_the_group_was_opened(
    world, fleet, scene_incident, layer, django_capture_on_commit_callbacks
):
    d = world.dispatcher
    services.do_dispatch(scene_incident, [fleet.p1.pk], d)
    group = services.do_open_command_group(scene_incident, d)
    ch = layer.listen(person_group(world.grid_member.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.do_dispatch(scene_incident, [fleet.p3.pk], d)
    assert world.grid_member.pk in members(group)
    assert command_group_ids_for_person(world.grid_member.pk) == [group.pk]
    events = dict(layer.received(ch))
    assert events["group.message"]["data"] == {
        "joined": [world.grid_member.pk]
    }  # tells the new member's live feed


def test_it_lets_an_assigned_officer_open_it_but_not_an_outsider(world, fleet, scene_incident):
    services.do_dispatch(scene_incident, [fleet.p1.pk], world.dispatcher)
    with pytest.raises(services.NotAllowed):
        services.do_open_command_group(scene_incident, world.other_officer)
    group = services.do_open_command_group(scene_incident, world.grid_officer)
    assert members(group) == {world.grid_officer.pk}  # no commander yet: the officer is not made one
    scene_incident.refresh_from_db()
    assert scene_incident.commander_id is None


def test_it_lets_members_and_staff_post_and_refuses_others(
    world, fleet, scene_incident, layer, django_capture_on_commit_callbacks
):
    d = world.dispatcher
    services.do_dispatch(scene_incident, [fleet.p1.pk], d)
    group = services.do_open_command_group(scene_incident, d)
    ch = layer.listen(cgroup_group(group.pk))
    with django_capture_on_commit_callbacks(execute=True):
        msg = services.do_post_group_message(group, world.grid_officer, "已到达福州路口")
        services.do_post_group_message(group, world.leader, "注意安全")  # staff, not a member
        services.do_post_group_message(group, world.grid_officer, kind="position", lat=31.23, lon=121.47)
    assert msg.author_id == world.grid_officer.pk
    got = layer.received(ch)
    assert [p["kind"] for e, p in got if e == "group.message"] == ["text", "text", "position"]
    with pytest.raises(services.NotAllowed):
        services.do_post_group_message(group, world.other_officer, "let me in")
    for bad in [dict(text=""), dict(text="x" * 2001), dict(text="x", kind="system"), dict(kind="position")]:
        with pytest.raises(services.ServiceError):
            services.do_post_group_message(group, world.grid_officer, **bad)


def test_it_keeps_an_archived_group_with_its_incident(world, fleet, scene_incident):
    d = world.dispatcher
    services.do_dispatch(scene_incident, [fleet.p1.pk], d)
    group = services.do_open_command_group(scene_incident, d)
    services.do_post_group_message(group, world.grid_officer, "收到")
    services.do_close_incident(scene_incident, d)
    group.refresh_from_db()
    assert group.archived_at is not None and group.incident_id == scene_incident.pk
    assert group.messages.filter(kind="text").count() == 1
    assert command_group_ids_for_person(world.grid_officer.pk) == []  # no longer a live channel
