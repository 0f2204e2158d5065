"""The dispatching API under /api/v1: unit board, positions, incidents, dispatch, groups, SOS.

Thin handlers: reads go through selectors (404 for missing and forbidden alike), writes through
services (403 NotAllowed, 409 refused transition, 400 bad input — mapped in lastmeter/api.py).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope, token_person
from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.selectors import access_appeal_by_scope
from lastmeter.dispatching import selectors, services
from lastmeter.dispatching.choices import INCIDENT_ACTIVE, SOS_OPEN
from lastmeter.dispatching.models import Assignment, GroupMessage, Incident, Unit
from lastmeter.dispatching.presenters import (
    group_row,
    incident_detail,
    incident_row,
    message_row,
    sos_row,
    unit_row,
)
from lastmeter.dispatching.recommend import RecommendError
from lastmeter.roads import services as roads

router = Router(tags=["dispatching"])


class DispatchErrorOut(Schema):
    detail: str


class PositionIn(Schema):
    lat: float
    lon: float
    accuracy_m: float | None = None
    heading: float | None = None
    at: datetime | None = None


class StatusIn(Schema):
    status: str


class IncidentIn(Schema):
    title: str = ""
    description: str = ""
    incident_type: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    priority: int | None = None
    alarm_at: datetime | None = None
    appeal_id: int | None = None


class IncidentPatch(Schema):
    title: str | None = None
    description: str | None = None
    address: str | None = None
    priority: int | None = None
    commander_id: int | None = None


class DispatchIn(Schema):
    unit_ids: list[int]


class UnitStepIn(Schema):
    unit_id: int | None = None  # default: the caller's own unit
    returning: bool = True
    reason: str = ""


class CloseIn(Schema):
    note: str = ""


class GroupMessageIn(Schema):
    text: str = ""
    kind: str = "text"
    lat: float | None = None
    lon: float | None = None


class SosIn(Schema):
    lat: float
    lon: float
    note: str = ""


class UnitFilter(Schema):
    agency: str | None = None
    status: str | None = None
    unit_type: str | None = None


class IncidentFilter(Schema):
    status: str | None = None
    open: bool | None = None
    limit: int = 100
    offset: int = 0


# --- units ------------------------------------------------------------------------------------


def _with_incidents(units: list[Unit]) -> list[dict]:
    active = dict(
        Assignment.objects.filter(unit__in=units, cleared_at__isnull=True).values_list(
            "unit_id", "incident_id"
        )
    )
    rows = []
    for u in units:
        row = unit_row(u)
        row["incident"] = active.get(u.pk)
        rows.append(row)
    return rows


@router.get("/units", response=list[dict], auth=API_AUTH)
def list_units(request: HttpRequest, filters: Query[UnitFilter]):
    """The unit board: position, status, agency, stale flag and current incident of each visible unit."""
    qs = selectors.visible_units(request_scope(request))
    if filters.agency:
        qs = qs.filter(agency=filters.agency)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit_type:
        qs = qs.filter(unit_type=filters.unit_type)
    return _with_incidents(list(qs))


@router.get("/units/{unit_id}", response=dict, auth=API_AUTH)
def get_unit(request: HttpRequest, unit_id: int):
    return _with_incidents([selectors.access_unit(request_scope(request), unit_id)])[0]


@router.post("/units/{unit_id}/positions", response={200: dict, 400: DispatchErrorOut}, auth=API_AUTH)
def post_unit_position(request: HttpRequest, unit_id: int, body: PositionIn):
    """A unit's device reports where it is; only the unit's own officer may (403 for others who see it)."""
    reporter = token_person(request)
    if reporter is not None:
        # The hot path (every unit, every few seconds): the device's token belongs to the unit's own
        # officer, who always sees their unit, so neither the scope nor the visibility query is needed.
        # On PostgreSQL the whole report is one statement when no SOS is open.
        done = services.report_own_unit_position(
            reporter, unit_id, body.lat, body.lon, body.accuracy_m, heading=body.heading, at=body.at
        )
        if done is not None:
            return done
        own = selectors.own_unit(reporter, unit_id)
        if own is not None:
            return services.do_report_position(
                own, body.lat, body.lon, body.accuracy_m, heading=body.heading, at=body.at, actor=reporter
            )
    scope = request_scope(request)
    unit = selectors.access_unit(scope, unit_id)
    return services.do_report_position(
        unit, body.lat, body.lon, body.accuracy_m, heading=body.heading, at=body.at, actor=scope
    )


@router.post("/positions", response={200: dict, 400: DispatchErrorOut}, auth=API_AUTH)
def post_my_position(request: HttpRequest, body: PositionIn):
    """The caller's phone reports its position: moves their unit and follows their open SOS."""
    scope = request_scope(request)
    if scope.person is None:
        return 400, {"detail": _("This account is not linked to a person: ask an administrator to link it.")}
    return services.do_report_position(
        scope.person, body.lat, body.lon, body.accuracy_m, heading=body.heading, at=body.at, actor=scope
    )


@router.patch("/units/{unit_id}/status", response=dict, auth=API_AUTH)
def patch_unit_status(request: HttpRequest, unit_id: int, body: StatusIn):
    scope = request_scope(request)
    selectors.access_unit(scope, unit_id)
    unit = services.do_set_unit_status(unit_id, body.status, actor=scope)
    unit.refresh_from_db()
    return _with_incidents([unit])[0]


# --- incidents --------------------------------------------------------------------------------


@router.get("/incidents", response=list[dict], auth=API_AUTH)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilter]):
    qs = selectors.visible_incidents(request_scope(request))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.open is True:
        qs = qs.filter(status__in=INCIDENT_ACTIVE)
    limit, offset = (
        max(1, min(filters.limit, 500)),
        min(max(0, filters.offset), 10**9),
    )  # beyond any table; larger overflows SQLite
    return [incident_row(i) for i in qs[offset : offset + limit]]


@router.post("/incidents", response={201: dict, 400: DispatchErrorOut}, auth=API_AUTH)
def create_incident(request: HttpRequest, body: IncidentIn):
    scope = request_scope(request)
    appeal = None
    if body.appeal_id is not None:
        appeal = access_appeal_by_scope(scope, body.appeal_id)
    incident = services.do_create_incident(
        title=body.title,
        lat=body.lat,
        lon=body.lon,
        description=body.description,
        address=body.address,
        priority=body.priority,
        alarm_at=body.alarm_at,
        appeal=appeal,
        actor=scope,
        incident_type=body.incident_type,
    )
    return 201, incident_detail(incident)


@router.get("/incidents/{incident_id}", response=dict, auth=API_AUTH)
def get_incident(request: HttpRequest, incident_id: int):
    return incident_detail(selectors.access_incident(request_scope(request), incident_id))


@router.patch("/incidents/{incident_id}", response=dict, auth=API_AUTH)
def patch_incident(request: HttpRequest, incident_id: int, body: IncidentPatch):
    scope = request_scope(request)
    selectors.access_incident(scope, incident_id)
    changes = body.dict(exclude_unset=True)
    if "commander_id" in changes:
        pid = changes.pop("commander_id")
        changes["commander"] = None if pid is None else Person.objects.filter(pk=pid, active=True).first()
        if pid is not None and changes["commander"] is None:
            raise services.ServiceError(_("No active person with the id %(id)s.") % {"id": pid})
    return incident_detail(services.do_update_incident(incident_id, scope, **changes))


@router.post("/incidents/{incident_id}/close", response=dict, auth=API_AUTH)
def close_incident(request: HttpRequest, incident_id: int, body: CloseIn):
    scope = request_scope(request)
    selectors.access_incident(scope, incident_id)
    return incident_detail(services.do_close_incident(incident_id, scope, note=body.note))


@router.get(
    "/incidents/{incident_id}/recommendations",
    response={200: list[dict], 400: DispatchErrorOut, 403: DispatchErrorOut, 503: DispatchErrorOut},
    auth=API_AUTH,
)
def recommendations(
    request: HttpRequest,
    incident_id: int,
    k: int = 5,
    agency: str | None = None,
    unit_type: str | None = None,
):
    """Fastest units by road (recommended: true), then crow-flies-near units passed over, with why."""
    scope = request_scope(request)
    incident = selectors.access_incident(scope, incident_id)
    if not selectors.is_command_staff(scope):
        return 403, {"detail": _("Only the command centre may ask which units to send.")}
    if not 1 <= k <= 50:
        return 400, {"detail": _("Ask for between 1 and 50 units.")}
    agencies = [a for a in (agency or "").split(",") if a] or None
    types = [t for t in (unit_type or "").split(",") if t] or None
    try:
        return 200, services.recommend_units(incident, k, agencies, types)
    except RecommendError as exc:
        return 400, {"detail": str(exc)}
    except roads.RoadError as exc:
        return 503, {
            "detail": _("The road map is not available (%(error)s): units cannot be ranked by road now.")
            % {"error": exc}
        }


@router.post("/incidents/{incident_id}/dispatch", response=dict, auth=API_AUTH)
def dispatch(request: HttpRequest, incident_id: int, body: DispatchIn):
    scope = request_scope(request)
    selectors.access_incident(scope, incident_id)
    services.do_dispatch(incident_id, body.unit_ids, scope)
    return incident_detail(Incident.objects.get(pk=incident_id))


def _my_unit_id(scope: Scope, unit_id: int | None) -> int:
    if unit_id is not None:
        return unit_id
    unit = selectors.unit_of_person(scope.person)
    if unit is None:
        raise services.ServiceError(_("Say which unit (unit_id): no unit is assigned to you."))
    return unit.pk


def _unit_step(request: HttpRequest, incident_id: int, body: UnitStepIn, step: str) -> dict:
    scope = request_scope(request)
    selectors.access_incident(scope, incident_id)
    unit_id = _my_unit_id(scope, body.unit_id)
    if step == "en_route":
        services.do_mark_en_route(unit_id, scope, incident=incident_id)
    elif step == "arrival":
        services.do_mark_arrived(unit_id, scope, incident=incident_id)
    else:
        services.do_clear(unit_id, scope, incident=incident_id, returning=body.returning, reason=body.reason)
    return incident_detail(Incident.objects.get(pk=incident_id))


@router.post("/incidents/{incident_id}/en-route", response=dict, auth=API_AUTH)
def en_route(request: HttpRequest, incident_id: int, body: UnitStepIn):
    return _unit_step(request, incident_id, body, "en_route")


@router.post("/incidents/{incident_id}/arrival", response=dict, auth=API_AUTH)
def arrival(request: HttpRequest, incident_id: int, body: UnitStepIn):
    """The unit is on scene; records its response time (arrival − alarm)."""
    return _unit_step(request, incident_id, body, "arrival")


@router.post("/incidents/{incident_id}/clear", response=dict, auth=API_AUTH)
def clear(request: HttpRequest, incident_id: int, body: UnitStepIn):
    return _unit_step(request, incident_id, body, "clear")


# --- command groups ------------------------------------------------------------------------------


@router.post("/incidents/{incident_id}/command-group", response=dict, auth=API_AUTH)
def open_command_group(request: HttpRequest, incident_id: int):
    """One click; the same group again on a second click."""
    scope = request_scope(request)
    selectors.access_incident(scope, incident_id)
    return group_row(services.do_open_command_group(incident_id, scope))


@router.get("/command-groups", response=list[dict], auth=API_AUTH)
def list_groups(request: HttpRequest, archived: bool = False):
    qs = selectors.visible_groups(request_scope(request))
    if not archived:
        qs = qs.filter(archived_at__isnull=True)
    return [group_row(g, members=False) | {"incident_title": g.incident.title} for g in qs[:200]]


@router.get("/command-groups/{group_id}", response=dict, auth=API_AUTH)
def get_group(request: HttpRequest, group_id: int):
    group = selectors.access_group(request_scope(request), group_id)
    return group_row(group) | {"incident_detail": incident_row(group.incident)}


@router.get("/command-groups/{group_id}/messages", response=list[dict], auth=API_AUTH)
def list_messages(request: HttpRequest, group_id: int, after: int = 0, limit: int = 200):
    """Messages oldest first; pass ``after`` (the last id you have) to fetch only newer ones."""
    group = selectors.access_group(request_scope(request), group_id)
    limit = max(1, min(limit, 500))
    qs = GroupMessage.objects.filter(group=group, pk__gt=after).select_related("author").order_by("pk")
    return [message_row(m) for m in qs[:limit]]


@router.post("/command-groups/{group_id}/messages", response={201: dict}, auth=API_AUTH)
def post_message(request: HttpRequest, group_id: int, body: GroupMessageIn):
    scope = request_scope(request)
    selectors.access_group(scope, group_id)
    msg = services.do_post_group_message(
        group_id, scope, body.text, kind=body.kind, lat=body.lat, lon=body.lon
    )
    return 201, message_row(msg)


# --- SOS ---------------------------------------------------------------------------------------------


@router.get("/sos", response=list[dict], auth=API_AUTH)
def list_sos(request: HttpRequest, open: bool = True):
    qs = selectors.visible_sos(request_scope(request))
    if open:
        qs = qs.filter(status__in=list(SOS_OPEN))
    return [sos_row(a) for a in qs.select_related("acknowledged_by", "unit__person")[:200]]


@router.post("/sos", response={201: dict, 400: DispatchErrorOut}, auth=API_AUTH)
def raise_sos(request: HttpRequest, body: SosIn):
    """The caller's emergency button, with their position."""
    scope = request_scope(request)
    if scope.person is None:
        return 400, {"detail": _("This account is not linked to a person: ask an administrator to link it.")}
    alarm = services.do_raise_sos(scope.person, body.lat, body.lon, actor=scope, note=body.note)
    return 201, sos_row(alarm)


@router.post("/sos/{alarm_id}/ack", response=dict, auth=API_AUTH)
def ack_sos(request: HttpRequest, alarm_id: int):
    scope = request_scope(request)
    selectors.access_sos(scope, alarm_id)
    return sos_row(services.do_ack_sos(alarm_id, scope))


@router.post("/sos/{alarm_id}/resolve", response=dict, auth=API_AUTH)
def resolve_sos(request: HttpRequest, alarm_id: int, body: CloseIn):
    scope = request_scope(request)
    selectors.access_sos(scope, alarm_id)
    return sos_row(services.do_resolve_sos(alarm_id, scope, note=body.note))
