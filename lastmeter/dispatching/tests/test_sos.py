"""SOS fan-out through the in-memory channel layer: the command centre, every member of every group
the officer is in, and those groups; live position follows; only insiders may acknowledge."""

from __future__ import annotations

import pytest

from lastmeter.dispatching import services
from lastmeter.dispatching.models import GroupMessage, SosAlarm
from lastmeter.dispatching.tests.conftest import NODES, SCENE
from lastmeter.realtime.events import COMMAND_GROUP, cgroup_group, person_group


@pytest.fixture
def two_groups(world, fleet):
    """The grid officer (P1) is in two incidents' groups: with the other officer, and with the grid member."""
    d = world.dispatcher
    first = services.do_create_incident(title="一", lat=SCENE[0], lon=SCENE[1], actor=d)
    second = services.do_create_incident(title="二", lat=NODES["A"][0], lon=NODES["A"][1], actor=d)
    services.do_dispatch(first, [fleet.p1.pk, fleet.p2.pk], d)
    g1 = services.do_open_command_group(first, d)
    services.do_open_command_group(second, world.leader)  # leader commands the second
    services.do_dispatch(second, [fleet.p3.pk], d)
    from lastmeter.dispatching.models import CommandGroupMember

    g2 = second.command_group
    CommandGroupMember.objects.create(group=g2, person=world.grid_officer)  # added by hand
    return g1, g2


def test_it_fans_an_sos_out_to_everyone_who_must_see_it(
    world, fleet, two_groups, layer, django_capture_on_commit_callbacks
):
    g1, g2 = two_groups
    listeners = {
        "command": layer.listen(COMMAND_GROUP),
        "other_officer": layer.listen(person_group(world.other_officer.pk)),
        "grid_member": layer.listen(person_group(world.grid_member.pk)),
        "leader": layer.listen(person_group(world.leader.pk)),
        "dispatcher": layer.listen(person_group(world.dispatcher.pk)),
        "g1": layer.listen(cgroup_group(g1.pk)),
        "g2": layer.listen(cgroup_group(g2.pk)),
        "outsider": layer.listen(person_group(world.building_head.pk)),
    }
    with django_capture_on_commit_callbacks(execute=True):
        alarm = services.do_raise_sos(world.grid_officer, 31.2301, 121.4699, actor=world.grid_officer)
    for who, channel in listeners.items():
        raised = [p for e, p in layer.received(channel) if e == "sos.raised"]
        if who == "outsider":
            assert raised == []
            continue
        assert len(raised) == 1, who
        assert raised[0]["id"] == alarm.pk and raised[0]["person"]["id"] == world.grid_officer.pk
        assert (raised[0]["lat"], raised[0]["lon"]) == (31.2301, 121.4699)
        assert raised[0]["unit"]["code"] == "P1" and set(raised[0]["groups"]) == {g1.pk, g2.pk}
    assert GroupMessage.objects.filter(kind="sos", data__sos=alarm.pk).count() == 2


def test_it_pushes_the_officers_live_position_until_resolved(
    world, fleet, two_groups, layer, django_capture_on_commit_callbacks
):
    _g1, _ = two_groups
    alarm = services.do_raise_sos(world.grid_officer, *SCENE, actor=world.grid_officer)
    mate = layer.listen(person_group(world.other_officer.pk))
    with django_capture_on_commit_callbacks(execute=True):
        result = services.do_report_position(fleet.p1, 31.2302, 121.4702, actor=world.grid_officer)
    assert result["sos"] == alarm.pk
    [(_event, payload)] = [m for m in layer.received(mate) if m[0] == "sos.position"]
    assert (payload["lat"], payload["lon"]) == (31.2302, 121.4702)
    alarm.refresh_from_db()
    assert (alarm.last_lat, alarm.last_lon) == (31.2302, 121.4702) and (alarm.lat, alarm.lon) == SCENE
    # pressing again does not raise a second alarm
    again = services.do_raise_sos(world.grid_officer, 31.2303, 121.4703, actor=world.grid_officer)
    assert again.pk == alarm.pk and SosAlarm.objects.count() == 1
    layer.received(mate)  # drop what came so far
    with django_capture_on_commit_callbacks(execute=True):
        services.do_resolve_sos(alarm, world.grid_officer)
        result = services.do_report_position(fleet.p1, 31.2304, 121.4704, actor=world.grid_officer)
    assert result["sos"] is None
    assert [e for e, _ in layer.received(mate) if e.startswith("sos.")] == ["sos.resolved"]


def test_it_follows_a_person_without_a_unit(world, two_groups):
    alarm = services.do_raise_sos(world.leader, *SCENE, actor=world.leader)
    result = services.do_report_position(world.leader, 31.2305, 121.4705, actor=world.leader)
    assert result == {"unit": None, "sos": alarm.pk, "moved": False}


def test_it_lets_only_insiders_acknowledge_and_only_the_person_raise(
    world, fleet, two_groups, layer, django_capture_on_commit_callbacks
):
    alarm = services.do_raise_sos(world.grid_officer, *SCENE, actor=world.grid_officer)
    with pytest.raises(services.NotAllowed):
        services.do_raise_sos(world.grid_officer, *SCENE, actor=world.dispatcher)
    with pytest.raises(services.NotAllowed):
        services.do_ack_sos(alarm, world.building_head)  # shares no group
    with pytest.raises(services.NotAllowed):
        services.do_ack_sos(alarm, world.grid_officer)  # not one's own
    with pytest.raises(services.NotAllowed):
        services.do_resolve_sos(alarm, world.other_officer)
    ch = layer.listen(COMMAND_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        services.do_ack_sos(alarm, world.other_officer)  # a fellow member of group one
    [(_, payload)] = [m for m in layer.received(ch) if m[0] == "sos.acknowledged"]
    assert payload["acknowledged_by"]["id"] == world.other_officer.pk and payload["status"] == "acknowledged"
    with pytest.raises(services.ServiceError):
        services.do_raise_sos(world.grid_officer, 95.0, 121.0, actor=world.grid_officer)
