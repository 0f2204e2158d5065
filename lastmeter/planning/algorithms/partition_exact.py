"""Exact grid partitioning: a p-median MILP with flow-based contiguity and balance constraints (HiGHS).

Model (``i`` unit, ``j`` candidate centre, ``d2`` squared centroid distance, ``a`` area, ``w`` workload,
target ``T = sum(w)/k``, band ``L = (1-tol) T``, ``U = (1+tol) T``):

    min  sum_ij a_i d2_ij x_ij
    s.t. sum_j x_ij = 1                      every unit in one grid
         x_ij <= x_jj                        only open centres take units
         sum_j x_jj = k                      k grids
         L x_jj <= sum_i w_i x_ij <= U x_jj  balance
         flow: every member u != j of grid j sends one unit of commodity j, through members of grid j
         only, to j:  out_j(u) - in_j(u) = x_uj,   in_j(v) <= M x_vj          (contiguity, Shirabe 2005)
         x_ij <= sum_{v in N(i)} x_vj (i != j)   a member has a member neighbour (valid cut, tightens LP)

Pairs ``(i, j)`` are pruned when even the lightest path of units from ``j`` to ``i`` outweighs ``U`` —
such a grid could not be contiguous and balanced, so the pruning never removes a feasible solution.
The model grows as ``n^2`` binaries plus ``n * 2|E|`` flows: fine for tens of units, not for thousands
(use the heuristic there).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .highs import solve_milp
from .metrics import partition_cost
from .units import Units


@dataclass(frozen=True)
class ExactResult:
    status: str  # "optimal" | "time_limit" | "infeasible" | ...
    assignment: np.ndarray | None  # (n,) grid index, grids numbered by centre unit order
    centres: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float


def _candidates(units: Units, upper: float) -> list[np.ndarray]:
    """For every centre j, the units i whose lightest j->i unit path weighs at most ``upper``."""
    n = units.n
    w = units.workload
    adj = units.adjacency().tocoo()
    # Arc u->v costs w[v] (plus a hair so that zero-workload arcs stay edges for csgraph).
    g = sp.csr_array((w[adj.col] + 1e-12, (adj.row, adj.col)), shape=(n, n))
    dist = dijkstra(g, directed=True) + w[:, None]
    tol = 1e-9 * max(upper, 1.0)
    return [np.flatnonzero(dist[j] <= upper + tol) for j in range(n)]


def _flows_for(assign: np.ndarray, centres: np.ndarray, nbrs: list[list[int]]) -> dict:
    """A feasible flow for a contiguous assignment: BFS tree to each centre, arc flow = subtree size."""
    flows = {}
    for g, c in enumerate(centres):
        parent = {int(c): -1}
        order = [int(c)]
        q = deque([int(c)])
        while q:
            u = q.popleft()
            for v in nbrs[u]:
                if assign[v] == g and v not in parent:
                    parent[v] = u
                    order.append(v)
                    q.append(v)
        size = dict.fromkeys(order, 1)
        for u in reversed(order[1:]):
            size[parent[u]] += size[u]
            flows[(int(c), u, parent[u])] = float(size[u])
    return flows


def solve_exact(
    units: Units,
    k: int,
    tol: float,
    time_limit: float = 60.0,
    start: np.ndarray | None = None,
) -> ExactResult:
    """Solve the model above. ``start`` is an optional feasible assignment (contiguous, within the band)
    used as a warm start. Preconditions: ``1 <= k <= n``, ``tol >= 0``, adjacency connected."""
    n = units.n
    w = units.workload
    target = w.sum() / k
    hi = (1 + tol) * target
    if w.max() > hi * (1 + 1e-12):
        # A single unit heavier than the band's top fits in no grid.
        return ExactResult("infeasible", None, None, None, None, None, 0.0)
    nbrs = units.neighbours()
    cand = _candidates(units, hi)
    # Column layout: x variables first (pair list), then flows.
    pair_i: list[int] = []
    pair_j: list[int] = []
    for j in range(n):
        pair_i.extend(cand[j].tolist())
        pair_j.extend([j] * len(cand[j]))
    pi = np.array(pair_i)
    pj = np.array(pair_j)
    nx = pi.size
    xcol = {(int(i), int(j)): c for c, (i, j) in enumerate(zip(pi, pj, strict=True))}
    d2 = ((units.centroids[pi] - units.centroids[pj]) ** 2).sum(axis=1)
    # Costs in metres^2 reach 1e11 and slow HiGHS down badly (tolerances are absolute in places); measure
    # them in units of (typical neighbour distance)^2 * (typical area) instead and scale back at the end.
    nb_d2 = (
        (units.centroids[np.repeat(np.arange(n), np.diff(units.indptr))] - units.centroids[units.indices])
        ** 2
    ).sum(axis=1)
    scale = float(np.median(nb_d2[nb_d2 > 0])) if np.any(nb_d2 > 0) else 1.0
    scale *= float(np.median(units.area))
    cost = [units.area[pi] * d2 / scale]
    fcol: dict[tuple[int, int, int], int] = {}
    nxt = nx
    for j in range(n):
        members = set(cand[j].tolist())
        for u in cand[j]:
            u = int(u)
            if u == j:
                continue  # nothing flows out of the centre
            for v in nbrs[u]:
                if v in members:
                    fcol[(j, u, v)] = nxt
                    nxt += 1
    ncol = nxt
    cost.append(np.zeros(ncol - nx))
    big_m = float(n - k)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    rl: list[float] = []
    ru: list[float] = []

    def row(entries: list[tuple[int, float]], lower: float, upper: float) -> None:
        r = len(rl)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        rl.append(lower)
        ru.append(upper)

    by_unit: list[list[int]] = [[] for _ in range(n)]
    for c, i in enumerate(pi):
        by_unit[int(i)].append(c)
    for i in range(n):
        row([(c, 1.0) for c in by_unit[i]], 1.0, 1.0)
    row([(xcol[(j, j)], 1.0) for j in range(n)], float(k), float(k))
    inflow: dict[tuple[int, int], list[int]] = {}
    outflow: dict[tuple[int, int], list[int]] = {}
    for (j, u, v), c in fcol.items():
        outflow.setdefault((j, u), []).append(c)
        inflow.setdefault((j, v), []).append(c)
    for j in range(n):
        jj = xcol[(j, j)]
        members = cand[j].tolist()
        # Balance rows in units of the target: workloads are often tiny shares, and HiGHS's absolute
        # feasibility tolerance (1e-7) would otherwise let a grid slip past the band.
        load = [(xcol[(i, j)], float(w[i]) / target) for i in members]
        row([*load, (jj, -(1 + tol))], -np.inf, 0.0)
        row([*load, (jj, -(1 - tol))], 0.0, np.inf)
        mset = set(members)
        for i in members:
            if i == j:
                continue
            xij = xcol[(i, j)]
            row([(xij, 1.0), (jj, -1.0)], -np.inf, 0.0)
            near = [xcol[(v, j)] for v in nbrs[i] if v in mset]
            row([(xij, 1.0)] + [(c, -1.0) for c in near], -np.inf, 0.0)
            ent = [(c, 1.0) for c in outflow.get((j, i), [])]
            ent += [(c, -1.0) for c in inflow.get((j, i), [])]
            row([*ent, (xij, -1.0)], 0.0, 0.0)
            row([(c, 1.0) for c in inflow.get((j, i), [])] + [(xij, -big_m)], -np.inf, 0.0)
    a = sp.coo_array((vals, (rows, cols)), shape=(len(rl), ncol))
    integer = np.zeros(ncol, dtype=bool)
    integer[:nx] = True
    col_upper = np.concatenate([np.ones(nx), np.full(ncol - nx, big_m)])
    x0 = None
    if start is not None:
        x0 = _warm_start(units, start, k, xcol, fcol, nbrs, ncol)
    sol = solve_milp(
        np.concatenate(cost),
        a,
        np.array(rl),
        np.array(ru),
        np.zeros(ncol),
        col_upper,
        integer,
        time_limit=time_limit,
        start=x0,
    )
    if sol.x is None:
        bound = None if sol.bound is None else sol.bound * scale
        return ExactResult(sol.status, None, None, None, bound, None, sol.runtime_s)
    xv = sol.x[:nx] > 0.5
    centres = np.array(sorted(int(j) for i, j in zip(pi[xv], pj[xv], strict=True) if i == j))
    grid_of_centre = {int(c): g for g, c in enumerate(centres)}
    assign = np.full(n, -1, dtype=np.int64)
    for i, j in zip(pi[xv], pj[xv], strict=True):
        assign[int(i)] = grid_of_centre[int(j)]
    bound = None if sol.bound is None else sol.bound * scale
    assert sol.objective is not None  # a solution (sol.x) always comes with its objective
    return ExactResult(sol.status, assign, centres, sol.objective * scale, bound, sol.gap, sol.runtime_s)


def _warm_start(units, start, k, xcol, fcol, nbrs, ncol):
    """Columns for a heuristic assignment, or None when it does not fit the model (e.g. out of band)."""
    start = np.asarray(start)
    _, centres = partition_cost(units, start, k)
    if np.any(centres < 0):
        return None
    x0 = np.zeros(ncol)
    for i in range(units.n):
        c = xcol.get((i, int(centres[start[i]])))
        if c is None:
            return None
        x0[c] = 1.0
    for key, val in _flows_for(start, centres, nbrs).items():
        c = fcol.get(key)
        if c is None:
            return None
        x0[c] = val
    return x0
