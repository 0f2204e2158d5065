"""The plan's row lock and the helpers that the plan's write modules share.

Used by planning.services (edit, preview, hand moves) and planning.adoption. ``lock_plan`` must be
called inside ``transaction.atomic()``; the other helpers assume the caller holds the plan's lock.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _

from lastmeter.grids.models import Grid
from lastmeter.planning.models import GridPlan, PlanUnit
from lastmeter.planning.report import PlanError, UnitData


def lock_plan(plan_id: int) -> GridPlan:
    """The plan, locked (``select_for_update``) until the caller's transaction ends."""
    return GridPlan.objects.select_for_update().get(pk=plan_id)


def new_grid_code(plan: GridPlan, g: int) -> str:
    """A Grid code for grid ``g`` (0-based) of the plan that no Grid has yet."""
    code = f"plan{plan.pk}-g{g + 1}"
    n = 1
    while Grid.objects.filter(code=code).exists():
        n += 1
        code = f"plan{plan.pk}-g{g + 1}-{n}"
    return code


def plan_assignment(plan: GridPlan, data: UnitData) -> tuple[np.ndarray, np.ndarray]:
    """(assignment, workload) arrays of a previewed plan in ``data`` order; PlanError if units changed."""
    rows = dict(
        (uid, (g, w))
        for uid, g, w in PlanUnit.objects.filter(plan=plan).values_list("unit_id", "grid_index", "workload")
    )
    if len(rows) != data.n or any(u.pk not in rows for u in data.units):
        raise PlanError(_("The basic units changed since this plan was run: run the partition again."))
    assignment = np.array([rows[u.pk][0] for u in data.units], dtype=np.int64)
    workload = np.array([rows[u.pk][1] for u in data.units])
    return assignment, workload
