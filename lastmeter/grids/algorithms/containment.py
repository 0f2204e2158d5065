"""Containment of a fleeing vehicle: a cordon of intersections sealed by police before the suspect gets there.

The model (CUMCM 2011 B, part 2, and any city's): the suspect leaves the incident node at time 0 and drives
the shortest road paths at ``suspect_speed_kmh``; the alarm reaches the platforms ``head_start_min`` later
and each platform's car then drives to one intersection at ``police_speed_kmh``. A *cordon* is a set of
intersections that

- separates the incident from every exit of the road network (an exit may itself be on the cordon), and
- can be sealed in time: each cordon node gets its own platform (one car seals one intersection) whose
  arrival (head start + travel) is strictly earlier, by ``margin_min``, than the suspect's earliest
  arrival there.

Then every escape route passes a cordon node the suspect reaches only after police stand there: the
suspect is contained in the part of the network the cordon encloses.

``containment_plan`` chooses the cordon and the assignment lexicographically: the earliest time at which
the cordon is complete (the last node sealed), then the fewest platforms, then the least total travel.
Exact: an exponential + binary search over the candidate completion times, each a feasibility MILP
(HiGHS) — binary ``x[j, v]`` (platform j seals node v), continuous reach marks ``r[v]`` with
``r[incident] = 1``, ``r[exit] = 0`` and ``r[u] <= r[v] + sum_j x[j, v]`` on every road (u, v), so the
marks can only stop at a sealed node; a cheap necessary test (removing every node sealable by then must
cut the incident off) skips hopeless thresholds. At the optimal time one more MILP minimises
``W * platforms + total travel``. Plain arrays in and out; nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, dijkstra

from ._highs import solve_milp

TOL = 1e-9


class NoContainment(ValueError):
    """No cordon can be sealed before the suspect reaches it (the message says why)."""


@dataclass(frozen=True, eq=False)
class ContainmentPlan:
    incident: int
    cordon: np.ndarray  # (c,) node indices sealed, ordered by police arrival
    station: np.ndarray  # (c,) index into ``stations`` of the platform sealing each cordon node
    station_node: np.ndarray  # (c,) node index of that platform
    police_min: np.ndarray  # (c,) police arrival, minutes after the incident (head start included)
    suspect_min: np.ndarray  # (c,) the suspect's earliest arrival there, minutes after the incident
    completion_min: float  # the last cordon node is sealed (minutes after the incident; 0 if no cordon)
    total_min: float  # sum of police arrival times
    region: np.ndarray  # nodes the suspect may still reach: the incident's side of the cordon
    head_start_min: float
    milps: int  # MILPs solved (the search's cost)

    @property
    def slack_min(self) -> np.ndarray:
        """How long each cordon node is sealed before the suspect could arrive."""
        return self.suspect_min - self.police_min


def travel_minutes(graph: sp.sparray | sp.spmatrix, sources: np.ndarray, speed_kmh: float) -> np.ndarray:
    """``(len(sources), n)`` shortest travel minutes on the undirected graph of lengths in metres."""
    d = dijkstra(sp.csr_array(graph), directed=False, indices=np.asarray(sources, dtype=np.int64))
    return np.atleast_2d(d) / (speed_kmh * 1000.0 / 60.0)


def reachable(graph: sp.sparray | sp.spmatrix, source: int, removed: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the nodes reachable from ``source`` without entering a ``removed`` node.

    Precondition: ``source`` is not removed. Edge directions are ignored (roads are two-way here).
    """
    g = sp.csr_array(graph)
    n = g.shape[0]
    if removed is not None and len(removed):
        keep = np.ones(n)
        keep[np.asarray(removed, dtype=np.int64)] = 0.0
        mask = sp.diags_array(keep)
        g = sp.csr_array(mask @ g @ mask)
        g.eliminate_zeros()
    g = sp.csr_array(((g + g.T) != 0).astype(np.int8))
    order = breadth_first_order(g, int(source), directed=False, return_predecessors=False)
    out = np.zeros(n, dtype=bool)
    out[order] = True
    return out


def separates(graph: sp.sparray | sp.spmatrix, source: int, exits: np.ndarray, cut: np.ndarray) -> bool:
    """The graph-cut check: with the ``cut`` nodes removed, no exit is reachable from ``source``.

    An exit on the cut counts as sealed. False if ``source`` itself is on the cut or is an exit.
    """
    exits = np.asarray(exits, dtype=np.int64)
    cut = np.asarray(cut, dtype=np.int64)
    if source in set(cut.tolist()) or source in set(exits.tolist()):
        return False
    return not reachable(graph, source, cut)[exits].any()


def allowed_pairs(police_min: np.ndarray, suspect_min: np.ndarray, margin_min: float = 0.0) -> np.ndarray:
    """``(s, n)`` mask: platform j can seal node v before the suspect (arrival + margin < suspect's)."""
    return np.isfinite(police_min) & (police_min + margin_min < suspect_min[None, :] - TOL)


def containment_plan(
    graph: sp.sparray | sp.spmatrix,
    incident: int,
    stations: np.ndarray,
    exits: np.ndarray,
    *,
    head_start_min: float = 3.0,
    police_speed_kmh: float = 60.0,
    suspect_speed_kmh: float = 60.0,
    margin_min: float = 0.0,
    time_limit: float = 60.0,
) -> ContainmentPlan:
    """The optimal cordon around ``incident`` (see the module docstring).

    Preconditions: ``graph`` an ``n x n`` sparse matrix of road lengths in metres (treated as undirected);
    ``stations`` distinct node indices of the platforms; ``exits`` node indices. Raises ``NoContainment``
    when no cordon can be sealed in time, ``RuntimeError`` if a MILP hits ``time_limit``.
    """
    stations = np.asarray(stations, dtype=np.int64)
    exits = np.unique(np.asarray(exits, dtype=np.int64))
    n = graph.shape[0]
    if not 0 <= incident < n:
        raise ValueError("the incident must be a node index")
    if head_start_min < 0 or police_speed_kmh <= 0 or suspect_speed_kmh <= 0:
        raise ValueError("head start must be >= 0 and speeds > 0")
    if stations.size == 0 or np.unique(stations).size != stations.size:
        raise ValueError("stations must be distinct node indices (at least one)")
    police = head_start_min + travel_minutes(graph, stations, police_speed_kmh)
    suspect = travel_minutes(graph, np.array([incident]), suspect_speed_kmh)[0]
    return containment_from_times(
        graph, incident, stations, exits, police, suspect, head_start_min, margin_min, time_limit
    )


def containment_from_times(
    graph: sp.sparray | sp.spmatrix,
    incident: int,
    stations: np.ndarray,
    exits: np.ndarray,
    police: np.ndarray,
    suspect: np.ndarray,
    head_start_min: float = 0.0,
    margin_min: float = 0.0,
    time_limit: float = 60.0,
) -> ContainmentPlan:
    """The core of ``containment_plan`` on given times: ``police`` ``(s, n)`` arrival minutes of each
    platform (head start included), ``suspect`` ``(n,)`` the suspect's earliest arrival minutes."""
    stations = np.asarray(stations, dtype=np.int64)
    exits = np.unique(np.asarray(exits, dtype=np.int64))
    n = graph.shape[0]
    if incident in set(exits.tolist()):
        raise NoContainment("the incident is at an exit: the suspect is already out")
    comp = reachable(graph, incident)
    live_exits = exits[comp[exits]]
    if live_exits.size == 0:  # nothing to seal: the incident's part of the network has no exit
        return _plan(graph, incident, stations, police, suspect, [], [], head_start_min, 0)
    ok = allowed_pairs(police, suspect, margin_min) & comp[None, :]
    ok[:, incident] = False
    js, vs = np.nonzero(ok)
    times = police[js, vs]
    values = np.unique(times)

    def necessary(t: float) -> bool:
        sealable = np.unique(vs[times <= t + TOL])
        return not reachable(graph, incident, sealable)[live_exits].any()

    if values.size == 0 or not necessary(values[-1]):
        raise NoContainment(
            "the suspect can reach an exit along intersections that no platform reaches first: "
            "a shorter head start, faster police or more platforms are needed"
        )
    lo, hi = 0, values.size - 1  # the least index with necessary() is a lower bound on the answer
    while lo < hi:
        mid = (lo + hi) // 2
        if necessary(values[mid]):
            hi = mid
        else:
            lo = mid + 1
    edges = _directed_edges(graph, comp)
    milps = 0

    def feasible(i: int) -> bool:
        nonlocal milps
        milps += 1
        keep = times <= values[i] + TOL
        sol = _solve(n, js[keep], vs[keep], times[keep], edges, incident, live_exits, None, time_limit)
        return sol is not None

    # Exponential search upward from the lower bound (the answer is usually near it), then bisect.
    step, top, below = 1, None, lo - 1
    probe = lo
    while top is None:
        if feasible(probe):
            top = probe
        else:
            below = probe
            if probe == values.size - 1:
                raise NoContainment("no set of platforms can seal a complete cordon in time")
            probe = min(probe + step, values.size - 1)
            step *= 2
    while top - below > 1:
        mid = (top + below) // 2
        if feasible(mid):
            top = mid
        else:
            below = mid
    keep = times <= values[top] + TOL
    weight = float(stations.size * values[top] + 1.0)  # more than any possible total of travel times
    milps += 1
    x = _solve(n, js[keep], vs[keep], times[keep], edges, incident, live_exits, weight, time_limit)
    assert x is not None, "the optimal threshold became infeasible"
    chosen = np.flatnonzero(x > 0.5)
    return _plan(
        graph, incident, stations, police, suspect, js[keep][chosen], vs[keep][chosen], head_start_min, milps
    )


def _directed_edges(graph, comp: np.ndarray) -> np.ndarray:
    g = sp.coo_array(sp.csr_array(graph))
    u, v = g.row.astype(np.int64), g.col.astype(np.int64)
    keep = comp[u] & (u != v)
    u, v = u[keep], v[keep]
    both = np.unique(np.concatenate([np.stack([u, v], 1), np.stack([v, u], 1)]), axis=0)
    return both.reshape(-1, 2)


def _solve(n, js, vs, ts, edges, incident, exits, weight, time_limit) -> np.ndarray | None:
    """Feasibility (``weight is None``) or ``min weight * sum(x) + sum(t x)``; returns x or None."""
    p = js.size
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    nrow = 0
    # one platform per node, one node per platform
    for keys in (vs, js):
        uniq, inv = np.unique(keys, return_inverse=True)
        rows.append(nrow + inv)
        cols.append(np.arange(p))
        vals.append(np.ones(p))
        nrow += uniq.size
    n_cap = nrow
    # r[u] - r[v] - sum_j x[j, v] <= 0 for each directed road (u, v); r lives in columns p + node
    e = edges.shape[0]
    erow = nrow + np.arange(e)
    rows += [erow, erow]
    cols += [p + edges[:, 0], p + edges[:, 1]]
    vals += [np.ones(e), -np.ones(e)]
    pair_of_node: dict[int, list[int]] = {}
    for k, v in enumerate(vs.tolist()):
        pair_of_node.setdefault(v, []).append(k)
    er, ec = [], []
    for i, v in enumerate(edges[:, 1].tolist()):
        for k in pair_of_node.get(v, ()):
            er.append(nrow + i)
            ec.append(k)
    rows.append(np.array(er, dtype=np.int64))
    cols.append(np.array(ec, dtype=np.int64))
    vals.append(-np.ones(len(er)))
    nrow += e
    a = sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrow, p + n)
    )
    lower_r, upper_r = np.zeros(n), np.ones(n)
    lower_r[incident] = 1.0
    upper_r[exits] = 0.0
    c = np.zeros(p + n)
    if weight is not None:
        c[:p] = weight + ts
    sol = solve_milp(
        c,
        a,
        np.full(nrow, -np.inf),
        np.concatenate([np.ones(n_cap), np.zeros(e)]),
        np.concatenate([np.zeros(p), lower_r]),
        np.concatenate([np.ones(p), upper_r]),
        np.concatenate([np.ones(p, dtype=bool), np.zeros(n, dtype=bool)]),
        time_limit=time_limit,
        mip_rel_gap=0.0,
    )
    if sol.status == "infeasible":
        return None
    if sol.status != "optimal" or sol.x is None:
        raise RuntimeError(f"containment MILP not solved ({sol.status})")
    return sol.x[:p]


def _plan(graph, incident, stations, police, suspect, js, vs, head_start_min, milps) -> ContainmentPlan:
    js = np.asarray(js, dtype=np.int64)
    vs = np.asarray(vs, dtype=np.int64)
    pt = police[js, vs] if js.size else np.zeros(0)
    order = np.lexsort((vs, pt))
    js, vs, pt = js[order], vs[order], pt[order]
    region = np.flatnonzero(reachable(graph, incident, vs))
    return ContainmentPlan(
        incident=int(incident),
        cordon=vs,
        station=js,
        station_node=stations[js],
        police_min=pt,
        suspect_min=suspect[vs],
        completion_min=float(pt.max()) if pt.size else 0.0,
        total_min=float(pt.sum()),
        region=region,
        head_start_min=float(head_start_min),
        milps=int(milps),
    )
