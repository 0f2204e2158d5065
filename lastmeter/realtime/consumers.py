"""The live feed: a logged-in user joins the groups their scope allows and receives events.

Scoping (who hears what):
- jurisdiction-wide staff (dispatchers, leadership, administrators) join the command group;
- everyone with a person record joins their own person group, the grids and departments of their
  scope, and the command groups (``cgroup.<id>``) of incidents they are a member of;
- nobody joins another person's group, and a command group only after a membership check in the
  database — a client asking for a group it may not hear gets an error event, never the group.

On (re)connecting, after ``hello``, a client is sent again what it may have missed and still matters
(``realtime.events.catch_up_for``: the open SOS alarms it may hear, as ``sos.raised`` events with
``"catch_up": true``) — events are pushed once and not kept, so a client that was away during a
network drop or a Redis outage would otherwise never learn of an alarm raised meanwhile.

Membership changes while a socket is open (an officer dispatched to an incident joins its group):
the consumer re-reads its command groups when an ``incident.*``/``group.*``/``sos.*`` event reaches
it, and a client may ask with ``{"action": "refresh"}`` or ``{"action": "join", "group": "cgroup.7"}``.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from lastmeter.accounts.selectors import scope_for_user
from lastmeter.realtime.events import (
    CGROUP_PREFIX,
    COMMAND_GROUP,
    catch_up_for,
    cgroup_group,
    command_group_ids_for,
    department_group,
    grid_group,
    person_group,
)

# Events after which an officer's command groups may have changed.
_MEMBERSHIP_HINTS = ("incident.", "group.", "sos.")


def _member_group_ids(person_id: int) -> list[int]:
    """Open command groups the person is a member of (archived groups are history, not live)."""
    return command_group_ids_for(person_id)


def _may_hear_group(user, group_id: int) -> bool:
    scope = scope_for_user(user)
    if scope.jurisdiction_wide:
        return True
    return scope.person is not None and group_id in _member_group_ids(scope.person.pk)


@database_sync_to_async
def _groups_for(user) -> list[str]:
    scope = scope_for_user(user)
    if scope.person is None and not scope.superuser:
        return []
    groups: list[str] = []
    if scope.jurisdiction_wide:
        groups.append(COMMAND_GROUP)
    if scope.person is not None:
        groups.append(person_group(scope.person.pk))
        groups += [cgroup_group(g) for g in _member_group_ids(scope.person.pk)]
    groups += [grid_group(g) for g in sorted(scope.grid_ids)]
    groups += [department_group(d) for d in sorted(scope.department_ids)]
    return groups


@database_sync_to_async
def _command_groups_for(user) -> set[str]:
    scope = scope_for_user(user)
    if scope.person is None:
        return set()
    return {cgroup_group(g) for g in _member_group_ids(scope.person.pk)}


@database_sync_to_async
def _catch_up(user) -> list[tuple[str, dict[str, Any]]]:
    return catch_up_for(user)


@database_sync_to_async
def _may_join(user, group_id: int) -> bool:
    return _may_hear_group(user, group_id)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined = await _groups_for(user)
        if not self.groups_joined:
            await self.close(code=4403)
            return
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "payload": {"groups": self.groups_joined}})
        # What it may have missed while away and still matters (open SOS alarms), marked as such.
        for event, payload in await _catch_up(user):
            await self.send_json({"event": event, "payload": payload, "catch_up": True})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)

    async def _refresh_command_groups(self) -> None:
        """Join new command groups, leave ones the person is no longer a member of.
        Jurisdiction-wide staff keep groups they joined on request."""
        wanted = await _command_groups_for(self.scope["user"])
        current = {g for g in self.groups_joined if g.startswith(CGROUP_PREFIX)}
        for group in sorted(wanted - current):
            await self._join(group)
        if COMMAND_GROUP not in self.groups_joined:
            for group in sorted(current - wanted):
                await self.channel_layer.group_discard(group, self.channel_name)
                self.groups_joined.remove(group)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        if action == "ping":
            await self.send_json({"event": "pong", "payload": {}})
        elif action == "refresh":
            await self._refresh_command_groups()
            await self.send_json({"event": "groups", "payload": {"groups": self.groups_joined}})
        elif action == "join":
            await self._handle_join(content.get("group"))
        else:
            await self.send_json({"event": "error", "payload": {"detail": f"unknown action {action!r}"}})

    async def _handle_join(self, group: Any) -> None:
        group_id = None
        if isinstance(group, str) and group.startswith(CGROUP_PREFIX):
            tail = group[len(CGROUP_PREFIX) :]
            group_id = int(tail) if tail.isdigit() else None
        elif isinstance(group, int):
            group_id = group
        if group_id is None or not await _may_join(self.scope["user"], group_id):
            # One answer for "no such group" and "not yours": nothing to learn by probing.
            await self.send_json({"event": "error", "payload": {"detail": "may not join", "group": group}})
            return
        await self._join(cgroup_group(group_id))
        await self.send_json({"event": "joined", "payload": {"group": cgroup_group(group_id)}})

    async def lastmeter_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event.startswith(_MEMBERSHIP_HINTS) and COMMAND_GROUP not in self.groups_joined:
            await self._refresh_command_groups()
        await self.send_json({"event": event, "payload": message["payload"]})
