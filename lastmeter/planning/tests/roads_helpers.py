"""Tiny road graphs for the planning tests, laid out in metres east/north of People's Square."""

from __future__ import annotations

import math

import numpy as np

from lastmeter.roads.algorithms.geo import LocalProjection
from lastmeter.roads.algorithms.graph import RoadGraph, build_graph

ORIGIN = LocalProjection(31.23, 121.47)


def latlon(x_m: float, y_m: float) -> tuple[float, float]:
    lat, lon = ORIGIN.inverse(x_m, y_m)
    return float(lat), float(lon)


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
