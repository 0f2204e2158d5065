"""Reads for the command centre and the officer's phone: the board's initial state and today's KPIs.

The pages load this state once, then follow websocket events; nothing here is polled. Every
function is a read (no writes), shaped as plain dicts ready for `json_script`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import OPEN_STATES, ClockKind, ClockState
from lastmeter.appeals.models import Appeal, Clock
from lastmeter.appeals.presenters import masked_reporter
from lastmeter.appeals.selectors import available_actions, may_reveal_reporter_phone, visible_appeals
from lastmeter.dispatching.choices import INCIDENT_ACTIVE, SosStatus
from lastmeter.dispatching.models import Assignment, CommandGroup, Incident, SosAlarm, Unit
from lastmeter.dispatching.presenters import assignment_row, incident_row, sos_row, unit_row
from lastmeter.dispatching.selectors import unit_of_person
from lastmeter.grids.models import Grid

OPEN_INCIDENT_STATES = tuple(sorted(INCIDENT_ACTIVE))


def day_start(now: datetime) -> datetime:
    """Midnight of `now`'s day in the configured local time zone (KPIs are per local day)."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def grids_geojson() -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": g.boundary,
            "properties": {
                "id": g.pk,
                "code": g.code,
                "name": g.name,
                "officer": g.responsible_officer.name if g.responsible_officer else "",
            },
        }
        for g in Grid.objects.filter(active=True).select_related("responsible_officer")
    ]
    return {"type": "FeatureCollection", "features": features}


def units_state() -> list[dict[str, Any]]:
    return [unit_row(u) for u in Unit.objects.select_related("person").order_by("agency", "name")]


def _has_group(incident: Incident) -> bool:
    try:
        return incident.command_group is not None
    except CommandGroup.DoesNotExist:
        return False


def incidents_state() -> list[dict[str, Any]]:
    """Incidents still active, newest alarm first, each with its active units' ids."""
    qs = (
        Incident.objects.filter(status__in=OPEN_INCIDENT_STATES)
        .select_related("command_group", "commander")
        .prefetch_related("assignments")
        .order_by("-alarm_at")
    )
    rows = []
    for incident in qs[:200]:
        # The presenter reads the group from this cache instead of one query per incident.
        incident._group_cache = incident.command_group if _has_group(incident) else None  # type: ignore[attr-defined]
        row = incident_row(incident)
        row["units"] = [a.unit_id for a in incident.assignments.all() if a.cleared_at is None]
        rows.append(row)
    return rows


def appeal_pin(appeal: Appeal, now: datetime) -> dict[str, Any]:
    """An appeal on the map; `due_at`/`started_at` of the running clock drive its colour."""
    clocks = [c for c in appeal.clocks.all() if c.state in (ClockState.RUNNING, ClockState.BREACHED)]
    clock = min(clocks, key=lambda c: c.due_at) if clocks else None
    return {
        "id": appeal.pk,
        "reference": appeal.reference,
        "state": appeal.state,
        "category": appeal.category.name if appeal.category else "",
        "lat": appeal.lat,
        "lon": appeal.lon,
        "address": appeal.address,
        "text": appeal.text[:140],
        "assignee": appeal.assignee_id,
        "clock": clock.kind if clock else None,
        "started_at": clock.started_at if clock else None,
        "due_at": clock.due_at if clock else appeal.next_deadline_at,
        "breached": bool(clock and clock.state == ClockState.BREACHED),
    }


def open_appeals_state(scope: Scope, *, assignee: Person | None = None) -> list[dict[str, Any]]:
    now = timezone.now()
    qs = (
        visible_appeals(scope)
        .filter(state__in=OPEN_STATES, lat__isnull=False)
        .select_related("category")
        .prefetch_related("clocks")
        .order_by("next_deadline_at")
    )
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    return [appeal_pin(a, now) for a in qs[:300]]


def phone_appeal_row(scope: Scope, appeal: Appeal, now: datetime) -> dict[str, Any]:
    """An appeal as the officer's phone shows it: the map pin, the masked reporter, and what the
    viewer may do now (``actions``, from the same ``available_actions`` the services enforce, and
    ``can_call_reporter``). The API's appeal detail carries the same two fields, so the phone
    renders a row from either."""
    row = appeal_pin(appeal, now)
    row.update(
        {
            "text": appeal.text[:300],
            "reporter": masked_reporter(appeal),
            "next_deadline_at": appeal.next_deadline_at,
            "updated_at": appeal.updated_at,
            "actions": available_actions(scope, appeal),
            "can_call_reporter": may_reveal_reporter_phone(scope, appeal),
        }
    )
    return row


# The steps the phone offers on an appeal's card (the rest are on the appeal's page).
PHONE_STEPS = frozenset({"acknowledge", "contact", "land", "resolve"})


def phone_appeals_state(scope: Scope, person: Person) -> list[dict[str, Any]]:
    """The open appeals ``person`` works on, soonest deadline first: those assigned to them, and
    those of the grids (and communities) they are responsible for on which they may take a phone
    step now — a grid's officer acknowledges and lands the appeals of their grid whoever holds them.
    Another grid's appeals never appear (``visible_appeals`` and ``available_actions`` both scope)."""
    now = timezone.now()
    mine = Q(assignee=person)
    if scope.grid_ids:
        mine |= Q(grid_id__in=scope.grid_ids)
    if scope.community_ids:
        mine |= Q(grid__community_id__in=scope.community_ids)
    qs = (
        visible_appeals(scope)
        .filter(mine, state__in=OPEN_STATES)
        .select_related("category", "grid")
        .prefetch_related("clocks")
        .order_by(F("next_deadline_at").asc(nulls_last=True), "pk")
    )
    rows = []
    for appeal in qs[:300]:
        row = phone_appeal_row(scope, appeal, now)
        if appeal.assignee_id == person.pk or PHONE_STEPS & set(row["actions"]):
            rows.append(row)
        if len(rows) == 100:
            break
    return rows


def active_sos_state() -> list[dict[str, Any]]:
    """Alarms nobody has acknowledged yet (the board rings for these)."""
    qs = SosAlarm.objects.filter(status=SosStatus.RAISED).select_related("person", "unit", "unit__person")
    return [sos_row(s) for s in qs]


def open_sos_of(person: Person | None) -> dict[str, Any] | None:
    """The person's own alarm still open (raised or acknowledged), so a reload keeps showing it."""
    if person is None:
        return None
    alarm = (
        SosAlarm.objects.filter(person=person, status__in=[SosStatus.RAISED, SosStatus.ACKNOWLEDGED])
        .select_related("person", "unit", "unit__person")
        .first()
    )
    return sos_row(alarm) if alarm else None


def today_kpis(now: datetime | None = None) -> dict[str, Any]:
    """Today's figures (local day): appeals received, landed on time/late, overdue open appeals,
    incidents and their response times (alarm → first arrival), plus hourly series for charts."""
    now = now or timezone.now()
    start = day_start(now)
    received = list(Appeal.objects.filter(created_at__gte=start).values_list("created_at", flat=True))
    # On time or late as the clocks recorded it when stopped (stop time against deadline).
    land_clocks = Clock.objects.filter(kind=ClockKind.LAND, met_at__gte=start)
    landed_on_time = land_clocks.filter(state=ClockState.MET).count()
    landed_late = land_clocks.filter(state=ClockState.MET_LATE).count()
    contact_clocks = Clock.objects.filter(kind=ClockKind.CONTACT, met_at__gte=start)
    contacted_on_time = contact_clocks.filter(state=ClockState.MET).count()
    contacted_late = contact_clocks.filter(state=ClockState.MET_LATE).count()
    overdue = (
        Appeal.objects.filter(state__in=OPEN_STATES)
        .filter(Q(next_deadline_at__lte=now) | Q(clocks__state=ClockState.BREACHED))
        .distinct()
        .count()
    )
    incidents = list(Incident.objects.filter(alarm_at__gte=start).only("status", "alarm_at", "response_s"))
    # response_s = first arrival on scene − alarm, kept on the incident by the dispatching services.
    response_s = [i.response_s for i in incidents if i.response_s is not None]
    hours = int((now - start) / timedelta(hours=1)) + 1
    appeals_by_hour = [0] * 24
    for t in received:
        appeals_by_hour[timezone.localtime(t).hour] += 1
    incidents_by_hour = [0] * 24
    for incident in incidents:
        incidents_by_hour[timezone.localtime(incident.alarm_at).hour] += 1
    return {
        "day": start.date().isoformat(),
        "appeals_received": len(received),
        "landed_on_time": landed_on_time,
        "landed_late": landed_late,
        "contacted_on_time": contacted_on_time,
        "contacted_late": contacted_late,
        "met_late": contacted_late + landed_late,
        "overdue": overdue,
        "incidents": len(incidents),
        "incidents_open": sum(1 for i in incidents if i.status in OPEN_INCIDENT_STATES),
        "response_median_s": round(median(response_s)) if response_s else None,
        "response_max_s": round(max(response_s)) if response_s else None,
        "response_times_s": [round(s) for s in sorted(response_s)],
        "hours": min(hours, 24),
        "appeals_by_hour": appeals_by_hour,
        "incidents_by_hour": incidents_by_hour,
    }


def unit_for_person(person: Person | None) -> Unit | None:
    return unit_of_person(person)


def order_row(assignment: Assignment) -> dict[str, Any]:
    """A dispatch order as the phone shows it: the incident, and this unit's ETA and route."""
    incident = assignment.incident
    row = assignment_row(assignment)
    return {
        "assignment": assignment.pk,
        "incident": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "status": incident.status,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "eta_s": assignment.eta_s,
        "route": row["route"],
        "group": incident.command_group.pk if _has_group(incident) else None,
        "arrived_at": assignment.arrived_at,
    }


def orders_for_unit(unit: Unit) -> list[dict[str, Any]]:
    """The unit's active dispatch orders (not cleared, incident not closed), newest first."""
    qs = (
        unit.assignments.filter(cleared_at__isnull=True, incident__status__in=OPEN_INCIDENT_STATES)
        .select_related("incident", "incident__command_group", "unit", "unit__person")
        .order_by("-pk")
    )
    return [order_row(a) for a in qs]
