"""Patrol plans as plain data: which hot cells a band's patrols visit, who goes where, in what
order, and how much of the plan a shift actually covered. No Django here.

The cells come from Gi* (``lastmeter.stats.algorithms.gistar``) run on the points of one
time-of-day band only: a street that is hot at night need not be hot in the morning.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lastmeter.lib.geo import haversine_m
from lastmeter.stats.algorithms.gistar import HOT, Bounds, gi_star


@dataclass
class HotCell:
    key: str
    lat: float
    lon: float
    ring: list[tuple[float, float]]  # (lon, lat), closed
    count: int
    z: float


@dataclass
class Assignment:
    team_id: int
    cells: list[HotCell] = field(default_factory=list)  # in visiting order


def in_band(hour: int, start: int, end: int) -> bool:
    return start <= hour < end


def hot_cells(
    lats: Sequence[float],
    lons: Sequence[float],
    *,
    cell_m: float,
    bounds: Bounds | None,
    max_cells: int,
    keep: Callable[[float, float], bool] | None = None,
    seed: int = 12345,
) -> list[HotCell]:
    """The significant hot cells (Gi*, FDR-corrected) of these points, strongest first, at most
    ``max_cells`` of them; ``keep(lat, lon)`` drops cells whose centre lies outside the area."""
    if len(lats) == 0:
        return []
    res = gi_star(lats, lons, cell_m=cell_m, bounds=bounds, seed=seed)
    out: list[HotCell] = []
    for c in sorted(res.significant(HOT), key=lambda c: (-c.z, c.key)):
        lat = sum(p[1] for p in c.ring[:4]) / 4
        lon = sum(p[0] for p in c.ring[:4]) / 4
        if keep is not None and not keep(lat, lon):
            continue
        out.append(HotCell(c.key, lat, lon, [(float(a), float(b)) for a, b in c.ring], c.count, c.z))
        if len(out) >= max_cells:
            break
    return out


def split_among(cells: list[HotCell], team_ids: list[int]) -> list[Assignment]:
    """Give each team a compact share of the cells: sort them by bearing round their centroid and
    cut the circle into as many arcs as there are teams (neighbouring cells stay together), then
    order each share as a nearest-neighbour walk from its strongest cell."""
    if not team_ids or not cells:
        return []
    clat = sum(c.lat for c in cells) / len(cells)
    clon = sum(c.lon for c in cells) / len(cells)
    ring = sorted(cells, key=lambda c: math.atan2(c.lat - clat, c.lon - clon))
    n = min(len(team_ids), len(ring))
    out = []
    for i in range(n):
        share = ring[i * len(ring) // n : (i + 1) * len(ring) // n]
        out.append(Assignment(team_ids[i], walk_order(share)))
    return out


def walk_order(cells: list[HotCell]) -> list[HotCell]:
    if not cells:
        return []
    left = sorted(cells, key=lambda c: -c.z)
    path = [left.pop(0)]
    while left:
        here = path[-1]
        nxt = min(left, key=lambda c: haversine_m(here.lat, here.lon, c.lat, c.lon))
        left.remove(nxt)
        path.append(nxt)
    return path


def point_in_ring(lat: float, lon: float, ring: Sequence[Sequence[float]]) -> bool:
    """Ray casting on a (lon, lat) ring; the lattice's cells are small, so degrees will do."""
    inside = False
    n = len(ring)
    for i in range(n - 1):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[i + 1][0], ring[i + 1][1]
        if (y1 > lat) != (y2 > lat):
            x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x:
                inside = not inside
    return inside


def distance_to_plan(lat: float, lon: float, places: Sequence[tuple[float, float]]) -> float:
    """Metres from a position to the nearest planned place (cell centres and route vertices)."""
    if not places:
        return math.inf
    return min(haversine_m(lat, lon, a, b) for a, b in places)


def coverage(cells: Sequence[HotCell], positions: Sequence[tuple[float, float]]) -> tuple[set[str], float]:
    """Which planned cells had a position inside them, and that share of the plan's cells."""
    visited = {c.key for c in cells if any(point_in_ring(la, lo, c.ring) for la, lo in positions)}
    return visited, (len(visited) / len(cells) if cells else 0.0)
