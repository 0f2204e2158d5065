"""Planning demo data: basic units from the shipped road extract and one previewed plan.

For the demo loader (lastmeter.web.demo) to call after it has created grids, people and appeals:
``load_planning_demo()``. Safe to call twice (does nothing when units exist). Platforms are not
invented here: add real ones with ``lastmeter grids import-platforms`` or on /planning/service-areas/.
"""

from __future__ import annotations

import logging

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import RoleAssignment
from lastmeter.grids.models import Grid
from lastmeter.grids.planning_models import BasicUnit, GridPlan

log = logging.getLogger(__name__)


def load_planning_demo(*, name: str = "演示方案：按工作量重划网格") -> GridPlan | None:
    """Build the units (if there are none) and preview a plan with as many grids as are active now.

    Returns the plan, or None when the road network cannot be read or there are no grids.
    """
    from lastmeter.grids.planning import PlanParams, do_create_plan, do_preview_plan
    from lastmeter.grids.planning_report import PlanError
    from lastmeter.grids.unit_services import do_build_units
    from lastmeter.roads import services

    if not BasicUnit.objects.exists():
        try:
            graph = services.get_network().graph
        except services.RoadError as exc:
            log.warning("no planning demo: %s", exc)
            return None
        do_build_units(graph, source=services.source_path().name)
    k = Grid.objects.filter(active=True).count()
    if k == 0 or GridPlan.objects.filter(name=name).exists():
        return GridPlan.objects.filter(name=name).first()
    members = RoleAssignment.objects.filter(role=Role.GRID_MEMBER, grid__active=True).count()
    plan = do_create_plan(PlanParams(name=name, k=k, auxiliaries=members), None)
    try:
        return do_preview_plan(plan.pk)
    except PlanError as exc:
        log.warning("planning demo left as a draft: %s", exc)
        return plan
