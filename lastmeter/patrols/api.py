"""The patrols API under /api/v1/patrols: thin handlers over selectors and services (the phone
app checks in and reports sightings here), and the teams: create, add, change and remove members."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.patrols import selectors, services, teams
from lastmeter.patrols.models import PatrolPlan, PatrolTeam

router = Router(tags=["patrols"])


class PatrolPlanIn(Schema):
    community: int
    day: date
    band: str
    source: str = "incidents"
    history_days: int = 90
    cell_m: float = 250.0
    max_cells: int = 8


class CellOut(Schema):
    key: str
    lat: float
    lon: float
    z: float
    count: int
    team: str
    visited: bool


class ShiftOut(Schema):
    id: int
    team: str
    state: str
    starts_at: datetime
    ends_at: datetime
    route_m: float
    on_roads: bool
    route: list[list[float]]


class PlanOut(Schema):
    id: int
    community: str
    day: date
    band: str
    state: str
    coverage: float
    cells: list[CellOut]
    shifts: list[ShiftOut]


class CheckIn(Schema):
    kind: str = "in"
    lat: float
    lon: float


class CheckOut(Schema):
    id: int
    kind: str
    distance_m: float


class SightingIn(Schema):
    text: str
    lat: float
    lon: float
    category: str = ""


class PatrolSightingOut(Schema):
    id: int
    appeal: str | None
    note: str


def _plan_out(plan: PatrolPlan) -> dict:
    visited, share = services.plan_coverage(plan)
    return {
        "id": plan.pk,
        "community": plan.community.name,
        "day": plan.day,
        "band": plan.band,
        "state": plan.state,
        "coverage": share,
        "cells": [
            {
                "key": c.key,
                "lat": c.lat,
                "lon": c.lon,
                "z": c.z,
                "count": c.count,
                "team": c.shift.team.name if c.shift else "",
                "visited": c.key in visited,
            }
            for c in plan.cells.select_related("shift__team")
        ],
        "shifts": [
            {
                "id": s.pk,
                "team": s.team.name,
                "state": s.state,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "route_m": s.route_m,
                "on_roads": s.on_roads,
                "route": s.route,
            }
            for s in plan.shifts.select_related("team")
        ],
    }


@router.get("/patrols/plans", response=list[PlanOut], auth=API_AUTH)
def list_plans(request: HttpRequest):
    return [_plan_out(p) for p in selectors.visible_plans(request_scope(request))[:50]]


@router.post("/patrols/plans", response={201: PlanOut}, auth=API_AUTH)
def create_plan(request: HttpRequest, payload: PatrolPlanIn):
    scope = request_scope(request)
    community = get_object_or_404(OrgUnit, pk=payload.community, kind="community")
    if not selectors.manages(scope, community.pk):
        raise Http404("no such community")
    plan = services.do_generate_plan(
        scope,
        services.PlanRequest(
            community=community,
            day=payload.day,
            band=payload.band,
            source=payload.source,
            history_days=payload.history_days,
            cell_m=payload.cell_m,
            max_cells=payload.max_cells,
        ),
    )
    return 201, _plan_out(plan)


@router.get("/patrols/plans/{plan_id}", response=PlanOut, auth=API_AUTH)
def get_plan(request: HttpRequest, plan_id: int):
    return _plan_out(selectors.access_plan(request_scope(request), plan_id))


@router.post("/patrols/plans/{plan_id}/publish", response=PlanOut, auth=API_AUTH)
def publish_plan(request: HttpRequest, plan_id: int):
    return _plan_out(services.do_move_plan(request_scope(request), plan_id, "published"))


@router.post("/patrols/shifts/{shift_id}/checkins", response={201: CheckOut}, auth=API_AUTH)
def check(request: HttpRequest, shift_id: int, payload: CheckIn):
    c = services.do_check(request_scope(request), shift_id, payload.kind, payload.lat, payload.lon)
    return 201, {"id": c.pk, "kind": c.kind, "distance_m": c.distance_m}


@router.post("/patrols/shifts/{shift_id}/sightings", response={201: PatrolSightingOut}, auth=API_AUTH)
def sighting(request: HttpRequest, shift_id: int, payload: SightingIn):
    s = services.do_report_sighting(
        request_scope(request),
        shift_id,
        text=payload.text,
        lat=payload.lat,
        lon=payload.lon,
        category_code=payload.category,
    )
    return 201, {"id": s.pk, "appeal": s.appeal.reference if s.appeal else None, "note": s.intake_note}


# --- teams (patrols.teams) -------------------------------------------------------------------


class TeamIn(Schema):
    community: int
    name: str
    kind: str


class MemberIn(Schema):
    person: int
    skills: str = ""
    bands: list[str] = []


class AvailabilityIn(Schema):
    skills: str = ""
    bands: list[str] = []


class MemberOut(Schema):
    id: int
    person: int
    name: str
    skills: str
    bands: list[str]


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    community: int
    active: bool
    members: list[MemberOut]


class PatrolErrorOut(Schema):
    detail: str


TEAM_ERRORS = {400: PatrolErrorOut, 403: PatrolErrorOut, 404: PatrolErrorOut}


def _team_out(team: PatrolTeam) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "kind": team.kind,
        "community": team.community_id,
        "active": team.active,
        "members": [
            {
                "id": m.pk,
                "person": m.person_id,
                "name": m.person.name,
                "skills": m.skills,
                "bands": m.available_bands,
            }
            for m in team.members.select_related("person").order_by("person__name")
        ],
    }


@router.get("/patrols/teams", response=list[TeamOut], auth=API_AUTH)
def list_teams(request: HttpRequest):
    return [_team_out(t) for t in selectors.visible_teams(request_scope(request))[:100]]


@router.post("/patrols/teams", response={201: TeamOut, **TEAM_ERRORS}, auth=API_AUTH)
def create_team(request: HttpRequest, payload: TeamIn):
    """A team of a community the caller manages (another community: 404, as a missing one)."""
    scope = request_scope(request)
    community = OrgUnit.objects.filter(pk=payload.community, kind="community").first()
    if community is None or not selectors.manages(scope, community.pk):
        raise Http404("no such community among yours")
    team = teams.do_create_team(scope, name=payload.name, kind=payload.kind, community=community)
    return 201, _team_out(team)


@router.get("/patrols/teams/{team_id}", response={200: TeamOut, 404: PatrolErrorOut}, auth=API_AUTH)
def get_team(request: HttpRequest, team_id: int):
    return 200, _team_out(selectors.access_team(request_scope(request), team_id))


@router.post("/patrols/teams/{team_id}/members", response={201: TeamOut, **TEAM_ERRORS}, auth=API_AUTH)
def add_team_member(request: HttpRequest, team_id: int, payload: MemberIn):
    """Add a volunteer, building head or auxiliary of the team's community."""
    scope = request_scope(request)
    person = Person.objects.filter(pk=payload.person).first()
    if person is None:
        return 400, {"detail": f"no person {payload.person}"}
    teams.do_add_member(scope, team_id, person, teams.Availability(payload.skills, payload.bands))
    return 201, _team_out(selectors.access_team(scope, team_id))


@router.put(
    "/patrols/teams/{team_id}/members/{member_id}", response={200: TeamOut, **TEAM_ERRORS}, auth=API_AUTH
)
def update_team_member(request: HttpRequest, team_id: int, member_id: int, payload: AvailabilityIn):
    """A member's skills and the times of day they can patrol."""
    scope = request_scope(request)
    teams.do_update_member(scope, team_id, member_id, teams.Availability(payload.skills, payload.bands))
    return 200, _team_out(selectors.access_team(scope, team_id))


@router.delete(
    "/patrols/teams/{team_id}/members/{member_id}", response={200: TeamOut, **TEAM_ERRORS}, auth=API_AUTH
)
def remove_team_member(request: HttpRequest, team_id: int, member_id: int):
    scope = request_scope(request)
    team = teams.do_remove_member(scope, team_id, member_id)
    return 200, _team_out(team)
