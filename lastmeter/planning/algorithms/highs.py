"""A thin wrapper over highspy: solve ``min c.x  s.t.  rl <= A x <= ru,  l <= x <= u,  x_j integer``."""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class MilpSolution:
    status: str  # "optimal" | "time_limit" | "infeasible" | other HiGHS status text
    x: np.ndarray | None  # best solution found, None if none
    objective: float | None
    bound: float | None  # best proven lower bound
    gap: float | None  # relative gap (objective - bound) / |objective|, 0 when proven optimal
    runtime_s: float


def solve_milp(
    c: np.ndarray,
    a: sp.sparray | sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-6,
    start: np.ndarray | None = None,
    threads: int = 1,
) -> MilpSolution:
    """Solve with HiGHS. ``integer`` is a boolean mask of integer columns; ``start`` an optional feasible
    solution (a warm start). Single-threaded by default: the machines are small and shared."""
    inf = highspy.kHighsInf
    a = sp.csc_array(a)
    a.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = int(a.shape[1])
    lp.num_row_ = int(a.shape[0])
    lp.col_cost_ = np.asarray(c, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.where(np.isinf(col_upper), inf, col_upper).astype(np.float64)
    lp.row_lower_ = np.where(np.isinf(row_lower), -inf, row_lower).astype(np.float64)
    lp.row_upper_ = np.where(np.isinf(row_upper), inf, row_upper).astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous for f in integer
    ]
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(__import__("os").environ.get("HIGHS_LOG")))
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=np.float64))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    text = h.modelStatusToString(status).lower()
    if status == highspy.HighsModelStatus.kOptimal:
        text = "optimal"
    elif status == highspy.HighsModelStatus.kInfeasible:
        text = "infeasible"
    elif status == highspy.HighsModelStatus.kTimeLimit:
        text = "time_limit"
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.array(h.getSolution().col_value) if has_sol else None
    obj = float(info.objective_function_value) if has_sol else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    gap = None
    if obj is not None and bound is not None:
        gap = 0.0 if text == "optimal" else max(0.0, (obj - bound) / max(abs(obj), 1e-12))
    return MilpSolution(text, x, obj, bound, gap, float(h.getRunTime()))
