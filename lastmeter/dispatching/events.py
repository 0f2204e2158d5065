"""Websocket group names and event names of dispatching (payloads are built in services).

Groups (named in lastmeter.realtime.events): ``COMMAND_GROUP`` (command centre and dispatchers),
``person_group(id)`` (one person's devices), ``cgroup_group(id)`` (members of one incident's
command group).
"""

from __future__ import annotations

from lastmeter.dispatching.models import CommandGroupMember
from lastmeter.realtime.events import CGROUP_PREFIX, COMMAND_GROUP, cgroup_group, person_group

UNIT_POSITION = "unit.position"
UNIT_STATUS = "unit.status"
INCIDENT_CREATED = "incident.created"
INCIDENT_UPDATED = "incident.updated"
INCIDENT_DISPATCHED = "incident.dispatched"
GROUP_MESSAGE = "group.message"
SOS_RAISED = "sos.raised"
SOS_POSITION = "sos.position"
SOS_ACKNOWLEDGED = "sos.acknowledged"
SOS_RESOLVED = "sos.resolved"


def sos_fanout_groups(person_id: int) -> list[str]:
    """Where an SOS of this person goes: the command centre, every member of every open command
    group the person is in (their person groups), and those command groups themselves."""
    group_ids = list(
        CommandGroupMember.objects.filter(person_id=person_id, group__archived_at__isnull=True)
        .values_list("group_id", flat=True)
        .distinct()
    )
    member_ids = set(
        CommandGroupMember.objects.filter(group_id__in=group_ids).values_list("person_id", flat=True)
    )
    member_ids.add(person_id)
    return (
        [COMMAND_GROUP]
        + [person_group(p) for p in sorted(member_ids)]
        + [cgroup_group(g) for g in sorted(group_ids)]
    )


__all__ = [
    "CGROUP_PREFIX",
    "COMMAND_GROUP",
    "GROUP_MESSAGE",
    "INCIDENT_CREATED",
    "INCIDENT_DISPATCHED",
    "INCIDENT_UPDATED",
    "SOS_ACKNOWLEDGED",
    "SOS_POSITION",
    "SOS_RAISED",
    "SOS_RESOLVED",
    "UNIT_POSITION",
    "UNIT_STATUS",
    "cgroup_group",
    "person_group",
    "sos_fanout_groups",
]
