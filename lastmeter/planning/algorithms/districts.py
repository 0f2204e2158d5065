"""A city-wide review of fixed platforms, district by district (CUMCM 2011 B part 2 question 1, and any city's).

Each district answers for its own intersections with its own platforms (how jurisdictions work: a
district's platforms take its calls), driving on the whole road network. Per district: coverage within the
response target, the worst and the incident-weighted mean response time, each platform's workload (sum of
the incident rates of the intersections it reaches first) and its spread (coefficient of variation,
max/min), and the incidents per platform against the city's average.

``review_districts`` then judges each district (``Finding``: no platform, intersections beyond the target,
unbalanced workload, too much or too little load per platform) and proposes a fix per district:

1. relocate at most ``max_moves`` platforms (best-improvement local search; each move takes one platform
   to another intersection of the district so that, in this order, fewer intersections lie beyond the
   target, the worst time falls, the largest workload falls, the workloads spread less);
2. add the fewest platforms that bring every intersection within the target (exact set cover), or more
   if the district's load per platform stays above the city's by more than ``load_tolerance`` — at most
   ``max_add`` — placed by ``add_platforms_from_distances`` (least worst time, then balance).

Plain arrays in and out; nothing here imports Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .service_areas import add_platforms_from_distances, areas_from_matrix, fewest_additions

EPS = 1e-6  # metres: distances within this of the target count as within it


@dataclass(frozen=True, eq=False)
class DistrictFigures:
    district: int
    intersections: int
    platforms: int
    incident_rate: float  # sum of the district's node rates
    beyond_target: int
    covered_pct: float
    worst_time_min: float  # inf if some intersection is unreachable by the district's platforms
    mean_time_min: float  # incident-weighted mean response time (finite nodes only)
    workload: np.ndarray  # (platforms,) incident rate each platform answers for
    assignment: np.ndarray  # (intersections,) index into the district's platforms, -1 unreachable

    @property
    def rate_per_platform(self) -> float:
        return self.incident_rate / self.platforms if self.platforms else math.inf

    @property
    def workload_cv(self) -> float:
        """Standard deviation / mean of the platform workloads (0 = perfectly even)."""
        w = self.workload
        return float(w.std() / w.mean()) if w.size and w.mean() > 0 else 0.0

    @property
    def workload_max_min(self) -> tuple[float, float]:
        return (float(self.workload.max()), float(self.workload.min())) if self.workload.size else (0.0, 0.0)

    def as_dict(self) -> dict:
        """Rounded plain figures for reports (JSON has no infinity: ``None`` means unreachable)."""
        hi, lo = self.workload_max_min
        return {
            "platforms": self.platforms,
            "intersections": self.intersections,
            "incidents": round(self.incident_rate, 3),
            "beyond_target": self.beyond_target,
            "covered_pct": round(self.covered_pct, 1),
            "worst_time_min": finite(self.worst_time_min),
            "mean_time_min": finite(self.mean_time_min),
            "workload_max": round(hi, 3),
            "workload_min": round(lo, 3),
            "workload_cv": round(self.workload_cv, 3),
            "incidents_per_platform": finite(self.rate_per_platform, 3),
        }


def finite(v: float, digits: int = 2) -> float | None:
    """``v`` rounded, or ``None`` if it is infinite (unreachable) — for JSON, which has no infinity."""
    return round(float(v), digits) if math.isfinite(v) else None


def district_figures(
    dist: np.ndarray,
    rates: np.ndarray,
    *,
    district: int = 0,
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
) -> DistrictFigures:
    """Figures of one district from ``dist`` ``(s, m)``: metres from its ``s`` platforms to its ``m``
    intersections (``s`` may be 0), and ``rates`` ``(m,)``."""
    dist = np.asarray(dist, dtype=np.float64).reshape(-1, np.asarray(rates).size)
    a = areas_from_matrix(dist, np.arange(dist.shape[0]), np.asarray(rates, float), speed_kmh, target_min)
    m = rates.size
    t = a.time_min
    fin = np.isfinite(t)
    wsum = float(rates[fin].sum())
    mean = (
        float((t[fin] * rates[fin]).sum() / wsum) if wsum > 0 else float(t[fin].mean()) if fin.any() else 0.0
    )
    return DistrictFigures(
        district=district,
        intersections=int(m),
        platforms=int(dist.shape[0]),
        incident_rate=float(rates.sum()),
        beyond_target=int(a.beyond_target.size),
        covered_pct=100.0 * (m - a.beyond_target.size) / m if m else 100.0,
        worst_time_min=float(t.max()) if m else 0.0,
        mean_time_min=mean,
        workload=a.workload[: dist.shape[0]],
        assignment=a.assignment,
    )


@dataclass(frozen=True)
class Finding:
    district: int
    kind: str  # "no_platform" | "beyond_target" | "unbalanced" | "overloaded" | "underloaded"
    value: float
    detail: str


@dataclass(frozen=True, eq=False)
class DistrictProposal:
    district: int
    before: DistrictFigures
    moves: list[tuple[int, int]]  # (from node, to node) of each platform that moves, graph node indices
    relocated: DistrictFigures
    needed_for_target: int  # fewest additions that reach the target after relocating (10**9: impossible)
    added: np.ndarray  # graph node indices of the new platforms
    after: DistrictFigures
    stations_after: np.ndarray  # graph node indices: the relocated platforms, then the added ones


@dataclass(frozen=True, eq=False)
class CityReview:
    districts: list[int]
    before: list[DistrictFigures]
    findings: list[Finding]
    proposals: list[DistrictProposal]
    city_rate_per_platform: float
    speed_kmh: float
    target_min: float


def label_points(lon: np.ndarray, lat: np.ndarray, polygons: list) -> np.ndarray:
    """Index of the first of ``polygons`` (shapely geometries, lon/lat) covering each point; -1 if none."""
    import shapely

    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    out = np.full(lon.shape, -1, dtype=np.int64)
    for i, poly in enumerate(polygons):
        inside = shapely.intersects_xy(poly, lon, lat)  # a point on the boundary counts as inside
        out[(out < 0) & inside] = i
    return out


def onto_nearest(rates: np.ndarray, xy: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``rates`` with every non-target node's rate moved to its nearest ``targets`` node (straight line)."""
    from scipy.spatial import cKDTree

    r = np.asarray(rates, dtype=np.float64).copy()
    off = np.setdiff1d(np.flatnonzero(r), targets)
    if off.size and len(targets):
        _, j = cKDTree(xy[targets]).query(xy[off])
        np.add.at(r, np.asarray(targets)[np.asarray(j)], r[off])
        r[off] = 0.0
    return r


def relocation_score(dist: np.ndarray, rates: np.ndarray, radius_m: float) -> tuple[float, ...]:
    """(beyond target, worst distance, largest workload, sum of squared workload deviations); lower wins."""
    if dist.shape[0] == 0:
        return (float(dist.shape[1]), math.inf, 0.0, 0.0)
    arg = np.argmin(dist, axis=0)
    d = dist[arg, np.arange(dist.shape[1])]
    wl = np.bincount(arg, weights=rates, minlength=dist.shape[0])
    return _key(
        float((d > radius_m + EPS).sum()),
        float(d.max()),
        float(wl.max()),
        float(((wl - wl.mean()) ** 2).sum()),
    )


def _key(beyond: float, worst: float, wmax: float, ssd: float) -> tuple[float, ...]:
    # Rounded so that float noise never counts as an improvement (the search must not cycle).
    return (beyond, round(worst, 3), round(wmax, 6), round(ssd, 6))


def relocate(
    dist: np.ndarray, rows: np.ndarray, rates: np.ndarray, radius_m: float, max_moves: int
) -> np.ndarray:
    """Apply at most ``max_moves`` moves, each time the single move that lowers ``relocation_score`` most
    without making any site busier than the busiest is now (relocation must not trade balance away).

    ``dist`` ``(c, m)``: metres from each candidate site to each demand node; ``rows`` the current sites
    (distinct rows of ``dist``). Returns the new rows, position for position (a site may move twice).
    """
    return relocation_path(dist, rows, rates, radius_m, max_moves)[-1]


def relocation_path(
    dist: np.ndarray, rows: np.ndarray, rates: np.ndarray, radius_m: float, max_moves: int
) -> list[np.ndarray]:
    """The sites after 0, 1, 2, ... accepted moves of ``relocate`` (the first item is ``rows``)."""
    rows = np.asarray(rows, dtype=np.int64).copy()
    path = [rows]
    rates = np.asarray(rates, dtype=np.float64)
    s, m = rows.size, dist.shape[1]
    if s == 0 or max_moves <= 0:
        return path
    cur = relocation_score(dist[rows], rates, radius_m)
    cap = cur[2] + 1e-6
    for _ in range(max_moves):
        free = np.setdiff1d(np.arange(dist.shape[0]), rows)
        if free.size == 0:
            break
        cand = dist[free]  # (f, m)
        best: tuple | None = None
        for i in range(s):
            others = np.delete(rows, i)
            if others.size:
                arg_o = np.argmin(dist[others], axis=0)
                best_o = dist[others][arg_o, np.arange(m)]
            else:
                arg_o, best_o = np.zeros(m, dtype=np.int64), np.full(m, np.inf)
            take = cand < best_o  # (f, m): the moved site answers these nodes first
            newd = np.where(take, cand, best_o)
            onehot = np.zeros((m, max(others.size, 1)))
            onehot[np.arange(m), arg_o] = 1.0
            wl = np.column_stack([(((~take) * rates) @ onehot)[:, : others.size], take.astype(float) @ rates])
            beyond = (newd > radius_m + EPS).sum(axis=1).astype(float)
            wmax = np.round(wl.max(axis=1), 6)
            beyond[wmax > cap] = np.inf
            worst = np.round(newd.max(axis=1), 3)
            ssd = np.round(((wl - wl.mean(axis=1, keepdims=True)) ** 2).sum(axis=1), 6)
            j = int(np.lexsort((ssd, wmax, worst, beyond))[0])
            key = (float(beyond[j]), float(worst[j]), float(wmax[j]), float(ssd[j]))
            if best is None or key < best[0]:
                best = (key, i, int(free[j]))
        assert best is not None
        trial = rows.copy()
        trial[best[1]] = best[2]
        score = relocation_score(dist[trial], rates, radius_m)
        if not (score < cur and score[2] <= cap):
            break
        rows, cur = trial, score
        path.append(rows)
    return path


def review_districts(
    graph: sp.sparray | sp.spmatrix,
    stations: np.ndarray,
    station_district: np.ndarray,
    node_district: np.ndarray,
    rates: np.ndarray | None = None,
    *,
    candidates: np.ndarray | None = None,
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
    max_moves: int = 2,
    max_add: int = 5,
    balance_cv: float = 0.5,
    load_tolerance: float = 0.25,
    time_limit: float = 30.0,
) -> CityReview:
    """Review every district (labels ``>= 0`` in ``node_district``; ``-1`` nodes are not demand).

    Preconditions: ``graph`` ``n x n`` road lengths in metres (undirected); ``stations`` distinct node
    indices with their ``station_district`` labels; ``rates`` ``(n,)`` incident rates (default 1 per
    demand node); ``candidates`` the nodes where a platform may be moved or added (default: every demand
    node); new and moved platforms stay in their district.
    """
    stations = np.asarray(stations, dtype=np.int64)
    station_district = np.asarray(station_district, dtype=np.int64)
    node_district = np.asarray(node_district, dtype=np.int64)
    n = graph.shape[0]
    if stations.shape != station_district.shape or node_district.shape != (n,):
        raise ValueError("one district label per station and per node")
    if np.unique(stations).size != stations.size:
        raise ValueError("stations must be distinct nodes")
    rates = (node_district >= 0).astype(float) if rates is None else np.asarray(rates, dtype=np.float64)
    cand = np.flatnonzero(node_district >= 0) if candidates is None else np.asarray(candidates, np.int64)
    sources = np.union1d(stations, cand)
    row_of = {int(v): i for i, v in enumerate(sources.tolist())}
    dist = np.atleast_2d(dijkstra(sp.csr_array(graph), directed=False, indices=sources))
    radius = target_min * speed_kmh * 1000.0 / 60.0
    labels = sorted(int(d) for d in np.unique(node_district) if d >= 0)
    total_rate = float(rates[node_district >= 0].sum())
    counted = np.isin(station_district, labels)
    city_rpp = total_rate / int(counted.sum()) if counted.any() else math.inf

    before, findings, proposals = [], [], []
    for d in labels:
        cols = np.flatnonzero(node_district == d)
        mine = stations[station_district == d]
        srows = np.array([row_of[int(v)] for v in mine], dtype=np.int64)
        r = rates[cols]
        fig = district_figures(
            dist[srows][:, cols], r, district=d, speed_kmh=speed_kmh, target_min=target_min
        )
        before.append(fig)
        findings += _judge(fig, city_rpp, target_min, balance_cv, load_tolerance)
        # The district's candidate sites: its own candidate nodes plus where its platforms stand now.
        site_nodes = np.union1d(cand[node_district[cand] == d], mine)
        site_rows = np.array([row_of[int(v)] for v in site_nodes], dtype=np.int64)
        local = {int(v): i for i, v in enumerate(site_nodes.tolist())}
        dsite = dist[site_rows][:, cols]
        cur = np.array([local[int(v)] for v in mine], dtype=np.int64)
        # Relocation is greedy and blind to the additions that follow: of the states after 0, 1, 2, ...
        # moves keep the one needing the fewest additions to reach the target (then the best score,
        # then the fewest moves).
        options = []
        for j, rows_j in enumerate(relocation_path(dsite, cur, r, radius, max_moves)):
            free_j = np.setdiff1d(np.arange(site_nodes.size), rows_j)
            sc = relocation_score(dsite[rows_j], r, radius)
            need_j = 0
            if sc[0] > 0:
                need_j = (
                    fewest_additions(dsite[rows_j], dsite[free_j], radius, time_limit)[0]
                    if free_j.size
                    else 10**9
                )
            options.append(((min(need_j, max_add + 1), sc if need_j > max_add else (), j), rows_j, need_j))
        _, new_rows, need = min(options, key=lambda o: o[0])
        relocated = district_figures(
            dsite[new_rows], r, district=d, speed_kmh=speed_kmh, target_min=target_min
        )
        free = np.setdiff1d(np.arange(site_nodes.size), new_rows)
        k_load = (
            math.ceil(fig.incident_rate / ((1 + load_tolerance) * city_rpp)) - mine.size
            if city_rpp < math.inf
            else 0
        )
        k = min(max_add, max(need, k_load, 0), int(free.size))
        if k > 0:
            res = add_platforms_from_distances(
                dsite[new_rows],
                dsite[free],
                site_nodes[new_rows],
                site_nodes[free],
                k,
                r,
                speed_kmh=speed_kmh,
                target_min=target_min,
                time_limit=time_limit,
            )
            added = res.added
        else:
            added = np.zeros(0, dtype=np.int64)
        after_rows = np.concatenate([new_rows, [local[int(v)] for v in added]]).astype(np.int64)
        after = district_figures(dsite[after_rows], r, district=d, speed_kmh=speed_kmh, target_min=target_min)
        # "Move a platform from x to y and add one at x" is "keep it at x and add one at y": say the latter.
        moves = {int(a): int(b) for a, b in zip(mine, site_nodes[new_rows], strict=True) if a != b}
        added = np.array([moves.pop(int(v)) if int(v) in moves else int(v) for v in added], dtype=np.int64)
        if len(moves) < int((mine != site_nodes[new_rows]).sum()):
            moved = np.array([local[moves.get(int(v), int(v))] for v in mine], dtype=np.int64)
            relocated = district_figures(
                dsite[moved], r, district=d, speed_kmh=speed_kmh, target_min=target_min
            )
        proposals.append(
            DistrictProposal(
                district=d,
                before=fig,
                moves=sorted(moves.items()),
                relocated=relocated,
                needed_for_target=int(need),
                added=added,
                after=after,
                stations_after=site_nodes[after_rows],
            )
        )
    return CityReview(labels, before, findings, proposals, city_rpp, speed_kmh, target_min)


def _judge(
    f: DistrictFigures, city_rpp: float, target: float, balance_cv: float, tol: float
) -> list[Finding]:
    d, out = f.district, []
    if f.platforms == 0:
        return [Finding(d, "no_platform", 0.0, f"no platform for {f.intersections} intersections")]
    if f.beyond_target:
        out.append(
            Finding(
                d,
                "beyond_target",
                float(f.beyond_target),
                f"{f.beyond_target} of {f.intersections} intersections beyond {target:g} min "
                f"(worst {f.worst_time_min:.2f} min)",
            )
        )
    if f.workload_cv > balance_cv:
        hi, lo = f.workload_max_min
        out.append(
            Finding(
                d,
                "unbalanced",
                f.workload_cv,
                f"workload spread {f.workload_cv:.2f} (max {hi:.1f}, min {lo:.1f})",
            )
        )
    ratio = f.rate_per_platform / city_rpp if city_rpp > 0 else 1.0
    if ratio > 1 + tol:
        out.append(
            Finding(
                d, "overloaded", ratio, f"{ratio:.2f}x the city's incidents per platform: too few platforms"
            )
        )
    elif ratio < 1 - tol:
        out.append(
            Finding(
                d, "underloaded", ratio, f"{ratio:.2f}x the city's incidents per platform: platforms to spare"
            )
        )
    return out
