"""Tiny road graphs for tests, laid out in metres east/north of People's Square.

Coordinates are given in metres east/north of a fixed point in central Shanghai and converted to
lat/lon, so expected travel times can be worked out by hand (length / speed). ``make_graph`` and
``random_graph`` (with the brute-force references ``matrix`` and ``reference_seconds``) serve the
road and dispatch algorithm tests; ``graph`` and ``comb`` (two-way roads with street names and
OSM-like node ids) the planning tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from lastmeter.roads.algorithms.geo import LocalProjection
from lastmeter.roads.algorithms.graph import RoadGraph, build_graph
from lastmeter.roads.algorithms.snapping import Snap, direct_seconds

ORIGIN = LocalProjection(31.23, 121.47)


def latlon(x_m: float, y_m: float) -> tuple[float, float]:
    lat, lon = ORIGIN.inverse(x_m, y_m)
    return float(lat), float(lon)


def make_graph(
    points: Sequence[tuple[float, float]], roads: list[tuple], *, kmh: float = 36.0, reorder: bool = False
) -> RoadGraph:
    """Graph from metre coordinates and roads ``(u, v)`` / ``(u, v, oneway)`` / ``(u, v, oneway, kmh)``.

    Travel time = straight length / speed (36 km/h = 10 m/s, so seconds = metres / 10).
    """
    lat, lon = ORIGIN.inverse(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    tails, heads, secs, lens = [], [], [], []
    for road in roads:
        u, v = road[0], road[1]
        oneway = road[2] if len(road) > 2 else False
        speed = road[3] if len(road) > 3 else kmh
        length = math.dist(points[u], points[v])
        for a, b in ((u, v),) if oneway else ((u, v), (v, u)):
            tails.append(a)
            heads.append(b)
            lens.append(length)
            secs.append(length / (speed / 3.6))
    return build_graph(
        lat, lon, np.array(tails), np.array(heads), np.array(secs), np.array(lens), reorder=reorder
    )


def random_graph(rng: np.random.Generator, n: int, n_ways: int, p_oneway: float = 0.3) -> RoadGraph:
    """Random 'ways' (paths of 2-5 random nodes, some one-way) over n random points in a 2 km box."""
    pts = [(float(x), float(y)) for x, y in rng.uniform(0, 2000, size=(n, 2))]
    roads = []
    for _ in range(n_ways):
        length = int(rng.integers(2, 6))
        nodes = rng.choice(n, size=min(length, n), replace=False)
        oneway = bool(rng.random() < p_oneway)
        speed = float(rng.choice([20.0, 30.0, 50.0]))
        roads += [(int(a), int(b), oneway, speed) for a, b in itertools.pairwise(nodes)]
    return make_graph(pts, roads, reorder=bool(rng.random() < 0.5))


def matrix(graph: RoadGraph) -> sp.csr_matrix:
    """The graph as a scipy CSR matrix of float64 travel seconds (reference implementation input)."""
    n = graph.n_nodes
    return sp.csr_matrix((graph.seconds.astype(np.float64), graph.indices, graph.indptr), shape=(n, n))


def reference_seconds(
    graph: RoadGraph, origin: Snap, dest: Snap, dist_from: np.ndarray | None = None
) -> float:
    """Fastest origin→dest time by brute force: scipy Dijkstra between snapped ends, or the shared edge."""
    best = direct_seconds(origin, dest, graph.seconds)
    best = math.inf if best is None else best
    deps = origin.departures(graph.seconds)
    arrs = dest.arrivals(graph.seconds)
    if dist_from is None:
        dist_from = dijkstra(matrix(graph), indices=[x for x, _ in deps]) if deps else np.zeros((0, 1))
    for i, (_, c1) in enumerate(deps):
        for y, c2 in arrs:
            best = min(best, c1 + float(dist_from[i, y]) + c2)
    return best


def graph(points: list[tuple[float, float]], roads: list[tuple], names: list[str] | None = None) -> RoadGraph:
    """Two-way roads ``(u, v)`` or ``(u, v, name_index)`` between metre points, 36 km/h.

    Node i keeps source id 1000 + i, so tests can name nodes the way OSM ids would.
    """
    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    lat, lon = ORIGIN.inverse(xs, ys)
    tails, heads, secs, lens, name_ix = [], [], [], [], []
    for road in roads:
        u, v = road[0], road[1]
        nm = road[2] if len(road) > 2 else -1
        length = math.dist(points[u], points[v])
        for a, b in ((u, v), (v, u)):
            tails.append(a)
            heads.append(b)
            lens.append(length)
            secs.append(length / 10.0)
            name_ix.append(nm)
    return build_graph(
        lat,
        lon,
        np.array(tails),
        np.array(heads),
        np.array(secs),
        np.array(lens),
        edge_name=np.array(name_ix),
        names=names or [],
        source_id=np.arange(len(points)) + 1000,
        reorder=False,
    )


def comb(km: int = 4, spur_m: float = 10.0, with_star: bool = True) -> RoadGraph:
    """A main road of ``km + 1`` nodes 1 km apart (nodes 0..km) with a short spur north of each node
    (leaves km+1..2km+1), so nodes 1..km-1 are intersections; plus, far away, a star whose centre is
    an intersection no platform can reach."""
    pts = [(1000.0 * i, 0.0) for i in range(km + 1)] + [(1000.0 * i, spur_m) for i in range(km + 1)]
    roads = [(i, i + 1) for i in range(km)] + [(i, km + 1 + i) for i in range(km + 1)]
    if with_star:
        c = len(pts)
        pts += [(20_000.0, 20_000.0), (20_100.0, 20_000.0), (20_000.0, 20_100.0), (19_900.0, 20_000.0)]
        roads += [(c, c + 1), (c, c + 2), (c, c + 3)]
    return graph(pts, roads)
