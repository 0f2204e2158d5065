"""Service areas of fixed stations/platforms on a road graph (the CUMCM 2011 B analyses, and any city's).

Plain arrays in and out. A road graph is a symmetric ``scipy.sparse`` matrix of edge lengths in metres
(``road_graph`` builds one from node coordinates and an edge list). Travel time is length / speed at a
constant speed (60 km/h by default, the contest's assumption; pass a lower one for congested roads).

- ``service_areas``: every node goes to the station that reaches it first (ties: lowest station index);
  nodes beyond the response target; incident-rate workload per station.
- ``bottleneck_assignment`` / ``blockade_plan``: one station per exit (a station seals one exit), so that
  the last exit is sealed as early as possible (exact: threshold search + bipartite matching), and among
  those plans the one with the least total travel (exact: assignment restricted to allowed pairs).
- ``add_platforms``: k new stations that first minimise the worst response time (exact: binary search on
  the radius + a set-cover MILP in HiGHS), then balance workload (swap local search from the cover,
  keeping the worst time) — a hybrid: optimal for response time, heuristic for balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import dijkstra, maximum_bipartite_matching

from .highs import solve_milp


def road_graph(coords: np.ndarray, edges: np.ndarray, scale: float = 1.0) -> sp.csr_array:
    """Symmetric graph of straight-line edge lengths ``|p_u - p_v| * scale`` (metres per coordinate unit).

    Preconditions: ``coords`` is ``(n, 2)``; ``edges`` is ``(m, 2)`` of 0-based node indices in ``[0, n)``.
    Duplicate edges keep the shortest length; zero-length edges get a tiny length so they stay edges.
    """
    coords = np.asarray(coords, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    n = coords.shape[0]
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError("edge endpoints must be node indices in [0, n)")
    length = np.hypot(*(coords[edges[:, 0]] - coords[edges[:, 1]]).T) * scale
    length = np.maximum(length, 1e-9)
    u = np.concatenate([edges[:, 0], edges[:, 1]])
    v = np.concatenate([edges[:, 1], edges[:, 0]])
    w = np.concatenate([length, length])
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    keep = np.ones(u.size, dtype=bool)
    keep[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return sp.csr_array((w[keep], (u[keep], v[keep])), shape=(n, n))


def undirected_lengths(
    tail: np.ndarray, head: np.ndarray, meters: np.ndarray, n: int
) -> tuple[sp.csr_array, np.ndarray]:
    """Symmetric ``n x n`` matrix of the shortest length of any arc between two nodes (either direction),
    and each node's number of neighbours. Zero-length arcs get 1 mm so that they stay edges."""
    tail, head = np.asarray(tail, dtype=np.int64), np.asarray(head, dtype=np.int64)
    lo, hi = np.minimum(tail, head), np.maximum(tail, head)
    key, inv = np.unique(lo * max(n, 1) + hi, return_inverse=True)
    length = np.full(key.size, np.inf)
    np.minimum.at(length, inv, np.asarray(meters, dtype=np.float64))
    length = np.maximum(length, 1e-3)
    u, v = key // max(n, 1), key % max(n, 1)
    m = sp.csr_array(
        (np.concatenate([length, length]), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n)
    )
    return m, np.bincount(np.concatenate([u, v]), minlength=n)


def minutes(distance_m: np.ndarray | float, speed_kmh: float) -> np.ndarray:
    return np.asarray(distance_m) / (speed_kmh * 1000.0 / 60.0)


@dataclass(frozen=True, eq=False)
class ServiceAreas:
    stations: np.ndarray  # (s,) station node indices
    assignment: np.ndarray  # (n,) index into ``stations``; -1 if no station reaches the node
    distance_m: np.ndarray  # (n,)
    time_min: np.ndarray  # (n,)
    beyond_target: np.ndarray  # node indices whose time exceeds the target (incl. unreachable)
    workload: np.ndarray  # (s,) sum of node rates per station
    nodes_per_station: np.ndarray  # (s,)
    target_min: float

    @property
    def max_time_min(self) -> float:
        t = self.time_min[np.isfinite(self.time_min)]
        return float(t.max()) if t.size else float("inf")


def service_areas(
    graph: sp.sparray | sp.spmatrix,
    stations: np.ndarray,
    rates: np.ndarray | None = None,
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
) -> ServiceAreas:
    """Assign every node to the station reaching it first. Preconditions: ``graph`` symmetric ``n x n``
    lengths in metres; ``stations`` distinct node indices; ``rates`` (default 1 per node) ``(n,)``."""
    stations = np.asarray(stations, dtype=np.int64)
    n = graph.shape[0]
    if stations.size == 0:
        raise ValueError("no stations")
    if np.unique(stations).size != stations.size:
        raise ValueError("stations must be distinct nodes")
    rates = np.ones(n) if rates is None else np.asarray(rates, dtype=np.float64)
    dist = dijkstra(sp.csr_array(graph), directed=False, indices=stations)
    return areas_from_matrix(dist, stations, rates, speed_kmh, target_min)


def areas_from_matrix(dist, stations, rates, speed_kmh, target_min) -> ServiceAreas:
    """Service areas from a (stations x nodes) distance matrix ``dist`` (metres; rows in ``stations``
    order): each node goes to its nearest station, lowest index on ties."""
    if dist.shape[0] == 0:  # no station at all (e.g. a district without platforms): nothing is reached
        dist = np.full((1, dist.shape[1]), np.inf)
    best = np.argmin(dist, axis=0)  # first minimum = lowest station index on ties
    d = dist[best, np.arange(dist.shape[1])]
    assign = np.where(np.isfinite(d), best, -1)
    t = minutes(d, speed_kmh)
    s = stations.size
    ok = assign >= 0
    return ServiceAreas(
        stations=stations,
        assignment=assign,
        distance_m=d,
        time_min=t,
        beyond_target=np.flatnonzero(~(t <= target_min + 1e-9)),
        workload=np.bincount(assign[ok], weights=rates[ok], minlength=s),
        nodes_per_station=np.bincount(assign[ok], minlength=s),
        target_min=target_min,
    )


def bottleneck_assignment(cost: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Assign every row (exit) a distinct column (station) minimising the largest cost, then the sum.

    Precondition: ``cost`` is ``(r, c)`` with ``r <= c``; ``inf`` marks a forbidden pair.
    Returns ``(col_of_row, bottleneck, total)``. Raises ``ValueError`` if no complete assignment exists.
    Exact: binary search over the distinct costs for the least threshold ``t`` at which the bipartite
    graph of pairs ``<= t`` has a matching covering every row (Hopcroft-Karp in scipy); then a min-sum
    assignment (Hungarian, scipy) over the pairs ``<= t`` only.
    """
    cost = np.asarray(cost, dtype=np.float64)
    r, c = cost.shape
    if r > c:
        raise ValueError(f"{r} exits but only {c} stations: a station seals one exit")
    values = np.unique(cost[np.isfinite(cost)])

    def covers(t: float) -> bool:
        m = sp.csr_array((cost <= t).astype(np.int8))
        return bool((maximum_bipartite_matching(m, perm_type="column") >= 0).all())

    if values.size == 0 or not covers(values[-1]):
        raise ValueError("no assignment gives every exit its own reachable station")
    lo, hi = 0, values.size - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if covers(values[mid]):
            hi = mid
        else:
            lo = mid + 1
    t = float(values[lo])
    allowed = cost <= t
    big = float(np.abs(cost[allowed]).sum()) * 2 + 1.0  # larger than any allowed complete assignment
    rows, cols = linear_sum_assignment(np.where(allowed, cost, big))
    col_of_row = np.full(r, -1, dtype=np.int64)
    col_of_row[rows] = cols
    chosen = cost[np.arange(r), col_of_row]
    assert np.all(chosen <= t), "restricted assignment left the allowed pairs"
    return col_of_row, float(chosen.max()), float(chosen.sum())


@dataclass(frozen=True)
class BlockadePlan:
    exits: np.ndarray  # (e,) exit node indices
    station_of_exit: np.ndarray  # (e,) station node sealing each exit
    time_min: np.ndarray  # (e,) travel time of that station to its exit
    last_sealed_min: float  # the bottleneck: when the last exit is sealed
    total_min: float


def blockade_plan(
    graph: sp.sparray | sp.spmatrix, stations: np.ndarray, exits: np.ndarray, speed_kmh: float = 60.0
) -> BlockadePlan:
    """Seal every exit with its own station so that the last exit is sealed as early as possible."""
    stations = np.asarray(stations, dtype=np.int64)
    exits = np.asarray(exits, dtype=np.int64)
    dist = dijkstra(sp.csr_array(graph), directed=False, indices=stations)[:, exits]  # (s, e)
    t = minutes(dist, speed_kmh).T  # (e, s)
    col, last, total = bottleneck_assignment(t)
    return BlockadePlan(exits, stations[col], t[np.arange(exits.size), col], last, total)


@dataclass(frozen=True, eq=False)
class PlatformAddition:
    k: int
    added: np.ndarray  # (k,) new station nodes
    before: ServiceAreas
    after: ServiceAreas  # stations = existing + added, in that order
    radius_min: float  # proven least worst response time reachable with k new stations
    method: str


def _cover_size(reach: np.ndarray, need: np.ndarray, time_limit: float) -> tuple[int, np.ndarray]:
    """Least number of candidates covering every needed node (set-cover MILP); returns (size, chosen)."""
    sub = reach[:, need]  # (candidates, needed)
    if not need.any():
        return 0, np.zeros(0, dtype=np.int64)
    if not sub.any(axis=0).all():
        return 10**9, np.zeros(0, dtype=np.int64)
    m = sub.shape[0]
    a = sp.csr_array(sub.T.astype(np.float64))
    sol = solve_milp(
        np.ones(m),
        a,
        np.ones(a.shape[0]),
        np.full(a.shape[0], np.inf),
        np.zeros(m),
        np.ones(m),
        np.ones(m, dtype=bool),
        time_limit=time_limit,
    )
    if sol.x is None or sol.status != "optimal":
        raise RuntimeError(f"set cover not solved to optimality ({sol.status})")
    chosen = np.flatnonzero(sol.x > 0.5)
    return int(chosen.size), chosen


def add_platforms(
    graph: sp.sparray | sp.spmatrix,
    stations: np.ndarray,
    k: int,
    rates: np.ndarray | None = None,
    candidates: np.ndarray | None = None,
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
    time_limit: float = 30.0,
    max_rounds: int = 20,
) -> PlatformAddition:
    """Place ``k`` new stations: least worst response time first (exact), then workload balance.

    Balance is lexicographic (largest station workload, then sum of squared deviations from the mean),
    improved by swapping one new site for another candidate while the worst time stays at the optimum.
    Preconditions: ``candidates`` (default: every node that is not a station) are node indices; ``k >= 1``.
    """
    stations = np.asarray(stations, dtype=np.int64)
    n = graph.shape[0]
    if candidates is None:
        candidates = np.setdiff1d(np.arange(n), stations)
    candidates = np.asarray(candidates, dtype=np.int64)
    g = sp.csr_array(graph)
    d_old = dijkstra(g, directed=False, indices=stations)
    d_new = dijkstra(g, directed=False, indices=candidates)
    return add_platforms_from_distances(
        np.atleast_2d(d_old),
        np.atleast_2d(d_new),
        stations,
        candidates,
        k,
        rates,
        speed_kmh=speed_kmh,
        target_min=target_min,
        time_limit=time_limit,
        max_rounds=max_rounds,
    )


def fewest_additions(
    d_old: np.ndarray, d_new: np.ndarray, radius_m: float, time_limit: float = 30.0
) -> tuple[int, np.ndarray]:
    """Least number of candidate rows of ``d_new`` that bring every column within ``radius_m`` (exact
    set cover), and one such choice. ``d_old`` ``(s, m)`` existing stations (may have ``s = 0``), ``d_new``
    ``(c, m)`` candidates, both in metres to the same ``m`` demand nodes. ``10**9`` if impossible."""
    base = d_old.min(axis=0) if d_old.shape[0] else np.full(d_new.shape[1], np.inf)
    return _cover_size(d_new <= radius_m, base > radius_m, time_limit)


def add_platforms_from_distances(
    d_old: np.ndarray,
    d_new: np.ndarray,
    stations: np.ndarray,
    candidates: np.ndarray,
    k: int,
    rates: np.ndarray | None = None,
    *,
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
    time_limit: float = 30.0,
    max_rounds: int = 20,
) -> PlatformAddition:
    """``add_platforms`` on precomputed distances: ``d_old`` ``(s, m)`` from the stations and ``d_new``
    ``(c, m)`` from the candidates to the ``m`` demand nodes (e.g. one district's intersections), metres.

    The returned areas are over those ``m`` demand nodes (their indices are columns, not graph nodes);
    ``stations``/``candidates`` are only labels carried into the result.
    """
    stations = np.asarray(stations, dtype=np.int64)
    candidates = np.asarray(candidates, dtype=np.int64)
    m = d_new.shape[1]
    rates = np.ones(m) if rates is None else np.asarray(rates, dtype=np.float64)
    if k < 1 or k > candidates.size:
        raise ValueError(f"k must be between 1 and {candidates.size}")
    before = areas_from_matrix(d_old, stations, rates, speed_kmh, target_min)
    base = before.distance_m
    # The optimal worst distance is one of the existing distances or a candidate-node distance.
    radii = np.unique(np.concatenate([base[np.isfinite(base)], d_new[np.isfinite(d_new)]]))
    radii = radii[radii <= (base.max() if np.isfinite(base.max()) else np.inf)]
    if radii.size == 0:
        raise ValueError("no candidate reaches any demand node")
    lo, hi = 0, radii.size - 1
    best_cover = None
    while lo < hi:
        mid = (lo + hi) // 2
        size, cover = _cover_size(d_new <= radii[mid], base > radii[mid], time_limit)
        if size <= k:
            hi, best_cover = mid, cover
        else:
            lo = mid + 1
    radius = float(radii[lo])
    if best_cover is None:
        _, best_cover = _cover_size(d_new <= radius, base > radius, time_limit)
    # Pad the cover to k sites with the candidates that cut the largest workload (greedy), then swap.
    chosen = list(best_cover.tolist())

    def score(sel: list[int]) -> tuple[float, float, float]:
        dist = np.vstack([d_old, d_new[sel]])
        a = areas_from_matrix(dist, stations, rates, speed_kmh, target_min)
        if a.distance_m.max() > radius + 1e-6:
            return (np.inf, np.inf, np.inf)
        wl = a.workload
        return (float(a.distance_m.max() > radius), float(wl.max()), float(((wl - wl.mean()) ** 2).sum()))

    while len(chosen) < k:
        opts = [c for c in range(candidates.size) if c not in chosen]
        chosen.append(min(opts, key=lambda c: score([*chosen, c])))
    cur = score(chosen)
    for _ in range(max_rounds):
        improved = False
        for pos in range(k):
            for c in range(candidates.size):
                if c in chosen:
                    continue
                trial = [*chosen[:pos], c, *chosen[pos + 1 :]]
                s = score(trial)
                if s < cur:
                    chosen, cur, improved = trial, s, True
        if not improved:
            break
    added = candidates[np.array(chosen, dtype=np.int64)]
    dist = np.vstack([d_old, d_new[chosen]])
    after = areas_from_matrix(dist, np.concatenate([stations, added]), rates, speed_kmh, target_min)
    return PlatformAddition(
        k, added, before, after, float(minutes(radius, speed_kmh)), "set-cover MILP + swap search"
    )
