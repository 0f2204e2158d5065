"""Grid planning API under /api/v1/planning: units, plans (preview, move, adopt), platforms, service areas,
the city-wide review by district, and the containment of a fleeing vehicle.

Thin: selectors read, planning.services / planning.platforms write and compute. Only planners (leadership,
administrators, dispatchers, superusers) get past ``require_planner``; others get 403.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.lib.errors import NotAllowed
from lastmeter.planning import platform_reviews, platforms, services
from lastmeter.planning.choices import PlanTransitionError, PlatformKind
from lastmeter.planning.models import GridPlan, Platform
from lastmeter.planning.presenters import plan_detail, plan_row, platform_row
from lastmeter.planning.report import ContiguityRefused, PlanError
from lastmeter.planning.selectors import (
    access_plan_by_scope,
    plan_geojson,
    require_planner,
    units_geojson,
)

router = Router(tags=["grid planning"], auth=API_AUTH)


class PlanIn(Schema):
    name: str | None = None
    k: int | None = None
    method: str | None = None
    tolerance: float | None = None
    weights: dict[str, float] | None = None
    auxiliaries: int | None = None
    seed: int | None = None
    time_limit_s: float | None = None
    count_prior: float | None = None
    note: str | None = None


class MoveIn(Schema):
    unit: str
    to_grid: int  # 1-based, as the planner sees grids numbered


class PlanGridIn(Schema):
    name: str | None = None
    responsible_officer: int | None = None
    clear_officer: bool = False
    community: int | None = None


class PlatformIn(Schema):
    code: str
    name: str
    lat: float
    lon: float
    kind: str = PlatformKind.PLATFORM
    active: bool = True


class ExitIn(Schema):
    node: int | None = None
    lat: float | None = None
    lon: float | None = None


class BlockadeIn(Schema):
    exits: list[ExitIn]
    speed_kmh: float = 60.0


class AdditionIn(Schema):
    k: int
    speed_kmh: float = 60.0
    target_min: float = 3.0
    rates: str = "appeals"
    max_candidates: int = 300


class ContainmentIn(Schema):
    incident: ExitIn
    head_start_min: float = 3.0
    police_speed_kmh: float = 60.0
    suspect_speed_kmh: float = 60.0
    margin_min: float = 0.0
    exits: list[ExitIn] | None = None  # default: the road network's edge


def _planner(request: HttpRequest):
    scope = request_scope(request)
    require_planner(scope)
    return scope


def _run(fn, *args, **kwargs):
    """Call a service, mapping planning errors to HTTP answers with the service's message."""
    try:
        return fn(*args, **kwargs)
    except ContiguityRefused as exc:
        raise HttpError(409, str(exc)) from None
    except PlanTransitionError as exc:
        raise HttpError(409, str(exc)) from None
    except PlanError as exc:
        raise HttpError(400, str(exc)) from None
    except NotAllowed as exc:
        raise HttpError(403, str(exc)) from None


def _params(data: PlanIn) -> services.PlanParams:
    return services.PlanParams(**data.dict())


# --- units ---------------------------------------------------------------------------------------


@router.get("/planning/units", url_name="planning_units")
def units(request: HttpRequest, cells: bool = False):
    """The basic units as GeoJSON (lines, or with ``cells=true`` their catchment polygons)."""
    _planner(request)
    return units_geojson(cell=cells)


# --- plans ---------------------------------------------------------------------------------------


@router.get("/planning/plans")
def list_plans(request: HttpRequest):
    _planner(request)
    return [plan_row(p) for p in GridPlan.objects.select_related("created_by")[:200]]


@router.post("/planning/plans", response={201: dict})
def create_plan(request: HttpRequest, data: PlanIn):
    scope = _planner(request)
    plan = _run(services.do_create_plan, _params(data), scope.person)
    return 201, plan_detail(plan)


@router.get("/planning/plans/{plan_id}")
def get_plan(request: HttpRequest, plan_id: int):
    return plan_detail(access_plan_by_scope(request_scope(request), plan_id))


@router.patch("/planning/plans/{plan_id}")
def update_plan(request: HttpRequest, plan_id: int, data: PlanIn):
    plan = access_plan_by_scope(request_scope(request), plan_id)
    return plan_detail(_run(services.do_update_plan, plan.pk, _params(data)))


@router.post("/planning/plans/{plan_id}/preview")
def preview_plan(request: HttpRequest, plan_id: int):
    """Run the partition (exact for small jurisdictions, heuristic for large) and report."""
    plan = access_plan_by_scope(request_scope(request), plan_id)
    return plan_detail(_run(services.do_preview_plan, plan.pk))


@router.post("/planning/plans/{plan_id}/move")
def move_unit(request: HttpRequest, plan_id: int, data: MoveIn):
    """Move one unit to another grid by hand; 409 with the reason when contiguity would break."""
    scope = request_scope(request)
    plan = access_plan_by_scope(scope, plan_id)
    return plan_detail(_run(services.do_move_unit, plan.pk, data.unit, data.to_grid - 1, scope.person))


@router.patch("/planning/plans/{plan_id}/grids/{number}")
def update_plan_grid(request: HttpRequest, plan_id: int, number: int, data: PlanGridIn):
    """Name a plan grid, or set its community or responsible officer (grid numbers are 1-based)."""
    plan = access_plan_by_scope(request_scope(request), plan_id)
    _run(
        services.do_update_plan_grid,
        plan.pk,
        number - 1,
        name=data.name,
        officer_id=data.responsible_officer,
        community_id=data.community,
        clear_officer=data.clear_officer,
    )
    plan.refresh_from_db()
    return plan_detail(plan)


@router.post("/planning/plans/{plan_id}/adopt")
def adopt_plan(request: HttpRequest, plan_id: int, apply_staffing: bool = True):
    """Make the plan the active grids (one transaction); appeals route by them from now on."""
    scope = request_scope(request)
    plan = access_plan_by_scope(scope, plan_id)
    return plan_detail(_run(services.do_adopt_plan, plan.pk, scope.person, apply_staffing=apply_staffing))


@router.post("/planning/plans/{plan_id}/discard")
def discard_plan(request: HttpRequest, plan_id: int):
    plan = access_plan_by_scope(request_scope(request), plan_id)
    return plan_detail(_run(services.do_discard_plan, plan.pk))


@router.get("/planning/plans/{plan_id}/geojson", url_name="planning_plan_map")
def plan_map(request: HttpRequest, plan_id: int, units: bool = False):
    """The plan's grids (and with ``units=true`` its units) as a GeoJSON FeatureCollection."""
    return plan_geojson(access_plan_by_scope(request_scope(request), plan_id), units=units)


# --- platforms and service areas -----------------------------------------------------------------


@router.get("/planning/platforms")
def list_platforms(request: HttpRequest):
    _planner(request)
    return [platform_row(p) for p in Platform.objects.all()]


@router.post("/planning/platforms", response={201: dict})
def save_platform(request: HttpRequest, data: PlatformIn):
    """Create or update (by code) a platform; it is snapped to the nearest road node."""
    _planner(request)
    p = _run(platforms.do_save_platform, **data.dict())
    return 201, platform_row(p)


@router.get("/planning/service-areas")
def service_areas(
    request: HttpRequest, speed_kmh: float = 60.0, target_min: float = 3.0, rates: str = "appeals"
):
    """Every intersection's fastest platform, those beyond the target, workload per platform."""
    _planner(request)
    return _run(platforms.service_area_report, speed_kmh=speed_kmh, target_min=target_min, rates=rates)


@router.get("/planning/service-areas/geojson", url_name="planning_service_areas_geojson")
def service_areas_geojson(request: HttpRequest, speed_kmh: float = 60.0, target_min: float = 3.0):
    _planner(request)
    return _run(platforms.service_area_geojson, speed_kmh=speed_kmh, target_min=target_min)


@router.post("/planning/blockade")
def blockade(request: HttpRequest, data: BlockadeIn):
    """Which platform seals which exit so that the last exit is sealed as early as possible."""
    _planner(request)
    return _run(platforms.blockade_report, [e.dict() for e in data.exits], speed_kmh=data.speed_kmh)


@router.post("/planning/add-platforms")
def add_platforms(request: HttpRequest, data: AdditionIn):
    """Where k new platforms would cut the worst response time most, then balance workload."""
    _planner(request)
    return _run(
        platforms.addition_report,
        data.k,
        speed_kmh=data.speed_kmh,
        target_min=data.target_min,
        rates=data.rates,
        max_candidates=data.max_candidates,
    )


@router.get("/planning/district-review", url_name="planning_district_review")
def district_review(
    request: HttpRequest,
    by: str = "community",
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
    rates: str = "appeals",
    max_moves: int = 2,
    max_add: int = 5,
):
    """Every district (community, or grid with ``by=grid``) answered by its own platforms: coverage,
    worst time, workload spread, what is unreasonable, and a relocate-then-add proposal (before/after)."""
    _planner(request)
    return _run(
        platform_reviews.district_review_report,
        by=by,
        speed_kmh=speed_kmh,
        target_min=target_min,
        rates=rates,
        max_moves=max_moves,
        max_add=max_add,
    )


@router.post("/planning/containment", url_name="planning_containment")
def containment(request: HttpRequest, data: ContainmentIn):
    """The cordon that contains a suspect fleeing from the incident: intersections the platforms seal
    before the suspect can get there, complete as early as possible, with the fewest platforms."""
    _planner(request)
    return _run(
        platform_reviews.containment_report,
        data.incident.dict(),
        head_start_min=data.head_start_min,
        police_speed_kmh=data.police_speed_kmh,
        suspect_speed_kmh=data.suspect_speed_kmh,
        margin_min=data.margin_min,
        exits=[e.dict() for e in data.exits] if data.exits else None,
    )
