"""Every write to patrols and to the building-head network. ``check_*`` validate, ``do_*`` write
in a transaction with the row locked, status changes through the transition tables.

The refusals that matter: a plan or a team only in the manager's own community, a team of
another community never assigned to a plan, a check-in only by a member of the shift's team and
only within the plan's radius of its cells or route, a sighting only during one's own shift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import Channel
from lastmeter.appeals.models import Appeal
from lastmeter.dispatching.models import Incident
from lastmeter.grids.models import Grid
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.services import submit
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.geo import haversine_m, validate_lat_lon
from lastmeter.lib.transitions import check_transition
from lastmeter.patrols.algorithms.plan import (
    HotCell,
    coverage,
    distance_to_plan,
    hot_cells,
    in_band,
    split_among,
)
from lastmeter.patrols.choices import (
    BAND_HOURS,
    PLAN_TRANSITIONS,
    SHIFT_TRANSITIONS,
    SIGHTING_POINTS,
    TASK_TRANSITIONS,
    Band,
    CheckKind,
    PlanState,
    PointSource,
    ShiftState,
    TaskState,
)
from lastmeter.patrols.models import (
    CheckIn,
    NetworkTask,
    PatrolPlan,
    PatrolShift,
    PatrolTeam,
    PlanCell,
    PointRecord,
    Sighting,
    TeamMember,
)
from lastmeter.patrols.selectors import access_plan, access_shift, manages
from lastmeter.roads.services import RoadError, route_between
from lastmeter.stats.hotspots import jurisdiction_bounds


@dataclass
class PlanRequest:
    community: OrgUnit
    day: date
    band: str
    source: str = PointSource.INCIDENTS
    history_days: int = 90
    cell_m: float = 250.0
    max_cells: int = 8


def _check_manager(scope: Scope, community_id: int) -> None:
    if not manages(scope, community_id):
        raise NotAllowed(_("Only the station's staff and the community's officers manage its patrols."))


# --- plans ---------------------------------------------------------------------------------------


def band_points(source: str, start: datetime, end: datetime, band: str) -> list[tuple[float, float]]:
    """(lat, lon) of the incidents or appeals in [start, end) whose local hour is in the band."""
    h0, h1 = BAND_HOURS[band]
    rows: list[tuple[datetime, float | None, float | None]]
    if source == PointSource.APPEALS:
        rows = list(
            Appeal.objects.filter(
                created_at__gte=start, created_at__lt=end, lat__isnull=False, lon__isnull=False
            ).values_list("created_at", "lat", "lon")
        )
    else:
        rows = list(
            Incident.objects.filter(alarm_at__gte=start, alarm_at__lt=end).values_list(
                "alarm_at", "lat", "lon"
            )
        )
    return [
        (float(la), float(lo))
        for at, la, lo in rows
        if la is not None and lo is not None and in_band(timezone.localtime(at).hour, h0, h1)
    ]


def band_window(day: date, band: str) -> tuple[datetime, datetime]:
    h0, h1 = BAND_HOURS[band]
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time(h0)), tz)
    return start, start + timedelta(hours=h1 - h0)


def _route(cells: list[HotCell]) -> tuple[list[list[float]], float, bool]:
    """The walk between the cells' centres on the road graph (snapped to it by roads); straight
    legs when no road file is loaded or a centre is too far from any road."""
    if len(cells) < 2:
        return [[c.lat, c.lon] for c in cells], 0.0, False
    coords: list[list[float]] = []
    metres = 0.0
    try:
        for a, b in pairwise(cells):
            leg = route_between((a.lat, a.lon), (b.lat, b.lon))
            coords += [[round(la, 6), round(lo, 6)] for la, lo in leg.coords()]
            metres += leg.meters
        return coords, metres, True
    except RoadError:  # also NoRoute, a RoadError
        legs = pairwise(cells)
        return (
            [[c.lat, c.lon] for c in cells],
            sum(haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in legs),
            False,
        )


def do_generate_plan(scope: Scope, req: PlanRequest, *, now: datetime | None = None) -> PatrolPlan:
    """Gi* on the band's points of the last ``history_days``, the community's significant hot
    cells (strongest first), split among the community's active teams available in that band,
    one shift each for the band's hours, routed on the road graph."""
    _check_manager(scope, req.community.pk)
    if req.band not in Band.values:
        raise ServiceError(_("Choose the time of day."))
    if (
        not (50 <= req.cell_m <= 5000)
        or not (1 <= req.max_cells <= 50)
        or not (7 <= req.history_days <= 1100)
    ):
        raise ServiceError(_("Cell size 50–5000 m, 1–50 cells, 7–1100 days of history, please."))
    now = now or timezone.now()
    start, end = now - timedelta(days=req.history_days), now
    pts = band_points(req.source, start, end, req.band)
    grids = [shape(g.boundary) for g in Grid.objects.filter(community=req.community, active=True)]
    if not grids:
        raise ServiceError(_("This community has no grid drawn: there is no area to patrol."))
    cells = hot_cells(
        [p[0] for p in pts],
        [p[1] for p in pts],
        cell_m=req.cell_m,
        bounds=jurisdiction_bounds(),
        max_cells=req.max_cells,
        keep=lambda la, lo: any(s.covers(Point(lo, la)) for s in grids),
    )
    teams = [
        t
        for t in PatrolTeam.objects.filter(community=req.community, active=True).prefetch_related("members")
        if any(m.available_in(req.band) for m in t.members.all())
    ]
    s0, s1 = band_window(req.day, req.band)
    with transaction.atomic():
        plan = PatrolPlan.objects.create(
            community=req.community,
            day=req.day,
            band=req.band,
            source=req.source,
            period_start=start,
            period_end=end,
            cell_m=req.cell_m,
            points=len(pts),
            created_by=scope.person,
        )
        for share in split_among(cells, [t.pk for t in teams]):
            route, metres, on_roads = _route(share.cells)
            shift = PatrolShift.objects.create(
                plan=plan,
                team_id=share.team_id,
                starts_at=s0,
                ends_at=s1,
                route=route,
                route_m=metres,
                on_roads=on_roads,
            )
            for i, c in enumerate(share.cells):
                PlanCell.objects.create(
                    plan=plan,
                    shift=shift,
                    key=c.key,
                    lat=c.lat,
                    lon=c.lon,
                    ring=c.ring,
                    count=c.count,
                    z=c.z,
                    order=i,
                )
        if not teams:  # the cells are still worth seeing; a team is assigned later
            for i, c in enumerate(cells):
                PlanCell.objects.create(
                    plan=plan, key=c.key, lat=c.lat, lon=c.lon, ring=c.ring, count=c.count, z=c.z, order=i
                )
    return plan


def do_assign_team(scope: Scope, plan_id: int, team: PatrolTeam) -> PatrolShift:
    """Add a shift for another team; a team of another community is refused."""
    plan = access_plan(scope, plan_id)
    _check_manager(scope, plan.community_id)
    if team.community_id != plan.community_id:
        raise NotAllowed(_("Team %(team)s belongs to another community.") % {"team": team.name})
    if not team.active:
        raise ServiceError(_("Team %(team)s is not active.") % {"team": team.name})
    s0, s1 = band_window(plan.day, plan.band)
    with transaction.atomic():
        PatrolPlan.objects.select_for_update().get(pk=plan.pk)
        shift = PatrolShift.objects.create(plan=plan, team=team, starts_at=s0, ends_at=s1)
        PlanCell.objects.filter(plan=plan, shift__isnull=True).update(shift=shift)
        cells = [_hot(c) for c in plan.cells.filter(shift=shift).order_by("order")]
        shift.route, shift.route_m, shift.on_roads = _route(cells)
        shift.save(update_fields=["route", "route_m", "on_roads"])
    return shift


def _hot(c: PlanCell) -> HotCell:
    return HotCell(c.key, c.lat, c.lon, [tuple(p) for p in c.ring], c.count, c.z)


def do_move_plan(scope: Scope, plan_id: int, target: str) -> PatrolPlan:
    plan = access_plan(scope, plan_id)
    _check_manager(scope, plan.community_id)
    with transaction.atomic():
        plan = PatrolPlan.objects.select_for_update().get(pk=plan.pk)
        check_transition(PLAN_TRANSITIONS, plan.state, target, "patrol plan")
        plan.state = target
        if target == PlanState.DONE:
            plan.coverage = plan_coverage(plan)[1]
        plan.save(update_fields=["state", "coverage", "updated_at"])
    return plan


# --- the phone: check-in, positions, check-out, sightings ----------------------------------------


def _lock_own_shift(scope: Scope, shift_id: int) -> PatrolShift:
    shift = access_shift(scope, shift_id)
    if scope.person is None or not TeamMember.objects.filter(team=shift.team, person=scope.person).exists():
        raise NotAllowed(
            _("Only the members of team %(team)s check in on this shift.") % {"team": shift.team.name}
        )
    return PatrolShift.objects.select_for_update().select_related("plan", "team").get(pk=shift.pk)


def plan_places(plan: PatrolPlan, shift: PatrolShift | None = None) -> list[tuple[float, float]]:
    cells = plan.cells.all() if shift is None else plan.cells.filter(shift=shift)
    places = [(c.lat, c.lon) for c in cells]
    if shift is not None:
        places += [(float(p[0]), float(p[1])) for p in shift.route]
    return places


def do_check(
    scope: Scope, shift_id: int, kind: str, lat: float, lon: float, *, now: datetime | None = None
) -> CheckIn:
    """Record a check-in, a position or a check-out from the phone. Refused further than the
    plan's radius from the shift's cells and route, and outside the plan's published state."""
    now = now or timezone.now()
    try:
        validate_lat_lon(lat, lon)
    except ValueError as exc:
        raise ServiceError(_("The position is not valid (%(detail)s).") % {"detail": exc}) from None
    if kind not in CheckKind.values:
        raise ServiceError(_("Unknown kind of check-in."))
    with transaction.atomic():
        shift = _lock_own_shift(scope, shift_id)
        if shift.plan.state != PlanState.PUBLISHED:
            raise NotAllowed(_("This plan is not published: there is nothing to check in to."))
        distance = distance_to_plan(lat, lon, plan_places(shift.plan, shift))
        radius = shift.plan.checkin_radius_m
        if distance > radius:
            raise NotAllowed(
                _("You are %(d).1f km from the plan; check in within %(r).1f km of it.")
                % {"d": distance / 1000, "r": radius / 1000}
            )
        if kind == CheckKind.CHECK_IN:
            if shift.state == ShiftState.PLANNED:
                check_transition(SHIFT_TRANSITIONS, shift.state, ShiftState.ON_PATROL, "shift")
                shift.state, shift.checked_in_at = ShiftState.ON_PATROL, now
                shift.save(update_fields=["state", "checked_in_at"])
        elif shift.state != ShiftState.ON_PATROL:
            raise NotAllowed(_("Check in first."))
        elif kind == CheckKind.CHECK_OUT:
            check_transition(SHIFT_TRANSITIONS, shift.state, ShiftState.DONE, "shift")
            shift.state, shift.checked_out_at = ShiftState.DONE, now
            shift.save(update_fields=["state", "checked_out_at"])
        assert scope.person is not None
        return CheckIn.objects.create(
            shift=shift, person=scope.person, kind=kind, lat=lat, lon=lon, at=now, distance_m=distance
        )


def do_report_sighting(
    scope: Scope,
    shift_id: int,
    *,
    text: str,
    lat: float,
    lon: float,
    category_code: str = "",
    now: datetime | None = None,
) -> Sighting:
    """A patrol member's sighting becomes an appeal through the intake, as a report filed on a
    resident's behalf (channel volunteer, filed by the member); the member earns points for it."""
    now = now or timezone.now()
    if not text.strip():
        raise ServiceError(_("Say what you saw."))
    try:
        validate_lat_lon(lat, lon)
    except ValueError as exc:
        raise ServiceError(_("The position is not valid (%(detail)s).") % {"detail": exc}) from None
    with transaction.atomic():
        shift = _lock_own_shift(scope, shift_id)
        if shift.state != ShiftState.ON_PATROL:
            raise NotAllowed(_("Sightings are reported during one's own shift, after checking in."))
        assert scope.person is not None
        sighting = Sighting.objects.create(
            shift=shift,
            person=scope.person,
            text=text.strip(),
            category_code=category_code,
            lat=lat,
            lon=lon,
            at=now,
        )
    person = scope.person
    msg = InboundMessage(
        channel=Channel.VOLUNTEER,
        text=sighting.text,
        sender_name=person.name[:100],
        phone=person.phone,
        lat=lat,
        lon=lon,
        category_code=category_code,
        filed_by_id=person.pk,
    )
    body = json.dumps(
        {"patrol_sighting": sighting.pk, "shift": shift.pk, "text": sighting.text}, ensure_ascii=False
    )
    item, _created = submit(
        msg, key=f"patrol-sighting:{sighting.pk}", body=body.encode(), source="patrols", submitted_by=person
    )
    sighting.appeal = item.appeal
    sighting.intake_note = (item.decision_reason or "")[:300]
    sighting.save(update_fields=["appeal", "intake_note"])
    if item.appeal is not None:
        PointRecord.objects.create(
            person=person,
            points=SIGHTING_POINTS,
            reason=_("Sighting filed as %(ref)s") % {"ref": item.appeal.reference},
            sighting=sighting,
            at=now,
        )
    return sighting


# --- coverage ------------------------------------------------------------------------------------


def plan_coverage(plan: PatrolPlan) -> tuple[set[str], float]:
    """The share of the plan's hot cells that a check-in or position of its shifts fell inside,
    during the shift's hours."""
    cells = [_hot(c) for c in plan.cells.all()]
    positions: list[tuple[float, float]] = []
    for shift in plan.shifts.all():
        positions += list(
            shift.checkins.filter(at__gte=shift.starts_at, at__lte=shift.ends_at).values_list("lat", "lon")
        )
    return coverage(cells, positions)


# --- the building-head network -------------------------------------------------------------------


def do_assign_task(
    scope: Scope, person: Person, *, title: str, points: int = 1, due_on: date | None = None
) -> NetworkTask:
    if not (scope.jurisdiction_wide or scope.community_ids):
        raise NotAllowed(_("Only the station's staff and community officers assign network tasks."))
    if not title.strip() or not (0 <= points <= 100):
        raise ServiceError(_("A task needs a title and 0–100 points."))
    return NetworkTask.objects.create(
        person=person, title=title.strip(), points=points, due_on=due_on, assigned_by=scope.person
    )


def do_finish_task(scope: Scope, task_id: int, *, now: datetime | None = None) -> NetworkTask:
    """The task's own holder (or the station's staff) marks it done; its points are awarded."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            task = NetworkTask.objects.select_for_update().get(pk=task_id)
        except NetworkTask.DoesNotExist:
            raise NotAllowed(_("No such task.")) from None
        if not (scope.jurisdiction_wide or (scope.person is not None and task.person_id == scope.person.pk)):
            raise NotAllowed(_("No such task."))
        check_transition(TASK_TRANSITIONS, task.state, TaskState.DONE, "network task")
        task.state, task.done_at = TaskState.DONE, now
        task.save(update_fields=["state", "done_at"])
        PointRecord.objects.create(
            person=task.person,
            points=task.points,
            reason=_("Task done: %(t)s") % {"t": task.title},
            task=task,
            at=now,
        )
    return task
