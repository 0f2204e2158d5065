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
Exact, with HiGHS: binary ``x[j, v]`` (platform j seals node v), continuous reach marks ``r[v]`` with
``r[incident] = 1``, ``r[exit] = 0`` and ``r[u] <= r[v] + sum_j x[j, v]`` on every road (u, v), so the
marks can only stop at a sealed node. Cheap necessary tests (the nodes sealable by time t must cut the
incident off, with a minimum vertex cut no larger than the platforms available) give a lower bound on
the completion time; a feasibility MILP at that bound often settles it, otherwise a MILP minimises the
completion time T (``T >= t x`` for every pair); a last MILP over the pairs done by then minimises
``W * platforms + total travel``. Before that the graph is reduced exactly: dangling trees (no exit, no
incident) are dropped and every chain of degree-2 nodes becomes one node (one seal cuts a chain; each
platform takes the chain node it reaches first). Plain arrays in and out; nothing here imports Django.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, dijkstra, maximum_flow

from .highs import solve_milp

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
    optimal: bool  # False if the time limit cut the search short (the cordon is still valid)

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


def boundary_exits(xy: np.ndarray, degree: np.ndarray, tol_m: float = 100.0) -> np.ndarray:
    """Default exits of a clipped road extract: dead ends (degree 1) within ``tol_m`` of the convex hull of
    all nodes — where the extract cut roads that lead out of the mapped area.

    Preconditions: ``xy`` ``(n, 2)`` projected metres; ``degree`` ``(n,)`` road degree of each node.
    """
    import shapely

    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[0] < 3:
        return np.flatnonzero(np.asarray(degree) == 1)
    hull = shapely.convex_hull(shapely.multipoints(xy))
    edge = hull.exterior if hasattr(hull, "exterior") else hull
    near = shapely.distance(edge, shapely.points(xy)) <= tol_m
    return np.flatnonzero(near & (np.asarray(degree) == 1))


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
    platform (head start included), ``suspect`` ``(n,)`` the suspect's earliest arrival minutes.

    ``time_limit`` bounds the whole search (seconds). If it runs out after a complete cordon was found,
    that cordon is returned with ``optimal=False``; before, ``RuntimeError``.
    """
    deadline = time.monotonic() + time_limit
    stations = np.asarray(stations, dtype=np.int64)
    exits = np.unique(np.asarray(exits, dtype=np.int64))
    if incident in set(exits.tolist()):
        raise NoContainment("the incident is at an exit: the suspect is already out")
    comp = reachable(graph, incident)
    live_exits = exits[comp[exits]]
    if live_exits.size == 0:  # nothing to seal: the incident's part of the network has no exit
        return _plan(graph, incident, stations, police, suspect, [], [], head_start_min, 0, True)
    ok = allowed_pairs(police, suspect, margin_min) & comp[None, :]
    ok[:, incident] = False
    red = _reduce(graph, comp, incident, live_exits)
    js, vs, times, origin = red.pairs(police, ok)
    values = np.unique(times)
    adj = red.adjacency()

    def necessary(t: float) -> bool:
        """Cheap tests every feasible threshold passes: the nodes sealable by then cut the incident off,
        and a smallest such cut (max-flow) needs no more nodes than there are platforms able to help."""
        now = times <= t + TOL
        sealable = np.unique(vs[now])
        if reachable(adj, red.incident, sealable)[red.exits].any():
            return False
        return red.min_cut(sealable, np.unique(js[now]).size + 1) <= np.unique(js[now]).size

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
    # The lower bound is often the answer (a feasibility MILP says so); otherwise one MILP finds the
    # least completion time (T >= t x for every pair). A last one, restricted to the pairs done by then,
    # finds the fewest platforms and then the least total travel.
    milps, at_lo = 1, np.flatnonzero(times <= values[lo] + TOL)
    status, x = _solve(red, js[at_lo], vs[at_lo], times[at_lo], deadline)
    if x is not None:
        chosen = at_lo[x > 0.5]
    elif status == "no" and lo + 1 < values.size:
        milps += 1
        status, x = _solve(red, js, vs, times, deadline, bottleneck=float(values[lo + 1]))
        if status == "no":
            raise NoContainment("no set of platforms can seal a complete cordon in time")
        chosen = np.flatnonzero(x > 0.5) if x is not None else np.zeros(0, dtype=np.int64)
    elif status == "no":
        raise NoContainment("no set of platforms can seal a complete cordon in time")
    if x is None:
        raise RuntimeError("containment search ran out of time before finding any cordon")
    proven = status == "yes"
    done_by = float(times[chosen].max())
    keep = np.flatnonzero(times <= done_by + TOL)
    weight = float(stations.size * done_by + 1.0)  # more than any possible total of travel times
    status, x = _solve(red, js[keep], vs[keep], times[keep], deadline, weight=weight)
    if x is not None:
        chosen = keep[x > 0.5]
    proven = proven and status == "yes"
    return _plan(
        graph, incident, stations, police, suspect, js[chosen], origin[chosen], head_start_min, 2, proven
    )


@dataclass
class _Reduced:
    """The incident's component without dangling trees, each chain of degree-2 nodes contracted to one node.

    Exact for the cordon: a dangling tree (no exit, no incident) never needs sealing; sealing any node of
    a chain cuts exactly that chain, so one node per chain suffices — for each platform, the chain node it
    seals earliest.
    """

    n: int
    edges: np.ndarray  # (e, 2) directed edges of the reduced graph, both directions
    members: list[np.ndarray]  # original nodes of each reduced node
    incident: int
    exits: np.ndarray

    def min_cut(self, sealable: np.ndarray, cap: int) -> int:
        """Fewest nodes, all from ``sealable``, separating the incident from the exits (at most ``cap``):
        max-flow with each node split into in -> out, capacity 1 if sealable, ``cap`` otherwise."""
        n = self.n
        inner = np.full(n, cap, dtype=np.int32)
        inner[sealable] = 1
        e = self.edges
        sink = 2 * n
        rows = np.concatenate([np.arange(n), n + e[:, 0], n + self.exits])  # v_in -> v_out; u_out -> v_in
        cols = np.concatenate([n + np.arange(n), e[:, 1], np.full(self.exits.size, sink)])
        caps = np.concatenate([inner, np.full(e.shape[0] + self.exits.size, cap, dtype=np.int32)])
        g = sp.csr_array((caps.astype(np.int32), (rows, cols)), shape=(2 * n + 1, 2 * n + 1))
        return int(maximum_flow(g, n + self.incident, sink).flow_value)

    def adjacency(self) -> sp.csr_array:
        e = self.edges
        return sp.csr_array((np.ones(e.shape[0]), (e[:, 0], e[:, 1])), shape=(self.n, self.n))

    def pairs(self, police: np.ndarray, ok: np.ndarray):
        """(platform, reduced node, time, original node) of every allowed pair, earliest node per chain."""
        js, vs, ts, og = [], [], [], []
        for r, mem in enumerate(self.members):
            t = np.where(ok[:, mem], police[:, mem], np.inf)  # (s, len(mem))
            arg = np.argmin(t, axis=1)
            best = t[np.arange(t.shape[0]), arg]
            j = np.flatnonzero(np.isfinite(best))
            js.append(j)
            vs.append(np.full(j.size, r))
            ts.append(best[j])
            og.append(mem[arg[j]])
        cat = np.concatenate
        return cat(js).astype(np.int64), cat(vs).astype(np.int64), cat(ts), cat(og).astype(np.int64)


def _reduce(graph, comp: np.ndarray, incident: int, exits: np.ndarray) -> _Reduced:
    g = sp.csr_array(graph)
    g = sp.csr_array(((g + g.T) != 0).astype(np.int8))
    g.setdiag(0)
    g.eliminate_zeros()
    nbrs = [
        set(g.indices[g.indptr[v] : g.indptr[v + 1]].tolist()) if comp[v] else set()
        for v in range(g.shape[0])
    ]
    terminal = {int(incident), *exits.tolist()}
    # Drop dangling trees: non-terminal leaves, repeatedly.
    stack = [v for v in np.flatnonzero(comp).tolist() if len(nbrs[v]) <= 1 and v not in terminal]
    alive = comp.copy()
    while stack:
        v = stack.pop()
        if not alive[v]:
            continue
        alive[v] = False
        for u in nbrs[v]:
            nbrs[u].discard(v)
            if alive[u] and len(nbrs[u]) <= 1 and u not in terminal:
                stack.append(u)
        nbrs[v] = set()
    junction = [v for v in np.flatnonzero(alive).tolist() if len(nbrs[v]) != 2 or v in terminal]
    index = {v: i for i, v in enumerate(junction)}
    members = [np.array([v]) for v in junction]
    edges: list[tuple[int, int]] = []
    seen = np.zeros(g.shape[0], dtype=bool)
    for v in junction:
        for u in nbrs[v]:
            if u in index:
                edges.append((index[v], index[u]))
                continue
            if seen[u]:
                continue
            chain, prev, cur = [], v, u  # walk the chain of degree-2 nodes to the junction at its far end
            while cur not in index:
                seen[cur] = True
                chain.append(cur)
                prev, cur = cur, next(w for w in nbrs[cur] if w != prev)
            if cur == v:  # a loop back to where it started cuts nothing
                continue
            r = len(members)
            members.append(np.array(chain))
            edges += [(index[v], r), (r, index[v]), (r, index[cur]), (index[cur], r)]
    # Cycles of degree-2 nodes without any junction cannot hold the incident (a terminal): ignored.
    e = np.unique(np.array(edges, dtype=np.int64).reshape(-1, 2), axis=0)
    return _Reduced(
        len(members), e, members, index[int(incident)], np.array([index[x] for x in exits.tolist()])
    )


def _directed_edges(graph, comp: np.ndarray) -> np.ndarray:
    g = sp.coo_array(sp.csr_array(graph))
    u, v = g.row.astype(np.int64), g.col.astype(np.int64)
    keep = comp[u] & (u != v)
    u, v = u[keep], v[keep]
    both = np.unique(np.concatenate([np.stack([u, v], 1), np.stack([v, u], 1)]), axis=0)
    return both.reshape(-1, 2)


def _solve(
    red: _Reduced,
    js: np.ndarray,
    vs: np.ndarray,
    ts: np.ndarray,
    deadline: float,
    *,
    weight: float | None = None,
    bottleneck: float | None = None,
) -> tuple[str, np.ndarray | None]:
    """One cordon MILP on the reduced graph before ``deadline`` (``time.monotonic``): with ``bottleneck``
    (a lower bound on it) minimise the completion time; with ``weight`` minimise
    ``weight * platforms + total time``. Returns ('yes' | 'no' | 'unknown', x of the best solution found)."""
    n, edges, p = red.n, red.edges, js.size
    extra = 1 if bottleneck is not None else 0  # the completion time T, last column
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
    c = np.zeros(p + n + extra)
    if weight is not None:
        c[:p] = weight + ts
    if extra:  # t_k x_k - T <= 0 for every pair k
        trow = nrow + np.arange(p)
        rows += [trow, trow]
        cols += [np.arange(p), np.full(p, p + n)]
        vals += [ts, -np.ones(p)]
        nrow += p
        c[-1] = 1.0
    a = sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrow, p + n + extra)
    )
    lower_r, upper_r = np.zeros(n), np.ones(n)
    lower_r[red.incident] = 1.0
    upper_r[red.exits] = 0.0
    sol = solve_milp(
        c,
        a,
        np.full(nrow, -np.inf),
        np.concatenate([np.ones(n_cap), np.zeros(nrow - n_cap)]),
        np.concatenate([np.zeros(p), lower_r, [bottleneck] if extra else []]),
        np.concatenate([np.ones(p), upper_r, [np.inf] if extra else []]),
        np.concatenate([np.ones(p, dtype=bool), np.zeros(n + extra, dtype=bool)]),
        time_limit=max(deadline - time.monotonic(), 0.01),
        mip_rel_gap=0.0,
    )
    if sol.status == "infeasible":
        return "no", None
    x = sol.x[:p] if sol.x is not None else None
    return ("yes" if sol.status == "optimal" else "unknown"), x


def _plan(
    graph, incident, stations, police, suspect, js, vs, head_start_min, milps, optimal
) -> ContainmentPlan:
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
        optimal=bool(optimal),
    )
