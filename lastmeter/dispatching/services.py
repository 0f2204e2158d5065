"""Every write of dispatching: positions, unit status, incidents, recommendation and dispatch.

``check_*`` validate; ``do_*`` write inside ``transaction.atomic()`` after ``select_for_update()``,
save with ``update_fields`` and change statuses only through the tables in choices.py.  Events go
out only after commit (``publish_after_commit``).  Lock order, to stay deadlock-free: incident,
then units by ascending id, then the SOS alarm.

Actors: a Person, a Scope or None (the system: simulator, demo) — see common.py.  Dispatch and
the assignment's life live in assignments.py, command groups and SOS in command.py, shared locks
and moves in locking.py; all are re-exported here, so ``services`` is the one entry point.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.accounts.models import Person
from lastmeter.appeals.choices import Priority
from lastmeter.appeals.models import Appeal
from lastmeter.dispatching import events as ev
from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching import locking, position_sql
from lastmeter.dispatching.assignments import (
    do_clear,
    do_close_incident,
    do_dispatch,
    do_mark_arrived,
    do_mark_en_route,
)
from lastmeter.dispatching.choices import (
    ASSIGNED,
    SOS_OPEN,
    UNIT_TRANSITIONS,
    IncidentStatus,
    IncidentType,
    TransitionError,
    UnitStatus,
    check_move,
)
from lastmeter.dispatching.command import (
    do_ack_sos,
    do_archive_group,
    do_open_command_group,
    do_post_group_message,
    do_raise_sos,
    do_resolve_sos,
    follow_sos_position,
)
from lastmeter.dispatching.common import (
    Actor,
    NotAllowed,
    ServiceError,
    actor_person,
    as_scope,
    check_lat_lon,
    require_staff,
)
from lastmeter.dispatching.models import Incident, PositionReport, SosAlarm, Unit
from lastmeter.dispatching.presenters import (
    incident_name,
    incident_row,
    unit_name,
    unit_position_payload,
    unit_row,
)
from lastmeter.dispatching.recommend import recommend_units
from lastmeter.lib.queries import one_or_none
from lastmeter.realtime.events import COMMAND_GROUP, publish_after_commit
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.algorithms.snapping import Snap, SnapError

HISTORY_PER_UNIT = 1000  # position reports kept per unit
TRIM_EVERY = 50  # trim a unit's history every this many reports (amortised: one DELETE per 50)

__all__ = [
    "NotAllowed",
    "ServiceError",
    "TransitionError",
    "check_position",
    "do_ack_sos",
    "do_archive_group",
    "do_clear",
    "do_close_incident",
    "do_create_incident",
    "do_dispatch",
    "do_mark_arrived",
    "do_mark_en_route",
    "do_open_command_group",
    "do_post_group_message",
    "do_raise_sos",
    "do_report_position",
    "do_resolve_sos",
    "do_set_unit_status",
    "do_update_incident",
    "recommend_units",
]


def _network_nowait(network: RoadNetwork | None) -> RoadNetwork | None:
    """The road network if it is loaded; never blocks a write on a first load (starts it instead)."""
    if network is not None:
        return network
    if not roads.is_loaded():
        roads.warm_in_background()
        return None
    try:
        return roads.get_network()
    except roads.RoadError:
        return None


# --- positions ----------------------------------------------------------------------------------


def check_position(
    lat: float, lon: float, accuracy_m: float | None = None, heading: float | None = None
) -> None:
    check_lat_lon(lat, lon)
    if lat is None or lon is None:
        raise ServiceError(_("A position needs both latitude and longitude."))
    if accuracy_m is not None and not (math.isfinite(accuracy_m) and accuracy_m >= 0):
        raise ServiceError(_("The accuracy (accuracy_m) must be a number of metres, 0 or more."))
    if heading is not None and not (math.isfinite(heading) and 0 <= heading <= 360):
        raise ServiceError(_("The heading must be between 0 and 360 degrees."))


def do_report_position(
    who: Unit | Person,
    lat: float,
    lon: float,
    accuracy_m: float | None = None,
    *,
    heading: float | None = None,
    at: datetime | None = None,
    actor: Actor = None,
    network: RoadNetwork | None = None,
) -> dict[str, Any]:
    """A position from a unit's device (``who`` = the Unit) or an officer's phone (``who`` = the Person).

    Cheap: lock and update the unit row, append to its bounded history, snap to the road network
    already in memory (never loads it here), and after commit move the unit in the fleet index and
    push "unit.position".  A report older than the unit's current position is kept in the history
    but does not move the unit.  If the person behind it has an open SOS, the alarm follows the
    position and "sos.position" goes to the SOS fan-out.  Only the unit's own officer (or the
    system) may report.  Returns {"unit": row | None, "sos": alarm id | None, "moved": bool}.
    """
    check_position(lat, lon, accuracy_m, heading)
    now = timezone.now()
    at = _report_time(at, now)
    if isinstance(who, Person):
        person_id: int | None = who.pk
        unit_id = Unit.objects.filter(person=who).values_list("pk", flat=True).first()
    else:
        unit_id, person_id = who.pk, who.person_id
    # Only the person matters here (no role lets anyone else report a position): a Person actor
    # needs no scope worked out.
    reporter = actor_person(actor)
    if actor is not None and (reporter is None or reporter.pk != person_id):
        raise NotAllowed(_("You may only report your own position or your own unit's."))
    net = _network_nowait(network)
    result: dict[str, Any] = {"unit": None, "sos": None, "moved": False}
    with transaction.atomic():
        if unit_id is not None:
            unit = locking.lock_unit(unit_id)
            person_id = unit.person_id
            result["moved"] = _apply_position(unit, lat, lon, accuracy_m, heading, at, net)
            result["unit"] = unit_row(unit)
        alarm = None
        if person_id is not None:
            # At most one alarm is open per person (raise_sos reuses an open one).
            alarm = one_or_none(
                SosAlarm.objects.select_for_update().filter(person_id=person_id, status__in=list(SOS_OPEN))
            )
        if alarm is not None:
            follow_sos_position(alarm, lat, lon, at)
            result["sos"] = alarm.pk
        if unit_id is None and alarm is None:
            raise ServiceError(
                _(
                    "No unit is assigned to you and you have no open SOS: there is nothing to move. Ask the command centre to assign you a unit."
                )
            )
    return result


def _report_time(at: datetime | None, now: datetime) -> datetime:
    at = at or now
    if at > now + timedelta(minutes=2):
        raise ServiceError(_("The position's time is in the future: check the phone's clock."))
    return at


def report_own_unit_position(
    reporter: Person,
    unit_id: int,
    lat: float,
    lon: float,
    accuracy_m: float | None = None,
    *,
    heading: float | None = None,
    at: datetime | None = None,
    network: RoadNetwork | None = None,
) -> dict[str, Any] | None:
    """``do_report_position`` for the commonest report — a unit's device, the unit's own officer,
    no SOS open — in one statement on PostgreSQL (``position_sql`` says why). Returns what
    ``do_report_position`` would, or None when this path does not apply (another's unit, an open
    SOS, SQLite): the caller then goes through ``do_report_position``. Bad input raises as there."""
    if connection.vendor != "postgresql":
        return None
    check_position(lat, lon, accuracy_m, heading)
    now = timezone.now()
    at = _report_time(at, now)
    net = _network_nowait(network)
    snap, version = _snap(net, lat, lon)
    done = position_sql.report_own_unit(
        unit_id, reporter.pk, lat, lon, accuracy_m, heading, at, now, _node_of(snap)
    )
    if done is None:
        return None
    unit, moved = done
    unit.person = reporter  # the statement matched the unit on its officer: the reporter
    _after_report(unit, moved, snap, version)
    return {"unit": unit_row(unit), "sos": None, "moved": moved}


def _snap(net: RoadNetwork | None, lat: float, lon: float) -> tuple[Snap | None, Any]:
    """Where (lat, lon) lies on the road network in memory, and that network's version."""
    if net is None:
        return None, None
    try:
        return net.snap(lat, lon, roads.MAX_SNAP_M), net.version
    except SnapError:
        return None, net.version


def _node_of(snap: Snap | None) -> int | None:
    return None if snap is None else int(snap.u if snap.t < 0.5 else snap.v)


def _after_report(unit: Unit, moved: bool, snap: Snap | None, version: Any) -> None:
    """What follows a stored report: the history trimmed now and then; if the unit moved, the
    command centre told and the fleet index moved (after the commit)."""
    if unit.reports_count % TRIM_EVERY == 0:
        _trim_history(unit)
    if moved:
        publish_after_commit([COMMAND_GROUP], ev.UNIT_POSITION, unit_position_payload(unit))
        transaction.on_commit(lambda: fleet_index.note_unit(unit, snap, version))


def _apply_position(
    unit: Unit,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    heading: float | None,
    at: datetime,
    net: RoadNetwork | None,
) -> bool:
    """Caller holds the unit's lock.  Returns True if the unit moved (the report is its newest)."""
    PositionReport.objects.create(unit=unit, lat=lat, lon=lon, accuracy_m=accuracy_m, heading=heading, at=at)
    unit.reports_count += 1
    fields = ["reports_count", "updated_at"]
    newest = unit.position_at is None or at >= unit.position_at
    snap: Snap | None = None
    version = None
    if newest:
        snap, version = _snap(net, lat, lon)
        unit.lat, unit.lon, unit.accuracy_m, unit.heading, unit.position_at = (
            lat,
            lon,
            accuracy_m,
            heading,
            at,
        )
        unit.node = _node_of(snap)
        fields += ["lat", "lon", "accuracy_m", "heading", "position_at", "node"]
    unit.save(update_fields=fields)
    _after_report(unit, newest, snap, version)
    return newest


def _trim_history(unit: Unit) -> None:
    cutoff = (
        PositionReport.objects.filter(unit=unit)
        .order_by("-at", "-pk")
        .values_list("at", flat=True)[HISTORY_PER_UNIT - 1 : HISTORY_PER_UNIT]
    )
    oldest_kept = next(iter(cutoff), None)
    if oldest_kept is not None:
        PositionReport.objects.filter(unit=unit, at__lt=oldest_kept).delete()


# --- unit status ---------------------------------------------------------------------------------


def do_set_unit_status(unit: Unit | int, status: str, actor: Actor = None) -> Unit:
    """The one entry point for a status change from a device or the board.

    en_route / on_scene / returning and a recall to available go through the assignment
    (do_mark_en_route, do_mark_arrived, do_clear) so the assignment stays in step; "dispatched" is
    refused (dispatch a unit to an incident instead).  Unit's officer or command staff only.
    """
    if status not in UnitStatus.values:
        raise ServiceError(_("Unknown unit status “%(status)s”.") % {"status": status})
    current = Unit.objects.select_related("person").filter(pk=locking.pk(unit)).first()
    if current is None:
        raise ServiceError(_("This unit does not exist (any more)."))
    locking.require_crew_or_staff(actor, current, gettext_lazy("change this unit's status"))
    if status == UnitStatus.DISPATCHED:
        raise ServiceError(
            _("A unit becomes “dispatched” only by being sent to an incident: use dispatch on the incident.")
        )
    if status == UnitStatus.EN_ROUTE:
        return do_mark_en_route(current, actor)
    if status == UnitStatus.ON_SCENE:
        return do_mark_arrived(current, actor)
    if current.status in ASSIGNED and status in (UnitStatus.AVAILABLE, UnitStatus.RETURNING):
        # refuse early (dispatched → returning makes no sense: it never arrived)
        check_move(UNIT_TRANSITIONS, UnitStatus, current.status, status, unit_name(current))
        return do_clear(current, actor, returning=status == UnitStatus.RETURNING)
    with transaction.atomic():
        locked = locking.lock_unit(current)
        previous = locking.move_unit(locked, status, timezone.now())
        locking.publish_unit_status(locked, previous)
    return locked


# --- incidents -----------------------------------------------------------------------------------


def do_create_incident(
    *,
    title: str = "",
    lat: float | None = None,
    lon: float | None = None,
    description: str = "",
    address: str = "",
    priority: int | None = None,
    alarm_at: datetime | None = None,
    appeal: Appeal | int | None = None,
    commander: Person | None = None,
    actor: Actor = None,
    incident_type: str = "",
) -> Incident:
    """Open an incident (command staff).  From an appeal, missing fields come from the appeal and
    the alarm time is when the appeal arrived; an appeal with an unclosed incident returns that one.
    ``incident_type`` is an IncidentType value, or empty when the dispatcher did not say.
    """
    scope = as_scope(actor)
    require_staff(scope, gettext_lazy("open an incident"))
    now = timezone.now()
    with transaction.atomic():
        source = None
        if appeal is not None:
            source = (
                Appeal.objects.select_for_update(of=("self",))
                .filter(pk=locking.pk(appeal))
                .select_related("category")
                .first()
            )
            if source is None:
                raise ServiceError(_("This appeal does not exist, or it is not yours to see."))
            existing = source.incidents.exclude(status=IncidentStatus.CLOSED).first()
            if existing is not None:
                return existing
            title = (
                title or source.title or (source.category.name if source.category else "") or source.text[:60]
            )
            description = description or source.text
            address = address or source.address
            lat = source.lat if lat is None else lat
            lon = source.lon if lon is None else lon
            priority = priority or source.priority
            alarm_at = alarm_at or source.created_at
        title = (title or "").strip()
        if not title:
            raise ServiceError(_("an incident needs a title"))
        if lat is None or lon is None:
            raise ServiceError(_("an incident needs a location (lat, lon)"))
        check_position(lat, lon)
        if priority is not None and priority not in Priority.values:
            raise ServiceError(_("Unknown priority “%(priority)s”.") % {"priority": priority})
        if incident_type and incident_type not in IncidentType.values:
            raise ServiceError(_("unknown incident type %(type)r") % {"type": incident_type})
        alarm_at = alarm_at or now
        if alarm_at > now + timedelta(minutes=2):
            raise ServiceError(_("The alarm time is in the future: check the time entered."))
        incident = Incident.objects.create(
            title=title[:200],
            description=description.strip(),
            incident_type=incident_type,
            lat=lat,
            lon=lon,
            address=address.strip()[:300],
            priority=priority or Priority.NORMAL,
            alarm_at=alarm_at,
            appeal=source,
            commander=commander,
            created_by=actor_person(actor),
        )
        incident.reference = f"JQ{timezone.localtime(now).strftime('%Y%m%d')}{incident.pk:06d}"
        incident.save(update_fields=["reference"])
        publish_after_commit([COMMAND_GROUP], ev.INCIDENT_CREATED, incident_row(incident))
    return incident


def do_update_incident(incident: Incident | int, actor: Actor = None, **changes: Any) -> Incident:
    """Edit title, description, address, priority or commander (command staff; not when closed)."""
    require_staff(as_scope(actor), gettext_lazy("edit an incident"))
    allowed = {"title", "description", "address", "priority", "commander"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        inc = locking.lock_incident(incident)
        if inc.status == IncidentStatus.CLOSED:
            raise ServiceError(
                _("%(incident)s is closed: it can no longer be edited.") % {"incident": incident_name(inc)}
            )
        if "priority" in changes and changes["priority"] not in Priority.values:
            raise ServiceError(_("Unknown priority “%(priority)s”.") % {"priority": changes["priority"]})
        if "title" in changes and not (changes["title"] or "").strip():
            raise ServiceError(_("an incident needs a title"))
        for key, value in changes.items():
            setattr(inc, key, value.strip() if isinstance(value, str) else value)
        inc.save(update_fields=[*changes, "updated_at"])
        locking.publish_incident(inc)
    return inc


# Re-exported: command groups and SOS (command.py), dispatch and assignments (assignments.py).
_reexported = (
    do_ack_sos,
    do_archive_group,
    do_open_command_group,
    do_post_group_message,
    do_raise_sos,
    do_resolve_sos,
    do_dispatch,
    do_close_incident,
    recommend_units,
)
