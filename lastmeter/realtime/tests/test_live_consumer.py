"""The live websocket: authentication, scoping of groups, command-group membership.

Named roles from the test world: the dispatcher hears the command centre; the grid officer hears
only their own person group, their grid and their command groups; the other officer must not hear
the grid officer's groups.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model

from lastmeter.dispatching.models import CommandGroup, CommandGroupMember, Incident
from lastmeter.realtime.consumers import LiveConsumer
from lastmeter.realtime.events import COMMAND_GROUP, cgroup_group, grid_group, person_group
from lastmeter.testing.world import POINT_IN_A, build_world

pytestmark = [pytest.mark.django_db(transaction=True)]


def _event(event: str, payload: dict) -> dict:
    return {"type": "lastmeter.event", "event": event, "payload": payload}


async def _connect(user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    comm.scope["user"] = user
    return comm


async def _hello(comm: WebsocketCommunicator) -> list[str]:
    connected, _ = await comm.connect()
    assert connected
    hello = await comm.receive_json_from(timeout=2)
    assert hello["event"] == "hello"
    return hello["payload"]["groups"]


@database_sync_to_async
def _world():
    return build_world()


@database_sync_to_async
def _group_for(members, *, archived: bool = False) -> CommandGroup:
    incident = Incident.objects.create(title="路口冲突", lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    group = CommandGroup.objects.create(incident=incident, name="指挥群")
    for person in members:
        CommandGroupMember.objects.create(group=group, person=person)
    if archived:
        from django.utils import timezone

        CommandGroup.objects.filter(pk=group.pk).update(archived_at=timezone.now())
    return group


@database_sync_to_async
def _add_member(group: CommandGroup, person) -> None:
    CommandGroupMember.objects.create(group=group, person=person)


async def test_it_refuses_an_anonymous_socket():
    from django.contrib.auth.models import AnonymousUser

    comm = await _connect(AnonymousUser())
    connected, code = await comm.connect()
    assert not connected
    assert code == 4401


async def test_it_refuses_a_login_without_a_person():
    user = await database_sync_to_async(get_user_model().objects.create_user)("nobody", password="x")
    comm = await _connect(user)
    connected, code = await comm.connect()
    assert not connected
    assert code == 4403


async def test_it_lets_the_dispatcher_hear_the_command_centre():
    world = await _world()
    comm = await _connect(world.dispatcher.user)
    groups = await _hello(comm)
    assert COMMAND_GROUP in groups
    assert person_group(world.dispatcher.pk) in groups
    await get_channel_layer().group_send(COMMAND_GROUP, _event("sos.raised", {"id": 1}))
    msg = await comm.receive_json_from(timeout=2)
    assert msg == {"event": "sos.raised", "payload": {"id": 1}}
    await comm.disconnect()


async def test_it_keeps_an_officer_to_their_own_groups():
    world = await _world()
    comm = await _connect(world.grid_officer.user)
    groups = await _hello(comm)
    assert COMMAND_GROUP not in groups
    assert person_group(world.grid_officer.pk) in groups
    assert grid_group(world.grid_a.pk) in groups
    assert person_group(world.other_officer.pk) not in groups
    assert grid_group(world.grid_b.pk) not in groups

    layer = get_channel_layer()
    await layer.group_send(COMMAND_GROUP, _event("incident.created", {"id": 9}))
    await layer.group_send(person_group(world.other_officer.pk), _event("incident.dispatched", {"id": 9}))
    assert await comm.receive_nothing(timeout=0.2)
    await layer.group_send(person_group(world.grid_officer.pk), _event("incident.dispatched", {"id": 10}))
    msg = await comm.receive_json_from(timeout=2)
    assert msg["payload"] == {"id": 10}
    await comm.disconnect()


async def test_it_joins_an_officer_to_their_command_groups_only():
    world = await _world()
    mine = await _group_for([world.grid_officer, world.dispatcher])
    theirs = await _group_for([world.other_officer])
    archived = await _group_for([world.grid_officer], archived=True)
    comm = await _connect(world.grid_officer.user)
    groups = await _hello(comm)
    assert cgroup_group(mine.pk) in groups
    assert cgroup_group(theirs.pk) not in groups
    assert cgroup_group(archived.pk) not in groups

    # Asking for someone else's group is refused, with the same answer as for a missing group.
    await comm.send_json_to({"action": "join", "group": cgroup_group(theirs.pk)})
    refused = await comm.receive_json_from(timeout=2)
    await comm.send_json_to({"action": "join", "group": cgroup_group(999999)})
    missing = await comm.receive_json_from(timeout=2)
    assert refused["event"] == missing["event"] == "error"
    assert refused["payload"]["detail"] == missing["payload"]["detail"]

    layer = get_channel_layer()
    await layer.group_send(cgroup_group(theirs.pk), _event("group.message", {"text": "not for you"}))
    assert await comm.receive_nothing(timeout=0.2)
    await layer.group_send(cgroup_group(mine.pk), _event("group.message", {"text": "收到"}))
    msg = await comm.receive_json_from(timeout=2)
    assert msg["payload"]["text"] == "收到"
    await comm.disconnect()


async def test_it_follows_membership_changes_while_connected():
    world = await _world()
    group = await _group_for([world.dispatcher])
    comm = await _connect(world.grid_officer.user)
    groups = await _hello(comm)
    assert cgroup_group(group.pk) not in groups

    await _add_member(group, world.grid_officer)
    layer = get_channel_layer()
    # The dispatch order reaches the officer's own group; the consumer re-reads the membership.
    await layer.group_send(person_group(world.grid_officer.pk), _event("incident.dispatched", {"id": 1}))
    assert (await comm.receive_json_from(timeout=2))["event"] == "incident.dispatched"
    await layer.group_send(cgroup_group(group.pk), _event("group.message", {"text": "到了吗"}))
    assert (await comm.receive_json_from(timeout=2))["payload"]["text"] == "到了吗"

    await comm.send_json_to({"action": "refresh"})
    reply = await comm.receive_json_from(timeout=2)
    assert reply["event"] == "groups"
    assert cgroup_group(group.pk) in reply["payload"]["groups"]
    await comm.disconnect()


async def test_it_lets_command_staff_join_any_command_group_on_request():
    world = await _world()
    group = await _group_for([world.grid_officer])
    comm = await _connect(world.leader.user)
    await _hello(comm)
    await comm.send_json_to({"action": "join", "group": cgroup_group(group.pk)})
    assert (await comm.receive_json_from(timeout=2)) == {
        "event": "joined",
        "payload": {"group": cgroup_group(group.pk)},
    }
    await get_channel_layer().group_send(
        cgroup_group(group.pk), _event("group.message", {"text": "指挥到位"})
    )
    assert (await comm.receive_json_from(timeout=2))["payload"]["text"] == "指挥到位"
    await comm.send_json_to({"action": "ping"})
    assert (await comm.receive_json_from(timeout=2))["event"] == "pong"
    await comm.send_json_to({"action": "shout"})
    assert (await comm.receive_json_from(timeout=2))["event"] == "error"
    await comm.disconnect()


async def test_it_authenticates_the_session_cookie_through_the_asgi_application():
    from django.test import Client

    from lastmeter.asgi import application

    world = await _world()
    client = Client()
    await database_sync_to_async(client.force_login)(world.dispatcher.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    origin = (b"origin", b"http://127.0.0.1")
    comm = WebsocketCommunicator(application, "/ws/live/", headers=[(b"cookie", cookie), origin])
    groups = await _hello(comm)
    assert COMMAND_GROUP in groups
    await comm.disconnect()

    # No cookie: the socket is refused; a foreign origin is refused before authentication.
    anonymous = WebsocketCommunicator(application, "/ws/live/", headers=[origin])
    connected, code = await anonymous.connect()
    assert not connected and code == 4401
    foreign = WebsocketCommunicator(
        application, "/ws/live/", headers=[(b"cookie", cookie), (b"origin", b"http://evil.example")]
    )
    connected, _ = await foreign.connect()
    assert not connected


@database_sync_to_async
def _raise_sos(person, *, resolve: bool = False):
    from lastmeter.dispatching.command import do_raise_sos, do_resolve_sos
    from lastmeter.dispatching.models import Unit

    Unit.objects.get_or_create(
        code=f"P-{person.pk}",
        defaults={"name": "巡逻车", "agency": "police", "unit_type": "patrol_car", "person": person},
    )
    alarm = do_raise_sos(person, POINT_IN_A[0], POINT_IN_A[1])
    if resolve:
        do_resolve_sos(alarm.pk, person, note="误触")
    return alarm


async def test_it_sends_a_reconnecting_screen_the_sos_it_missed_and_only_what_it_may_hear():
    """An alarm raised while nobody could be told (the socket down, Redis out) reaches the command
    centre when it connects again; a resolved one does not; the other grid's officer, in no
    command group with the officer, hears neither."""
    world = await _world()
    open_alarm = await _raise_sos(world.grid_officer)
    await _raise_sos(world.other_officer, resolve=True)

    board = await _connect(world.dispatcher.user)
    await _hello(board)
    missed = await board.receive_json_from(timeout=2)
    assert missed["event"] == "sos.raised" and missed["catch_up"] is True
    assert missed["payload"]["id"] == open_alarm.pk and missed["payload"]["status"] == "raised"
    assert await board.receive_nothing(timeout=0.3)
    await board.disconnect()

    stranger = await _connect(world.other_officer.user)
    await _hello(stranger)
    assert await stranger.receive_nothing(timeout=0.3)
    await stranger.disconnect()
