"""Hand adjustments of a previewed plan: contiguity is kept, with a clear refusal otherwise.

3×3 blocks; the plan is set by hand to grid 1 = the top row and the left column (an L),
grid 2 = the 2×2 square at the bottom right::

    row 2:  1 1 1
    row 1:  1 2 2
    row 0:  1 2 2
"""

from __future__ import annotations

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.planning.models import PlanGrid, PlanUnit
from lastmeter.planning.report import ContiguityRefused, PlanError
from lastmeter.planning.services import PlanParams, do_create_plan, do_move_unit, do_preview_plan
from lastmeter.planning.tests.planning_helpers import make_blocks

L_SHAPE = {(2, 0), (2, 1), (2, 2), (1, 0), (0, 0)}


@pytest.fixture
def plan(world):
    make_blocks(rows=3, cols=3)
    p = do_create_plan(PlanParams(name="L", k=2, method="heuristic", auxiliaries=2), world.leader)
    p = do_preview_plan(p.pk)
    for pu in PlanUnit.objects.filter(plan=p).select_related("unit"):
        r, c = int(pu.unit.code[1]), int(pu.unit.code[2])
        pu.grid_index = 0 if (r, c) in L_SHAPE else 1
        pu.save(update_fields=["grid_index"])
    return p


def test_it_refuses_a_move_that_splits_the_grid_it_leaves(world, plan):
    # Taking the top-middle block away cuts the top-right block off from the rest of the L.
    with pytest.raises(ContiguityRefused, match="会使该网格分裂成 2 块；网格必须连成一片。"):
        do_move_unit(plan.pk, "b21", 1)
    assert PlanUnit.objects.get(plan=plan, unit__code="b21").grid_index == 0


def test_it_refuses_a_move_to_a_grid_the_unit_does_not_touch(world, plan):
    with pytest.raises(ContiguityRefused, match="与第 2 号网格不相邻：移过去会与该网格断开。"):
        do_move_unit(plan.pk, "b20", 1)
    with pytest.raises(PlanError, match="基本单元 b20 已在第 1 号网格中。"):
        do_move_unit(plan.pk, "b20", 0)
    with pytest.raises(PlanError, match="没有第 3 号网格：本方案共有 2 个网格。"):
        do_move_unit(plan.pk, "b20", 2)
    with pytest.raises(PlanError, match="没有编号为「nope」的基本单元。"):
        do_move_unit(plan.pk, "nope", 1)


def test_it_moves_a_unit_and_recomputes_the_report(world, plan):
    p = do_move_unit(plan.pk, "b22", 1, world.leader)
    assert PlanUnit.objects.get(plan=p, unit__code="b22").grid_index == 1
    grids = {g.index: g for g in PlanGrid.objects.filter(plan=p)}
    assert (grids[0].units, grids[1].units) == (4, 5)
    assert grids[0].contiguous and grids[1].contiguous
    assert grids[0].workload + grids[1].workload == pytest.approx(1.0)
    assert grids[1].workload > grids[0].workload and grids[1].auxiliaries >= grids[0].auxiliaries
    part = p.report["partition"]
    assert part["adjusted"] is True and part["gap"] is None  # optimality no longer known
    assert p.report["manual_moves"][-1]["unit"] == "b22"
    assert p.report["figures"]["contiguous"] is True


def test_it_answers_a_refused_move_with_409_and_the_reason(world, plan):
    c = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.dispatcher, 't')}")
    r = c.post(
        f"/api/v1/planning/plans/{plan.pk}/move",
        {"unit": "b21", "to_grid": 2},
        content_type="application/json",
    )
    assert r.status_code == 409 and "网格必须连成一片" in r.json()["detail"]
    r = c.post(
        f"/api/v1/planning/plans/{plan.pk}/move",
        {"unit": "b12", "to_grid": 1},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert [g["units"] for g in r.json()["grids"]] == [6, 3]
