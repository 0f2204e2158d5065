"""JSON shapes of units, incidents, assignments, groups, messages and alarms.

The same dictionaries are the API's responses and the websocket events' payloads, so a page can
render an event exactly like a fetched row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from lastmeter.dispatching.choices import MessageKind
from lastmeter.dispatching.models import (
    Assignment,
    CommandGroup,
    GroupMessage,
    Incident,
    SosAlarm,
    Unit,
)
from lastmeter.dispatching.selectors import is_stale
from lastmeter.realtime.events import cgroup_group


def unit_name(unit: Unit) -> str:
    """A unit as a sentence names it: "单位 P1"."""
    return gettext("unit %(code)s") % {"code": unit.code}


def incident_name(incident: Incident) -> str:
    """An incident as a sentence names it: "警情 JQ…"."""
    return gettext("incident %(id)s") % {"id": incident.reference or incident.pk}


def person_ref(person) -> dict[str, Any] | None:
    return None if person is None else {"id": person.pk, "name": person.name}


def latlon_of(geometry: dict | None) -> list[list[float]]:
    """[[lat, lon], …] from a GeoJSON LineString (which stores lon, lat)."""
    if not geometry:
        return []
    return [[c[1], c[0]] for c in geometry.get("coordinates", [])]


def unit_row(unit: Unit, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "agency": unit.agency,
        "unit_type": unit.unit_type,
        "skills": list(unit.skills or []),
        "status": unit.status,
        "status_changed_at": unit.status_changed_at,
        "person": person_ref(unit.person) if unit.person_id else None,
        "lat": unit.lat,
        "lon": unit.lon,
        "heading": unit.heading,
        "accuracy_m": unit.accuracy_m,
        "position_at": unit.position_at,
        "node": unit.node,
        "stale": is_stale(unit, now),
    }


def unit_position_payload(unit: Unit) -> dict[str, Any]:
    """The small payload of "unit.position" (sent often: no person, no skills)."""
    return {
        "id": unit.pk,
        "code": unit.code,
        "agency": unit.agency,
        "unit_type": unit.unit_type,
        "status": unit.status,
        "lat": unit.lat,
        "lon": unit.lon,
        "heading": unit.heading,
        "accuracy_m": unit.accuracy_m,
        "at": unit.position_at,
        "node": unit.node,
        "stale": False,
    }


def incident_row(incident: Incident) -> dict[str, Any]:
    group = getattr(incident, "_group_cache", None)
    if group is None:
        group = CommandGroup.objects.filter(incident=incident).only("id", "archived_at").first()
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "description": incident.description,
        "incident_type": incident.incident_type,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "priority": incident.priority,
        "status": incident.status,
        "alarm_at": incident.alarm_at,
        "dispatched_at": incident.dispatched_at,
        "first_arrival_at": incident.first_arrival_at,
        "response_s": incident.response_s,
        "closed_at": incident.closed_at,
        "appeal": incident.appeal_id,
        "commander": person_ref(incident.commander) if incident.commander_id else None,
        "command_group": group.pk if group else None,
    }


def unit_ref(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "agency": unit.agency,
        "unit_type": unit.unit_type,
        "person": person_ref(unit.person) if unit.person_id else None,
    }


def assignment_row(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "incident": a.incident_id,
        "unit": unit_ref(a.unit),
        "dispatched_at": a.dispatched_at,
        "eta_s": a.eta_s,
        "distance_m": a.distance_m,
        "route": latlon_of(a.route),
        "geometry": a.route,
        "en_route_at": a.en_route_at,
        "arrived_at": a.arrived_at,
        "response_s": a.response_s,
        "cleared_at": a.cleared_at,
        "cleared_reason": a.cleared_reason,
        "active": a.cleared_at is None,
    }


def incident_detail(incident: Incident) -> dict[str, Any]:
    row = incident_row(incident)
    row["assignments"] = [
        assignment_row(a) for a in incident.assignments.select_related("unit", "unit__person").order_by("pk")
    ]
    return row


def group_row(group: CommandGroup, *, members: bool = True) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": group.pk,
        "name": group.name,
        "incident": group.incident_id,
        "created_at": group.created_at,
        "archived_at": group.archived_at,
        "ws_group": cgroup_group(group.pk),
    }
    if members:
        row["members"] = [
            {"id": m.person_id, "name": m.person.name, "commander": m.is_commander, "added_at": m.added_at}
            for m in group.members.select_related("person")
        ]
    return row


def message_row(m: GroupMessage) -> dict[str, Any]:
    """A command-group line. Every line has a sender: its author, or for a system line nobody
    caused (an automatic one) the system itself (``author.id`` None)."""
    author = person_ref(m.author) if m.author_id else None
    if author is None and m.kind == MessageKind.SYSTEM:
        author = {"id": None, "name": gettext("System")}
    return {
        "id": m.pk,
        "group": m.group_id,
        "author": author,
        "text": m.text,
        "kind": m.kind,
        "at": m.at,
        "data": m.data,
    }


def sos_row(alarm: SosAlarm) -> dict[str, Any]:
    now = timezone.now()
    return {
        "id": alarm.pk,
        "person": person_ref(alarm.person),
        "unit": unit_ref(alarm.unit) if alarm.unit is not None else None,
        "status": alarm.status,
        "lat": alarm.last_lat if alarm.last_lat is not None else alarm.lat,
        "lon": alarm.last_lon if alarm.last_lon is not None else alarm.lon,
        "raised_lat": alarm.lat,
        "raised_lon": alarm.lon,
        "raised_at": alarm.raised_at,
        "last_position_at": alarm.last_position_at,
        "acknowledged_by": person_ref(alarm.acknowledged_by) if alarm.acknowledged_by_id else None,
        "acknowledged_at": alarm.acknowledged_at,
        "resolved_at": alarm.resolved_at,
        "age_s": round((now - alarm.raised_at).total_seconds(), 1),
    }
