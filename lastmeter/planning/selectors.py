"""Reads of grid planning: who may plan, plans by scope, units and plans as GeoJSON."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.lib.errors import NotAllowed
from lastmeter.planning.models import BasicUnit, GridPlan, PlanGrid, PlanUnit

PLANNER_ROLES = frozenset({Role.LEADERSHIP, Role.ADMINISTRATOR, Role.DISPATCHER})


def can_plan(scope: Scope) -> bool:
    """Station leadership, administrators, dispatchers and superusers plan grids and platforms."""
    return scope.superuser or bool(scope.roles & PLANNER_ROLES)


def require_planner(scope: Scope) -> None:
    """Raise NotAllowed (HTTP 403) unless the scope may plan."""
    if not can_plan(scope):
        raise NotAllowed(_("Only station leadership, administrators and dispatchers may plan grids."))


def access_plan_by_scope(scope: Scope, plan_id: int) -> GridPlan:
    """The plan, for a planner; Http404 for a missing plan, NotAllowed for a non-planner."""
    require_planner(scope)
    plan = GridPlan.objects.select_related("created_by", "adopted_by").filter(pk=plan_id).first()
    if plan is None:
        raise Http404(_("No such grid plan."))
    return plan


def plan_grids(plan: GridPlan) -> list[PlanGrid]:
    return list(
        PlanGrid.objects.filter(plan=plan)
        .select_related("grid", "community", "responsible_officer")
        .order_by("index")
    )


def unit_feature(u: BasicUnit, grid_index: int | None = None, *, cell: bool = False) -> dict:
    props = {
        "id": u.pk,
        "code": u.code,
        "name": u.name,
        "kind": u.kind,
        "drivers_or_population": u.drivers_or_population,
        "road_km": round(u.road_km, 4),
        "accidents": u.accidents,
        "difficulty": u.difficulty,
        "police_strength": u.police_strength,
        "workload": u.workload,
    }
    if grid_index is not None:
        props["grid_index"] = grid_index
    geometry = u.cell if cell and u.cell else u.geometry
    return {"type": "Feature", "geometry": geometry, "properties": props}


def units_geojson(*, cell: bool = False) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [unit_feature(u, cell=cell) for u in BasicUnit.objects.order_by("id")],
    }


def plan_geojson(plan: GridPlan, *, units: bool = False) -> dict:
    """The plan's grids as polygons (and, with ``units``, every unit with its grid index)."""
    features = []
    for pg in plan_grids(plan):
        if not pg.boundary:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": pg.boundary,
                "properties": {
                    "layer": "grid",
                    "index": pg.index,
                    "code": pg.code,
                    "name": pg.name,
                    "workload": pg.workload,
                    "deviation": pg.deviation,
                    "compactness": pg.compactness,
                    "contiguous": pg.contiguous,
                    "auxiliaries": pg.auxiliaries,
                    "officer": pg.responsible_officer.name if pg.responsible_officer else None,
                    "continues_grid": pg.grid.code if pg.grid else None,
                },
            }
        )
    if units:
        index = dict(PlanUnit.objects.filter(plan=plan).values_list("unit_id", "grid_index"))
        for u in BasicUnit.objects.filter(pk__in=index).order_by("id"):
            f = unit_feature(u, index[u.pk])
            f["properties"]["layer"] = "unit"
            features.append(f)
    return {"type": "FeatureCollection", "features": features}
