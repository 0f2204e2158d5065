"""A grid plan's life: create, preview (report), edit back to draft, adopt or discard; refused steps."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.planning.choices import PLAN_TRANSITIONS, PlanState, PlanTransitionError, check_plan_transition
from lastmeter.planning.models import GridPlan
from lastmeter.planning.report import PlanError, smoothed_counts
from lastmeter.planning.services import (
    PlanParams,
    do_create_plan,
    do_discard_plan,
    do_preview_plan,
    do_update_plan,
)
from lastmeter.planning.tests.planning_helpers import make_blocks


def api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 't')}")


def test_it_states_every_transition_in_one_table():
    allowed = {(a, b) for a, targets in PLAN_TRANSITIONS.items() for b in targets}
    for a in PlanState.values:
        for b in PlanState.values:
            if (a, b) in allowed:
                check_plan_transition(a, b)
            else:
                with pytest.raises(PlanTransitionError):
                    check_plan_transition(a, b)
    assert not PLAN_TRANSITIONS[PlanState.ADOPTED] and not PLAN_TRANSITIONS[PlanState.DISCARDED]


def test_it_previews_a_plan_with_its_report_over_the_api(world):
    make_blocks({(0, 0): 3, (1, 0): 3})
    c = api(world.leader)
    r = c.post(
        "/api/v1/planning/plans",
        {
            "name": "春季调整",
            "k": 2,
            "method": "exact",
            "weights": {"accidents": 1.0},
            "auxiliaries": 3,
            "count_prior": 0,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["state"] == "draft" and plan["report"] is None
    r = c.post(f"/api/v1/planning/plans/{plan['id']}/preview")
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["state"] == "previewed"
    rep = d["report"]
    assert rep["method"] == "milp" and rep["status"] == "optimal" and rep["gap"] == pytest.approx(0, abs=1e-6)
    assert rep["contiguous"] is True and rep["max_deviation_pct"] <= 5 + 1e-9
    assert [g["units"] for g in d["grids"]] and sum(g["units"] for g in d["grids"]) == 8
    assert sum(g["workload"] for g in d["grids"]) == pytest.approx(1.0)
    # One officer per grid, 3 auxiliaries apportioned within 1 of each grid's fair share.
    assert sum(g["staffing"]["auxiliaries"] for g in d["grids"]) == 3
    for g in d["grids"]:
        assert abs(g["staffing"]["auxiliaries"] - g["staffing"]["quota"]) < 1
    # The current grids A and B are not balanced under these weights: the plan moves units.
    cmp = d["comparison"]
    assert cmp["moved_count"] > 0 and {r["grid"] for r in cmp["workload_before"]} == {"grid-a", "grid-b"}
    assert {g["continues_grid"]["code"] for g in d["grids"]} == {"grid-a", "grid-b"}
    geo = c.get(f"/api/v1/planning/plans/{plan['id']}/geojson", {"units": "true"}).json()
    layers = [f["properties"]["layer"] for f in geo["features"]]
    assert layers.count("grid") == 2 and layers.count("unit") == 8


def test_it_goes_back_to_draft_when_parameters_change_and_refuses_final_states(world):
    make_blocks()
    plan = do_create_plan(PlanParams(name="p", k=2, method="exact"), world.leader)
    with pytest.raises(PlanError):
        do_update_plan(plan.pk, PlanParams(k=0))
    with pytest.raises(PlanError, match="警力是供给而非需求"):
        do_update_plan(plan.pk, PlanParams(weights={"police_strength": 1.0}))
    plan = do_preview_plan(plan.pk)
    assert plan.state == PlanState.PREVIEWED
    # Only the number of auxiliaries changes: the plan stays previewed, staffing is recomputed.
    plan = do_update_plan(plan.pk, PlanParams(auxiliaries=5, note="more auxiliaries from May"))
    assert plan.state == PlanState.PREVIEWED and sum(g.auxiliaries for g in plan.grids.all()) == 5
    plan = do_update_plan(plan.pk, PlanParams(k=3, name="renamed"))
    assert plan.state == PlanState.DRAFT and plan.report == {} and not plan.grids.exists()
    plan = do_discard_plan(plan.pk)
    assert plan.state == PlanState.DISCARDED
    with pytest.raises(PlanTransitionError):
        do_preview_plan(plan.pk)
    with pytest.raises(PlanTransitionError):
        do_update_plan(plan.pk, PlanParams(k=2))
    c = api(world.dispatcher)
    r = c.post(f"/api/v1/planning/plans/{plan.pk}/adopt")
    assert r.status_code == 409 and "「已弃用」，这是最终状态" in r.json()["detail"]
    r = c.post(f"/api/v1/planning/plans/{plan.pk}/discard")
    assert r.status_code == 409


def test_it_refuses_to_adopt_a_draft_and_explains_bad_input(world):
    make_blocks()
    c = api(world.dispatcher)
    plan = c.post("/api/v1/planning/plans", {"k": 2}, content_type="application/json").json()
    r = c.post(f"/api/v1/planning/plans/{plan['id']}/adopt")
    assert r.status_code == 409 and "请先运行划分，再采用" in r.json()["detail"]
    assert GridPlan.objects.get(pk=plan["id"]).state == PlanState.DRAFT
    r = c.post("/api/v1/planning/plans", {"k": 2, "weights": {"crime": 1}}, content_type="application/json")
    assert r.status_code == 400 and "未知的工作量因素「crime」" in r.json()["detail"]
    big = c.post("/api/v1/planning/plans", {"k": 9}, content_type="application/json").json()
    r = c.post(f"/api/v1/planning/plans/{big['id']}/preview")
    assert r.status_code == 400 and "K = 9 超过了基本单元总数 8" in r.json()["detail"]
    assert c.get("/api/v1/planning/plans/999999").status_code == 404


def test_it_reports_an_infeasible_balance_instead_of_failing(world):
    # One block carries nearly all accidents: no contiguous split into 2 grids fits ±1 %.
    make_blocks({(0, 0): 1000})
    plan = do_create_plan(
        PlanParams(name="p", k=2, method="exact", tolerance=0.01, weights={"accidents": 1.0}, count_prior=0),
        world.leader,
    )
    with pytest.raises(PlanError, match=r"tolerance|grids"):
        do_preview_plan(plan.pk)
    assert GridPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT


def test_it_shrinks_sparse_counts_towards_road_length():
    km = np.array([1.0, 1.0, 2.0, 0.0])
    # 0.5 events per unit = 2 events spread by road length (0.5, 0.5, 1, 0).
    assert smoothed_counts(np.array([1.0, 0, 0, 0]), km, 0.5).tolist() == [1.5, 0.5, 1.0, 0.0]
    assert smoothed_counts(np.array([1.0, 0, 0, 0]), km, 0).tolist() == [1.0, 0, 0, 0]
    assert smoothed_counts(np.zeros(2), np.zeros(2), 1.0).tolist() == [1.0, 1.0]


def test_it_does_not_let_one_recorded_accident_dominate_the_workload(world):
    make_blocks({(0, 0): 1} | {(r, c): 0 for r in range(2) for c in range(4) if (r, c) != (0, 0)})
    smooth = do_preview_plan(do_create_plan(PlanParams(name="s", k=2, weights={"accidents": 1.0}), None).pk)
    # Smoothed (0.5 events per block), the block is 1.5 of 5 events: two grids within ±5 % exist.
    assert smooth.report["figures"]["max_deviation_pct"] <= 5 + 1e-9
    # Raw, that block is all the demand: no split is balanced even within ±99 %.
    raw = do_create_plan(
        PlanParams(name="r", k=2, weights={"accidents": 1.0}, count_prior=0, tolerance=0.99), None
    )
    with pytest.raises(PlanError, match="99%"):
        do_preview_plan(raw.pk)
