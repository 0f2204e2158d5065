"""Command groups (one per incident, opened with one click) and SOS alarms with live position.

Re-exported by services.py; the same rules apply (atomic, row locks, tables, events after commit).
Lock order: incident, then units, then the SOS alarm.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Person
from lastmeter.dispatching import events as ev
from lastmeter.dispatching.choices import (
    SOS_OPEN,
    SOS_TRANSITIONS,
    IncidentStatus,
    MessageKind,
    SosStatus,
    check_move,
)
from lastmeter.dispatching.common import (
    Actor,
    NotAllowed,
    ServiceError,
    actor_person,
    as_scope,
    check_lat_lon,
    is_staff,
)
from lastmeter.dispatching.models import (
    Assignment,
    CommandGroup,
    CommandGroupMember,
    GroupMessage,
    Incident,
    SosAlarm,
    Unit,
)
from lastmeter.dispatching.presenters import incident_name, message_row, sos_row
from lastmeter.dispatching.selectors import command_group_ids_for_person, may_post_in
from lastmeter.realtime.events import person_group, publish_after_commit

MAX_MESSAGE = 2000


# --- command groups ----------------------------------------------------------------------------


def _system_message(
    group: CommandGroup,
    text: str,
    data: dict[str, Any] | None = None,
    *,
    by: Person | None = None,
    also: Iterable[int] = (),
) -> GroupMessage:
    """Record a system line and push it to the group (and to ``also``: people who just joined and do
    not hear the group's channel yet — the event makes their live connection re-read its groups).
    Its sender is ``by``, the person whose action it reports, or the system (presenters.message_row)."""
    msg = GroupMessage.objects.create(
        group=group, author=by, kind=MessageKind.SYSTEM, text=text, data=data or {}
    )
    groups = [ev.cgroup_group(group.pk)] + [person_group(p) for p in sorted(set(also))]
    publish_after_commit(groups, ev.GROUP_MESSAGE, message_row(msg))
    return msg


def sync_group_members(incident: Incident, by: Person | None = None) -> list[int]:
    """Add the commander and the officers of the incident's active units to its open command group.

    No-op without a group.  Caller holds the incident's lock.  Returns the ids of people added.
    """
    group = CommandGroup.objects.filter(incident=incident, archived_at__isnull=True).first()
    if group is None:
        return []
    return _add_members(group, incident, by)


def _add_members(group: CommandGroup, incident: Incident, by: Person | None) -> list[int]:
    wanted: dict[int, bool] = {}
    if incident.commander_id:
        wanted[incident.commander_id] = True
    officers = Assignment.objects.filter(
        incident=incident, cleared_at__isnull=True, unit__person__isnull=False
    ).values_list("unit__person_id", flat=True)
    for pid in officers:
        wanted.setdefault(pid, False)
    if by is not None:
        wanted.setdefault(by.pk, False)
    present = set(group.members.values_list("person_id", flat=True))
    added = [pid for pid in wanted if pid not in present]
    CommandGroupMember.objects.bulk_create(
        [CommandGroupMember(group=group, person_id=pid, is_commander=wanted[pid]) for pid in added]
    )
    if added:
        names = dict(Person.objects.filter(pk__in=added).values_list("pk", "name"))
        _system_message(
            group,
            _("Joined the command group: %(names)s")
            % {"names": "、".join(names.get(p, str(p)) for p in added)},
            {"joined": added},
            by=by,
            also=added,
        )
    return added


def do_open_command_group(incident: Incident | int, actor: Actor = None) -> CommandGroup:
    """One click: the incident's command group with its commander (the actor, if command staff and
    none is set) and the officers of the units sent to it.  Idempotent: a second click returns the
    same group (adding anyone dispatched since).  Command staff, the commander or an assigned
    officer may open it; a closed incident's group is archived and cannot be reopened."""
    scope = as_scope(actor)
    person = actor_person(actor)
    with transaction.atomic():
        try:
            inc = Incident.objects.select_for_update().get(
                pk=incident if isinstance(incident, int) else incident.pk
            )
        except Incident.DoesNotExist:
            raise ServiceError(_("This incident does not exist (any more).")) from None
        staff = is_staff(scope)
        assigned = (
            person is not None
            and Assignment.objects.filter(incident=inc, unit__person=person, cleared_at__isnull=True).exists()
        )
        if not (staff or assigned or (person is not None and inc.commander_id == person.pk)):
            raise NotAllowed(
                _(
                    "Only the command centre, the incident's commander or an officer sent to it may open its group."
                )
            )
        if inc.status == IncidentStatus.CLOSED:
            raise ServiceError(
                _("%(incident)s is closed; its command group is archived and can only be read.")
                % {"incident": incident_name(inc)}
            )
        if inc.commander_id is None and staff and person is not None:
            inc.commander = person
            inc.save(update_fields=["commander", "updated_at"])
        group = CommandGroup.objects.filter(incident=inc).first()
        if group is None:
            group = CommandGroup.objects.create(
                incident=inc, name=f"{inc.reference} {inc.title}"[:200], created_by=person
            )
            _system_message(
                group,
                _("Command group opened: %(title)s") % {"title": inc.title},
                {"opened_by": person.pk if person else None},
                by=person,
            )
        _add_members(group, inc, person)
    return group


def do_post_group_message(
    group: CommandGroup | int,
    actor: Actor,
    text: str = "",
    *,
    kind: str = MessageKind.TEXT,
    lat: float | None = None,
    lon: float | None = None,
) -> GroupMessage:
    """A member's (or command staff's) message: text, or a shared position (kind "position" with
    lat/lon).  System and SOS lines are written by the services themselves."""
    scope = as_scope(actor)
    person = actor_person(actor)
    if kind not in (MessageKind.TEXT, MessageKind.POSITION):
        raise ServiceError(_("Only text and position messages can be posted."))
    text = (text or "").strip()
    if len(text) > MAX_MESSAGE:
        raise ServiceError(_("A message has at most %(n)s characters: split it.") % {"n": MAX_MESSAGE})
    data: dict[str, Any] = {}
    if kind == MessageKind.POSITION:
        check_lat_lon(lat, lon)
        if lat is None or lon is None:
            raise ServiceError(_("A position message needs both latitude and longitude."))
        data = {"lat": lat, "lon": lon}
    elif not text:
        raise ServiceError(_("The message is empty: write something first."))
    with transaction.atomic():
        try:
            g = CommandGroup.objects.select_for_update().get(pk=group if isinstance(group, int) else group.pk)
        except CommandGroup.DoesNotExist:
            raise ServiceError(_("This command group does not exist (any more).")) from None
        if g.archived_at is not None:
            raise ServiceError(
                _("This command group is archived (its incident is closed): it can only be read.")
            )
        if scope is not None and not may_post_in(scope, g):
            raise NotAllowed(_("Only the group's members and the command centre may post in this group."))
        msg = GroupMessage.objects.create(group=g, author=person, text=text, kind=kind, data=data)
        publish_after_commit([ev.cgroup_group(g.pk)], ev.GROUP_MESSAGE, message_row(msg))
    return msg


def archive_group_locked(incident: Incident, by: Person | None = None) -> CommandGroup | None:
    """Archive the incident's group if open.  Caller holds the incident's lock."""
    group = (
        CommandGroup.objects.select_for_update().filter(incident=incident, archived_at__isnull=True).first()
    )
    if group is None:
        return None
    _system_message(
        group, _("The incident is closed; the command group is archived."), {"archived": True}, by=by
    )
    group.archived_at = timezone.now()
    group.save(update_fields=["archived_at"])
    return group


def do_archive_group(incident: Incident | int, actor: Actor = None) -> CommandGroup | None:
    """Archive the incident's command group (done by do_close_incident; command staff may also do it
    by hand).  The group, its members and messages stay with the incident, read-only."""
    scope = as_scope(actor)
    if not is_staff(scope):
        raise NotAllowed(_("Only the command centre may archive a command group."))
    with transaction.atomic():
        inc = Incident.objects.select_for_update().get(
            pk=incident if isinstance(incident, int) else incident.pk
        )
        return archive_group_locked(inc, actor_person(actor))


# --- SOS -----------------------------------------------------------------------------------------


def _sos_payload(alarm: SosAlarm) -> dict[str, Any]:
    payload = sos_row(alarm)
    payload["groups"] = command_group_ids_for_person(alarm.person_id)
    return payload


def _publish_sos(alarm: SosAlarm, event: str) -> None:
    publish_after_commit(ev.sos_fanout_groups(alarm.person_id), event, _sos_payload(alarm))


def do_raise_sos(person: Person, lat: float, lon: float, *, actor: Actor = None, note: str = "") -> SosAlarm:
    """An officer's emergency button.  Goes to the command centre and to every member of every open
    command group the person is in (their person groups and the groups' channels), with the live
    position; an "sos" line is written into each of those groups.  Pressing again while an alarm is
    open updates that alarm's position instead of raising a second one.  Only the person themselves
    (or the system) may raise it."""
    check_lat_lon(lat, lon)
    if lat is None or lon is None:
        raise ServiceError(_("An SOS needs your position: turn on location (GPS) and press again."))
    scope = as_scope(actor)
    if scope is not None and (scope.person is None or scope.person.pk != person.pk):
        raise NotAllowed(_("An SOS can only be raised by the person in danger, from their own phone."))
    now = timezone.now()
    with transaction.atomic():
        existing = (
            SosAlarm.objects.select_for_update().filter(person=person, status__in=list(SOS_OPEN)).first()
        )
        if existing is not None:
            follow_sos_position(existing, lat, lon, now)
            return existing
        unit = Unit.objects.filter(person=person).first()
        try:
            with transaction.atomic():  # savepoint: a concurrent press may have created it just now
                alarm = SosAlarm.objects.create(
                    person=person,
                    unit=unit,
                    lat=lat,
                    lon=lon,
                    raised_at=now,
                    last_lat=lat,
                    last_lon=lon,
                    last_position_at=now,
                    note=note.strip()[:2000],
                )
        except IntegrityError:
            alarm = SosAlarm.objects.select_for_update().get(person=person, status__in=list(SOS_OPEN))
            follow_sos_position(alarm, lat, lon, now)
            return alarm
        for gid in command_group_ids_for_person(person.pk):
            GroupMessage.objects.create(
                group_id=gid,
                author=person,
                kind=MessageKind.SOS,
                text=f"SOS: {person.name}",
                at=now,
                data={"sos": alarm.pk, "lat": lat, "lon": lon},
            )
        _publish_sos(alarm, ev.SOS_RAISED)
    return alarm


def follow_sos_position(alarm: SosAlarm, lat: float, lon: float, at: datetime) -> None:
    """Move an open alarm to the person's newest position and push "sos.position".
    Caller holds the alarm's lock; older reports are ignored."""
    if alarm.last_position_at is not None and at < alarm.last_position_at:
        return
    alarm.last_lat, alarm.last_lon, alarm.last_position_at = lat, lon, at
    alarm.save(update_fields=["last_lat", "last_lon", "last_position_at"])
    _publish_sos(alarm, ev.SOS_POSITION)


def _lock_alarm(alarm: SosAlarm | int) -> SosAlarm:
    try:
        return (
            SosAlarm.objects.select_for_update(of=("self",))  # lock the alarm, not the person
            .select_related("person")
            .get(pk=alarm if isinstance(alarm, int) else alarm.pk)
        )
    except SosAlarm.DoesNotExist:
        raise ServiceError(_("This SOS alarm does not exist (any more).")) from None


def _shares_group(a: int, b: int) -> bool:
    mine = set(command_group_ids_for_person(a))
    return bool(mine) and bool(mine & set(command_group_ids_for_person(b)))


def do_ack_sos(alarm: SosAlarm | int, actor: Actor) -> SosAlarm:
    """Someone is on it: the command centre or a member of a group shared with the person."""
    scope = as_scope(actor)
    person = actor_person(actor)
    with transaction.atomic():
        a = _lock_alarm(alarm)
        if not is_staff(scope) and (
            person is None or person.pk == a.person_id or not _shares_group(person.pk, a.person_id)
        ):
            raise NotAllowed(
                _(
                    "Only the command centre or a member of a command group with this officer may acknowledge the SOS."
                )
            )
        check_move(SOS_TRANSITIONS, SosStatus, a.status, SosStatus.ACKNOWLEDGED, _("this SOS"))
        a.status = SosStatus.ACKNOWLEDGED
        a.acknowledged_by = person
        a.acknowledged_at = timezone.now()
        a.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
        _publish_sos(a, ev.SOS_ACKNOWLEDGED)
    return a


def do_resolve_sos(alarm: SosAlarm | int, actor: Actor, *, note: str = "") -> SosAlarm:
    """The danger is over: the person themselves or the command centre."""
    scope = as_scope(actor)
    person = actor_person(actor)
    with transaction.atomic():
        a = _lock_alarm(alarm)
        if not is_staff(scope) and (person is None or person.pk != a.person_id):
            raise NotAllowed(_("Only the officer who raised the SOS or the command centre may end it."))
        check_move(SOS_TRANSITIONS, SosStatus, a.status, SosStatus.RESOLVED, _("this SOS"))
        a.status = SosStatus.RESOLVED
        a.resolved_by = person
        a.resolved_at = timezone.now()
        fields = ["status", "resolved_by", "resolved_at"]
        if note.strip():
            a.note = (a.note + "\n" + note.strip()).strip()[:4000]
            fields.append("note")
        a.save(update_fields=fields)
        _publish_sos(a, ev.SOS_RESOLVED)
    return a
