"""Dispatch and the life of an assignment: en route, on scene (response time), clear, close.

Re-exported by services.py.  Same rules: ``transaction.atomic()``, row locks in the global order
(incident, units by id), statuses through the tables, events after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.dispatching import events as ev
from lastmeter.dispatching import locking
from lastmeter.dispatching.choices import (
    INCIDENT_ACTIVE,
    INCIDENT_TRANSITIONS,
    UNIT_TRANSITIONS,
    IncidentStatus,
    TransitionError,
    UnitStatus,
    UnitType,
    check_move,
)
from lastmeter.dispatching.command import archive_group_locked, sync_group_members
from lastmeter.dispatching.common import (
    Actor,
    NotAllowed,
    ServiceError,
    actor_person,
    as_scope,
    is_staff,
    require_staff,
)
from lastmeter.dispatching.models import Assignment, Incident, Unit
from lastmeter.dispatching.presenters import assignment_row, incident_name, incident_row, latlon_of, unit_name
from lastmeter.dispatching.recommend import walking_eta
from lastmeter.realtime.events import COMMAND_GROUP, person_group, publish_after_commit
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.algorithms.routing import Route


def _route_for(unit: Unit, incident: Incident, network: RoadNetwork | None) -> Route | None:
    if unit.lat is None or unit.lon is None:
        return None
    try:
        net = network or roads.get_network()
        return roads.route_between((unit.lat, unit.lon), (incident.lat, incident.lon), network=net)
    except roads.RoadError:  # no road file, off the map or unreachable: dispatch anyway, without ETA
        return None


def _eta_for(unit: Unit, incident: Incident, network: RoadNetwork | None):
    """(eta_s, distance_m, GeoJSON route) for the unit's trip; all None without a position/route.
    Foot patrols walk: a straight-line estimate (see recommend.walking_eta)."""
    if unit.lat is None or unit.lon is None:
        return None, None, None
    if unit.unit_type == UnitType.FOOT:
        seconds, metres = walking_eta(unit.lat, unit.lon, incident.lat, incident.lon)
        line = {"type": "LineString", "coordinates": [[unit.lon, unit.lat], [incident.lon, incident.lat]]}
        return round(seconds, 1), round(metres, 1), line
    route = _route_for(unit, incident, network)
    if route is None:
        return None, None, None
    return round(route.seconds, 1), round(route.meters, 1), roads.route_linestring(route)


def do_dispatch(
    incident: Incident | int,
    unit_ids: Iterable[int],
    actor: Actor = None,
    *,
    network: RoadNetwork | None = None,
) -> list[Assignment]:
    """Send units to an incident (command staff): all or none.

    Each unit must be available or returning (else TransitionError, nothing written).  Each gets an
    Assignment with its road ETA and route from its current position; the incident becomes
    "dispatched" if it was open; the officers of an existing command group's new units join it.
    After commit: "incident.dispatched" (per unit, to the command centre and that unit's officer),
    "unit.status", "incident.updated"; the officer also gets an SMS through the outbox.
    """
    require_staff(as_scope(actor), gettext_lazy("dispatch units"))
    ids = sorted({int(u) for u in unit_ids})
    if not ids:
        raise ServiceError(_("Choose at least one unit to send."))
    by = actor_person(actor)
    if network is None:
        try:  # a first load takes seconds: do it before taking any row lock
            network = roads.get_network()
        except roads.RoadError:
            network = None
    now = timezone.now()
    with transaction.atomic():
        inc = locking.lock_incident(incident)
        if inc.status not in INCIDENT_ACTIVE:
            raise TransitionError(
                _(
                    "%(incident)s is closed: no more units can be sent. Open a new incident if help is still needed."
                )
                % {"incident": incident_name(inc)}
            )
        units = list(
            Unit.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        if len(units) != len(ids):
            missing = ", ".join(str(i) for i in sorted(set(ids) - {u.pk for u in units}))
            raise ServiceError(
                _("No unit with the id(s) %(ids)s: reload the list of units.") % {"ids": missing}
            )
        for unit in units:
            check_move(UNIT_TRANSITIONS, UnitStatus, unit.status, UnitStatus.DISPATCHED, unit_name(unit))
        made = []
        for unit in units:
            eta, metres, geometry = _eta_for(unit, inc, network)
            assignment = Assignment.objects.create(
                incident=inc,
                unit=unit,
                dispatched_at=now,
                dispatched_by=by,
                eta_s=eta,
                distance_m=metres,
                route=geometry,
            )
            previous = locking.move_unit(unit, UnitStatus.DISPATCHED, now)
            made.append(assignment)
            locking.publish_unit_status(unit, previous, inc.pk)
        if inc.status == IncidentStatus.OPEN:
            inc.dispatched_at = inc.dispatched_at or now
            locking.move_incident(inc, IncidentStatus.DISPATCHED, ["dispatched_at"])
        sync_group_members(inc, by)
        for assignment in made:
            _announce_dispatch(inc, assignment)
        locking.publish_incident(inc)
    return made


def _announce_dispatch(incident: Incident, assignment: Assignment) -> None:
    unit = assignment.unit
    row = assignment_row(assignment)
    payload = {
        "id": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "status": incident.status,
        "priority": incident.priority,
        "unit_id": unit.pk,
        "assignment_id": assignment.pk,
        "eta_s": assignment.eta_s,
        "distance_m": assignment.distance_m,
        "route": latlon_of(assignment.route),
        "incident": incident_row(incident),
        "assignment": row,
    }
    groups = [COMMAND_GROUP]
    if unit.person_id:
        groups.append(person_group(unit.person_id))
        person = unit.person
        eta = f"，预计 {round(assignment.eta_s / 60)} 分钟" if assignment.eta_s else ""
        body = f"[lastmeter] 派警 {incident.reference}：{incident.title}，{incident.address or ''}{eta}"
        key = f"dispatch:{assignment.pk}"
        if person is not None and person.phone:
            enqueue(
                key=key, transport="sms", recipient={"phone": person.phone, "person": person.pk}, body=body
            )
        elif person is not None:
            enqueue(key=key, transport="console", recipient={"person": person.pk}, body=body)
    publish_after_commit(groups, ev.INCIDENT_DISPATCHED, payload)


def _locked_assignment(
    unit: Unit | int, incident: Incident | int | None
) -> tuple[Incident, Unit, Assignment]:
    """Lock (incident, unit) in the global order and return the unit's active assignment.

    Raises ServiceError if the unit has no active assignment (or not to ``incident``).
    Caller is inside transaction.atomic().
    """
    uid = locking.pk(unit)
    current = (
        Assignment.objects.filter(unit_id=uid, cleared_at__isnull=True)
        .values_list("incident_id", flat=True)
        .first()
    )
    if current is None or (incident is not None and current != locking.pk(incident)):
        raise ServiceError(
            _("This unit has no active assignment to this incident.")
            if incident is not None
            else _("This unit has no active assignment.")
        )
    inc = locking.lock_incident(current)
    locked_unit = locking.lock_unit(uid)
    assignment = (
        Assignment.objects.select_for_update()
        .filter(unit_id=uid, incident=inc, cleared_at__isnull=True)
        .first()
    )
    if assignment is None:  # cleared between the read and the lock
        raise ServiceError(_("This unit has no active assignment."))
    assignment.unit = locked_unit
    assignment.incident = inc
    return inc, locked_unit, assignment


def do_mark_en_route(
    unit: Unit | int, actor: Actor = None, *, incident: Incident | int | None = None
) -> Unit:
    """The unit acknowledged its order and is driving (dispatched → en_route)."""
    with transaction.atomic():
        inc, u, a = _locked_assignment(unit, incident)
        locking.require_crew_or_staff(actor, u, gettext_lazy("update this unit"))
        now = timezone.now()
        previous = locking.move_unit(u, UnitStatus.EN_ROUTE, now)
        a.en_route_at = now
        a.save(update_fields=["en_route_at"])
        locking.publish_unit_status(u, previous, inc.pk)
        locking.publish_incident(inc)
    return u


def do_mark_arrived(
    unit: Unit | int,
    actor: Actor = None,
    *,
    incident: Incident | int | None = None,
    at: datetime | None = None,
) -> Unit:
    """The unit is on scene.  Records its response time (arrival − alarm); the first arrival also
    sets the incident's response time and moves it to on_scene."""
    with transaction.atomic():
        inc, u, a = _locked_assignment(unit, incident)
        locking.require_crew_or_staff(actor, u, gettext_lazy("update this unit"))
        at = at or timezone.now()
        previous = locking.move_unit(u, UnitStatus.ON_SCENE, at)
        a.arrived_at = at
        a.response_s = round((at - inc.alarm_at).total_seconds(), 1)
        a.save(update_fields=["arrived_at", "response_s"])
        if inc.first_arrival_at is None or at < inc.first_arrival_at:
            inc.first_arrival_at = at
            inc.response_s = a.response_s
            inc.save(update_fields=["first_arrival_at", "response_s", "updated_at"])
        if inc.status == IncidentStatus.DISPATCHED:
            locking.move_incident(inc, IncidentStatus.ON_SCENE)
        locking.publish_unit_status(u, previous, inc.pk)
        locking.publish_incident(inc)
    return u


def do_clear(
    unit: Unit | int,
    actor: Actor = None,
    *,
    incident: Incident | int | None = None,
    returning: bool = True,
    reason: str = "",
) -> Unit:
    """End the unit's assignment.  On scene → returning (or available); dispatched/en route → the
    unit is recalled and available again.  If that leaves a dispatched incident with no unit, the
    incident goes back to open."""
    with transaction.atomic():
        inc, u, a = _locked_assignment(unit, incident)
        locking.require_crew_or_staff(actor, u, gettext_lazy("update this unit"))
        now = timezone.now()
        _clear_locked(inc, u, a, now, returning=returning, reason=reason)
        if (
            inc.status == IncidentStatus.DISPATCHED
            and not Assignment.objects.filter(incident=inc, cleared_at__isnull=True).exists()
        ):
            locking.move_incident(inc, IncidentStatus.OPEN)
        locking.publish_incident(inc)
    return u


def _clear_locked(
    inc: Incident, u: Unit, a: Assignment, now: datetime, *, returning: bool, reason: str
) -> None:
    """Caller holds the incident's and the unit's locks."""
    arrived = u.status == UnitStatus.ON_SCENE
    target = UnitStatus.RETURNING if (arrived and returning) else UnitStatus.AVAILABLE
    previous = locking.move_unit(u, target, now)
    a.cleared_at = now
    a.cleared_reason = (reason or ("done" if arrived else "recalled"))[:40]
    a.save(update_fields=["cleared_at", "cleared_reason"])
    locking.publish_unit_status(u, previous, inc.pk)


def do_close_incident(incident: Incident | int, actor: Actor = None, *, note: str = "") -> Incident:
    """Close (command staff or the incident's commander): every active assignment is cleared,
    and the command group is archived — its record stays with the incident."""
    scope = as_scope(actor)
    with transaction.atomic():
        inc = locking.lock_incident(incident)
        person = actor_person(actor)
        if not is_staff(scope) and (person is None or inc.commander_id != person.pk):
            raise NotAllowed(_("Only the command centre or the incident's commander may close it."))
        check_move(
            INCIDENT_TRANSITIONS, IncidentStatus, inc.status, IncidentStatus.CLOSED, incident_name(inc)
        )
        now = timezone.now()
        active = list(Assignment.objects.filter(incident=inc, cleared_at__isnull=True).order_by("unit_id"))
        for a in active:
            u = locking.lock_unit(a.unit_id)
            a.unit = u
            _clear_locked(inc, u, a, now, returning=True, reason="incident closed")
        inc.closed_at = now
        inc.closing_note = note.strip()
        locking.move_incident(inc, IncidentStatus.CLOSED, ["closed_at", "closing_note"])
        archive_group_locked(inc, person)
        publish_after_commit(
            [COMMAND_GROUP] + [person_group(a.unit.person_id) for a in active if a.unit.person_id],
            ev.INCIDENT_UPDATED,
            incident_row(inc),
        )
    return inc
