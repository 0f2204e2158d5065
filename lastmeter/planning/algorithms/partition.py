"""Divide a jurisdiction's basic units into K contiguous, compact grids balanced in workload.

One entry point, ``partition(units, k, ...)``:
- ``method="milp"``: exact p-median MILP with flow contiguity and a balance band (``partition_exact``);
  HiGHS reports the optimality gap (0 when proven optimal). Tens of units.
- ``method="heuristic"``: region growing + contiguity-preserving local search (``partition_heuristic``);
  thousands of units in seconds. With ``reference=True`` on a small instance the MILP is solved too and
  the heuristic's gap to the proven optimum is reported.
- ``method="auto"`` (default): the MILP (warm-started with the heuristic) up to ``exact_limit`` units,
  the heuristic above.

Both optimise the same thing, in the same order: first every grid's workload inside the band
``[(1-tol)T, (1+tol)T]`` (``T`` = total/K), then compactness as the p-median cost (see ``metrics``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import metrics
from .partition_exact import solve_exact
from .partition_heuristic import solve_heuristic
from .units import Units

EXACT_LIMIT = 40


class InfeasibleBalance(ValueError):
    """No contiguous partition into K grids keeps every grid within the balance band (proven by the MILP)."""


@dataclass(frozen=True, eq=False)
class PartitionResult:
    """A partition and its report. Deviations are fractions (0.02 = 2 %)."""

    assignment: np.ndarray  # (n,) grid index in [0, k) for every unit
    k: int
    method: str  # "milp" | "heuristic"
    status: str  # "optimal" | "time_limit" (MILP stopped early) | "feasible" (heuristic) | "out_of_band"
    tol: float
    target: float  # fair workload per grid, total / k
    grid_workload: np.ndarray  # (k,)
    deviation: np.ndarray  # (k,) (W_g - T) / T
    max_deviation: float
    compactness: np.ndarray  # (k,) moment-of-inertia ratio, 1 = disc
    centres: np.ndarray  # (k,) centre unit of each grid (the p-median medoid)
    cost: float  # p-median objective (area-weighted squared distance to the centre unit)
    contiguous_grids: np.ndarray  # (k,) bool
    gap: float | None  # relative optimality gap, when known
    lower_bound: float | None  # proven lower bound on the cost, when known
    gap_source: str | None  # "milp" (solver's own bound) | "milp_reference" (vs the proven optimum)
    runtime_s: float

    @property
    def contiguous(self) -> bool:
        return bool(self.contiguous_grids.all())

    @property
    def max_deviation_pct(self) -> float:
        return 100.0 * self.max_deviation

    def to_dict(self) -> dict:
        """JSON-friendly report (lists and floats only)."""
        return {
            "k": self.k,
            "method": self.method,
            "status": self.status,
            "tol": self.tol,
            "target": self.target,
            "grid_workload": self.grid_workload.tolist(),
            "deviation": self.deviation.tolist(),
            "max_deviation_pct": self.max_deviation_pct,
            "compactness": self.compactness.tolist(),
            "mean_compactness": float(self.compactness.mean()),
            "centres": self.centres.tolist(),
            "cost": self.cost,
            "contiguous": self.contiguous,
            "gap": self.gap,
            "lower_bound": self.lower_bound,
            "gap_source": self.gap_source,
            "runtime_s": self.runtime_s,
        }


def _report(units, k, assignment, method, status, tol, gap, bound, gap_source, t0) -> PartitionResult:
    gw = metrics.grid_workload(units, assignment, k)
    target = float(units.workload.sum()) / k
    dev = (gw - target) / target
    cost, centres = metrics.partition_cost(units, assignment, k)
    mdev = float(np.abs(dev).max())
    if status == "feasible" and mdev > tol + 1e-9:
        status = "out_of_band"
    return PartitionResult(
        assignment=assignment,
        k=k,
        method=method,
        status=status,
        tol=tol,
        target=target,
        grid_workload=gw,
        deviation=dev,
        max_deviation=mdev,
        compactness=metrics.compactness(units, assignment, k),
        centres=centres,
        cost=cost,
        contiguous_grids=metrics.contiguous_grids(units, assignment, k),
        gap=gap,
        lower_bound=bound,
        gap_source=gap_source,
        runtime_s=time.perf_counter() - t0,
    )


def partition(
    units: Units,
    k: int,
    *,
    method: str = "auto",
    tol: float = 0.02,
    time_limit: float = 60.0,
    seed: int = 0,
    restarts: int | None = None,
    kicks: int | None = None,
    exact_limit: int = EXACT_LIMIT,
    reference: bool = False,
) -> PartitionResult:
    """Partition ``units`` into ``k`` grids.

    Preconditions (``ValueError`` otherwise): ``units`` from ``make_units``; its adjacency is connected
    (split a jurisdiction with islands first, or join them with a ferry/bridge edge); ``1 <= k <= n``;
    ``0 <= tol < 1``; ``method`` in {"auto", "milp", "heuristic"}.
    ``time_limit`` bounds the MILP (and the heuristic's restarts). ``restarts``/``kicks`` tune the
    heuristic (defaults: thorough on small instances, one pass on large ones).
    Raises ``InfeasibleBalance`` when the MILP proves that no contiguous partition fits the band.
    """
    t0 = time.perf_counter()
    n = units.n
    if method not in {"auto", "milp", "heuristic"}:
        raise ValueError(f"unknown method {method!r}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of units ({n}), got {k}")
    if not 0 <= tol < 1:
        raise ValueError("tol must be in [0, 1)")
    comps = units.n_components()
    if comps != 1:
        raise ValueError(f"the unit adjacency has {comps} separate parts; partition each part on its own")
    small = n <= 200
    if restarts is None:
        restarts = 8 if small else 1
    if kicks is None:
        kicks = 60 if small else 0
    use_milp = method == "milp" or (method == "auto" and n <= exact_limit)
    if use_milp:
        # Only a warm start for the MILP, which proves optimality anyway: keep it light.
        restarts, kicks = min(restarts, 3), min(kicks, 10)
    heur = solve_heuristic(units, k, tol, seed=seed, restarts=restarts, kicks=kicks, time_limit=time_limit)
    if use_milp:
        start = heur.assignment if heur.max_deviation <= tol + 1e-12 else None
        ex = solve_exact(units, k, tol, time_limit=time_limit, start=start)
        if ex.status == "infeasible":
            raise InfeasibleBalance(
                f"no contiguous partition into {k} grids keeps every grid within ±{100 * tol:g}% of the mean"
                " workload; allow a wider tolerance or choose another number of grids"
            )
        if ex.assignment is not None:
            status = "optimal" if ex.status == "optimal" else "time_limit"
            return _report(units, k, ex.assignment, "milp", status, tol, ex.gap, ex.bound, "milp", t0)
        # The MILP found nothing in time: fall back to the heuristic's answer, gap unknown.
        return _report(units, k, heur.assignment, "heuristic", "feasible", tol, None, ex.bound, None, t0)
    gap = bound = source = None
    if reference and n <= exact_limit:
        ex = solve_exact(units, k, tol, time_limit=time_limit, start=heur.assignment)
        if ex.status == "optimal" and ex.objective is not None and heur.max_deviation <= tol + 1e-12:
            bound = ex.objective
            gap = max(0.0, heur.cost - ex.objective) / max(ex.objective, 1e-12)
            source = "milp_reference"
    return _report(units, k, heur.assignment, "heuristic", "feasible", tol, gap, bound, source, t0)
