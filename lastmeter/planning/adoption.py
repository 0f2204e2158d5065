"""Adopting a grid plan: the plan's grids become the active grids, in one transaction.

Called through planning.services.do_adopt_plan.
"""

from __future__ import annotations

import shapely
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.grids.models import Grid
from lastmeter.planning.choices import PlanState, check_plan_transition
from lastmeter.planning.locking import lock_plan, new_grid_code, plan_assignment
from lastmeter.planning.models import GridPlan, PlanGrid
from lastmeter.planning.report import PlanError, boundary_geojson, grid_shapes, load_units, locate
from lastmeter.planning.staffing import apply_staffing as staff
from lastmeter.realtime.events import COMMAND_GROUP, publish_after_commit


def adopt_plan(plan_id: int, actor: Person | None = None, *, apply_staffing: bool = True) -> GridPlan:
    """Make a previewed plan the active grids, in one transaction.

    Matched grids are updated in place (code, community and officer carry over unless the planner
    changed them), new grids are created, the remaining active grids are deactivated. Buildings point
    at the grid that now contains them. With ``apply_staffing`` the grid members (auxiliaries) of the
    old grids are re-assigned towards each grid's apportioned number — people are never deleted;
    shortfalls are reported as vacancies. Appeals created afterwards route by the new grids; open
    appeals keep the grid and officer they already have.
    """
    with transaction.atomic():
        plan = lock_plan(plan_id)
        check_plan_transition(plan.state, PlanState.ADOPTED)
        pgs = list(PlanGrid.objects.filter(plan=plan).select_related("grid").order_by("index"))
        figures = plan.report.get("figures", {})
        if not figures.get("contiguous", False) or not all(pg.contiguous for pg in pgs):
            bad = [str(pg.index + 1) for pg in pgs if not pg.contiguous]
            raise PlanError(
                _(
                    "Grid(s) %(grids)s are not contiguous: move units by hand until each is one piece, then adopt."
                )
                % {"grids": ", ".join(bad)}
            )
        missing = [str(pg.index + 1) for pg in pgs if pg.community_id is None]
        if missing:
            raise PlanError(
                _("Grid(s) %(grids)s have no community: choose one for each under “Update grid”, then adopt.")
                % {"grids": ", ".join(missing)}
            )
        active = list(Grid.objects.select_for_update().filter(active=True).order_by("id"))
        baseline = plan.report.get("comparison", {}).get("baseline_grid_ids", [])
        if sorted(g.pk for g in active) != sorted(baseline):
            raise PlanError(
                _("The grids in force changed since this plan was run: run the partition again, then adopt.")
            )
        data = load_units()
        assignment, _workload = plan_assignment(plan, data)
        shapes = grid_shapes(data, assignment, plan.k)
        kept: set[int] = set()
        adopted: list[Grid] = []
        for pg, shape in zip(pgs, shapes, strict=True):
            boundary = boundary_geojson(shape)
            if pg.grid is not None:
                assert pg.community_id is not None  # checked above
                grid = pg.grid
                grid.name, grid.community_id = pg.name, pg.community_id
                grid.responsible_officer_id = pg.responsible_officer_id
                grid.boundary, grid.active = boundary, True
                grid.save(update_fields=["name", "community", "responsible_officer", "boundary", "active"])
                kept.add(grid.pk)
            else:
                grid = Grid.objects.create(
                    code=new_grid_code(plan, pg.index)
                    if Grid.objects.filter(code=pg.code).exists()
                    else pg.code,
                    name=pg.name,
                    community_id=int(pg.community_id or 0),
                    responsible_officer_id=pg.responsible_officer_id,
                    boundary=boundary,
                    active=True,
                )
                pg.grid = grid
                pg.save(update_fields=["grid"])
            adopted.append(grid)
        retired = [g for g in active if g.pk not in kept]
        Grid.objects.filter(pk__in=[g.pk for g in retired]).update(active=False)
        buildings = list(OrgUnit.objects.filter(kind=OrgKind.BUILDING, lat__isnull=False, lon__isnull=False))
        where = locate([shapely.Point(b.lon, b.lat) for b in buildings], shapes)
        moved_buildings = []
        for b, g in zip(buildings, where.tolist(), strict=True):
            new_id = adopted[g].pk if g >= 0 else None
            if new_id != b.grid_id and (g >= 0 or b.grid_id in {r.pk for r in retired}):
                moved_buildings.append(b.pk)
                OrgUnit.objects.filter(pk=b.pk).update(grid_id=new_id)
        staffing_report = (
            staff(adopted, [pg.auxiliaries for pg in pgs], retired) if apply_staffing else {"applied": False}
        )
        plan.state = PlanState.ADOPTED
        plan.adopted_at = plan.closed_at = timezone.now()
        plan.adopted_by = actor
        plan.revision += 1
        plan.report = {
            **plan.report,
            "adoption": {
                "grids": [g.pk for g in adopted],
                "retired": [g.pk for g in retired],
                "buildings_moved": len(moved_buildings),
                "staffing": staffing_report,
            },
        }
        plan.save(
            update_fields=[
                "state",
                "adopted_at",
                "closed_at",
                "adopted_by",
                "revision",
                "report",
                "updated_at",
            ]
        )
        publish_after_commit(
            [COMMAND_GROUP],
            "grids.adopted",
            {"plan": plan.pk, "grids": [g.pk for g in adopted], "retired": [g.pk for g in retired]},
        )
    return plan
