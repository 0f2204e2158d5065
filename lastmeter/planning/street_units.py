"""Basic units from a road graph: street segments between intersections, merged along their street.

Pure (numpy, scipy, shapely; no Django): ``street_units(graph)`` turns a ``roads`` ``RoadGraph`` into
the basic units a station divides into grids.

1. The undirected road segments of the largest connected part of the network are kept (a clipped
   extract has fragments that no patrol can reach without leaving the map).
2. *Pieces*: maximal runs of segments between *break nodes* — intersections (degree != 2) and points
   where the street name changes.
3. *Units*: pieces of the same street meeting at an intersection are merged, shortest first, while the
   unit stays within ``target_length_m``; then units shorter than ``min_length_m`` (slip roads, the
   short link between two carriageways) join a neighbouring unit, preferring the same street.
4. Adjacency: two units are neighbours when they share an intersection (road topology), so a grid made
   of adjacent units can be patrolled without leaving it.
5. Catchment cells: every point of the map's extent (the convex hull of its roads, widened by
   ``catchment_m``) belongs to the unit of the nearest road (a Voronoi diagram of points sampled along the streets). Cells tile the area without
   gaps or overlaps, so the union of a grid's cells is its boundary, and every appeal made in a block
   between streets of two grids falls in exactly one of them. The cell area is the unit's area.

The traffic proxy (``traffic_km``) is the road length weighted by highway class (a primary road carries
more drivers than a residential lane); it stands in for the number of drivers until a station imports
counts of its own (``lastmeter grids import-factors``).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from lastmeter.roads.algorithms.graph import RoadGraph
from lastmeter.roads.algorithms.speeds import HIGHWAY_CLASSES

# Grade-separated expressways (in Chinese OSM tagging trunk = 城市快速路, mostly elevated or in tunnels)
# are patrolled by expressway/traffic police units, not by community grids; and an elevated road drawn
# over a surface street would split that street's catchment into slivers.
EXPRESSWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})

# Cell fragments smaller than this (m²) are slivers between stacked roads, not real catchment.
SLIVER_M2 = 500.0

# Relative traffic per km by highway class (a rough lane-count ratio); unknown classes count 1.
CLASS_TRAFFIC: dict[str, float] = {
    "motorway": 4.0,
    "trunk": 4.0,
    "primary": 3.0,
    "secondary": 2.0,
    "tertiary": 1.5,
}


@dataclass(frozen=True, eq=False)
class StreetUnit:
    """One basic unit: a stretch of one street (or a short connector) with its catchment cell."""

    code: str  # stable while the road file is unchanged: from the source ids of its first segment
    name: str  # "Street (Cross A – Cross B)"
    street: str
    segments: np.ndarray  # indices into ``StreetUnits.seg_u`` / ``seg_v``
    geometry: dict  # GeoJSON LineString / MultiLineString (lon, lat)
    cell: dict  # GeoJSON Polygon / MultiPolygon (lon, lat)
    lat: float  # length-weighted centroid of the unit's segments
    lon: float
    length_m: float
    traffic_km: float
    area_m2: float


@dataclass(frozen=True, eq=False)
class StreetUnits:
    units: list[StreetUnit]
    adjacency: list[tuple[int, int]]  # (i, j), i < j, indices into ``units``
    seg_u: np.ndarray  # graph node of each kept undirected segment (u < v)
    seg_v: np.ndarray
    seg_unit: np.ndarray  # unit index of each kept segment
    dropped_segments: int  # segments outside the largest connected part
    excluded_segments: int = 0  # expressway segments left out (see ``EXPRESSWAYS``)

    def segment_lookup(self) -> dict[tuple[int, int], int]:
        """(u, v) graph nodes (either order) → unit index."""
        out: dict[tuple[int, int], int] = {}
        for u, v, k in zip(self.seg_u.tolist(), self.seg_v.tolist(), self.seg_unit.tolist(), strict=True):
            out[(u, v)] = out[(v, u)] = k
        return out


class _UnionFind:
    def __init__(self, n: int, length: np.ndarray) -> None:
        self.parent = list(range(n))
        self.length = [float(x) for x in length]

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if ra > rb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.length[ra] += self.length[rb]
        return ra


def _undirected_segments(g: RoadGraph):
    tail = g.tail.astype(np.int64)
    head = g.indices.astype(np.int64)
    lo, hi = np.minimum(tail, head), np.maximum(tail, head)
    n = max(g.n_nodes, 1)
    key, first, inv = np.unique(lo * n + hi, return_index=True, return_inverse=True)
    length = np.full(key.size, np.inf)
    np.minimum.at(length, inv, g.meters.astype(np.float64))
    return (
        key // n,
        key % n,
        length,
        g.edge_name[first].astype(np.int64),
        g.edge_class[first].astype(np.int64),
    )


def _main_part(n_nodes: int, su: np.ndarray, sv: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Mask of the segments in the connected part with the most road length."""
    adj = sp.coo_array((np.ones(su.size), (su, sv)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(adj, directed=False)
    per_label = np.bincount(labels[su], weights=length)
    return labels[su] == int(np.argmax(per_label))


def _pieces(n_nodes, su, sv, name):
    """Maximal runs of segments between break nodes: list of (segment list, end node a, end node b)."""
    s = su.size
    inc: list[list[int]] = [[] for _ in range(n_nodes)]
    for i, (a, b) in enumerate(zip(su.tolist(), sv.tolist(), strict=True)):
        inc[a].append(i)
        inc[b].append(i)
    names = name.tolist()
    is_break = [len(x) != 2 or (len(x) == 2 and names[x[0]] != names[x[1]]) for x in inc]
    ends_u, ends_v = su.tolist(), sv.tolist()
    visited = [False] * s
    pieces: list[tuple[list[int], int, int]] = []

    def walk(start_node: int, seg: int) -> tuple[list[int], int]:
        segs = [seg]
        visited[seg] = True
        node = ends_v[seg] if ends_u[seg] == start_node else ends_u[seg]
        while not is_break[node] and node != start_node:
            nxt = inc[node][0] if inc[node][0] != seg else inc[node][1]
            if visited[nxt]:
                break
            seg = nxt
            visited[seg] = True
            segs.append(seg)
            node = ends_v[seg] if ends_u[seg] == node else ends_u[seg]
        return segs, node

    for b in range(n_nodes):
        if not is_break[b]:
            continue
        for seg in inc[b]:
            if not visited[seg]:
                segs, end = walk(b, seg)
                pieces.append((segs, b, end))
    for seg in range(s):  # loops made only of pass-through nodes
        if not visited[seg]:
            segs, end = walk(ends_u[seg], seg)
            pieces.append((segs, ends_u[seg], end))
    return pieces


def _merge(pieces, piece_len, piece_name, target_length_m, min_length_m) -> list[int]:
    """Union pieces into units; returns the unit root of every piece."""
    uf = _UnionFind(len(pieces), piece_len)
    at_node: dict[int, list[int]] = defaultdict(list)
    for p, (_, a, b) in enumerate(pieces):
        at_node[a].append(p)
        if b != a:
            at_node[b].append(p)
    # 1. Through streets: exactly two pieces of one named street meet at an intersection.
    candidates = []
    for ps in at_node.values():
        by_name: dict[int, list[int]] = defaultdict(list)
        for p in ps:
            if piece_name[p] >= 0:
                by_name[piece_name[p]].append(p)
        for same in by_name.values():
            if len(same) == 2:
                candidates.append((piece_len[same[0]] + piece_len[same[1]], same[0], same[1]))
    for _, p, q in sorted(candidates):
        rp, rq = uf.find(p), uf.find(q)
        if rp != rq and uf.length[rp] + uf.length[rq] <= target_length_m:
            uf.union(rp, rq)
    # 2. Too-short units join a neighbour (same street first, then the shortest neighbour).
    members: dict[int, list[int]] = defaultdict(list)
    for p in range(len(pieces)):
        members[uf.find(p)].append(p)
    heap = [(uf.length[r], r) for r in members if uf.length[r] < min_length_m]
    heapq.heapify(heap)
    while heap and len(members) > 1:
        length, r = heapq.heappop(heap)
        if r not in members or uf.length[r] != length:
            continue  # stale entry: r was merged meanwhile
        nbrs = {uf.find(q) for p in members[r] for node in pieces[p][1:] for q in at_node[node]}
        nbrs.discard(r)
        if not nbrs:
            continue
        own = piece_name[r]
        best = min(nbrs, key=lambda x: (piece_name[x] != own or own < 0, uf.length[x], x))
        new = uf.union(r, best)
        gone = best if new == r else r
        members[new].extend(members.pop(gone))
        if uf.length[new] < min_length_m:
            heapq.heappush(heap, (uf.length[new], new))
    return [uf.find(p) for p in range(len(pieces))]


def _to_lonlat(geom, g: RoadGraph):
    proj = g.projection

    def inv(xy: np.ndarray) -> np.ndarray:
        lat, lon = proj.inverse(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.set_precision(shapely.transform(geom, inv), 1e-7)


def _geojson(geom) -> dict:
    return shapely.geometry.mapping(geom) if geom is not None else {}


def _cells(g: RoadGraph, su, sv, seg_unit, n_units, catchment_m, spacing_m):
    """Catchment cell (projected metres) of every unit: Voronoi of points sampled along its segments,
    clipped to the roads' extent (see below)."""
    x, y = g.xy
    ax, ay, bx, by = x[su], y[su], x[sv], y[sv]
    pieces = np.maximum(1, np.ceil(np.hypot(bx - ax, by - ay) / spacing_m)).astype(np.int64)
    seg_of = np.repeat(np.arange(su.size), pieces)
    first = np.cumsum(pieces) - pieces
    # Midpoints of equal sub-pieces: never a node, so two units meeting at an intersection never
    # produce the same sample point.
    frac = (np.arange(seg_of.size) - np.repeat(first, pieces) + 0.5) / np.repeat(pieces, pieces)
    px = ax[seg_of] + frac * (bx - ax)[seg_of]
    py = ay[seg_of] + frac * (by - ay)[seg_of]
    _, keep = np.unique(np.round(np.column_stack([px, py]), 2), axis=0, return_index=True)
    keep.sort()
    px, py, label = px[keep], py[keep], seg_unit[seg_of[keep]]
    lines = shapely.linestrings(np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1))
    # Buffering many short pieces and uniting them is ~100x faster than buffering one multi-line.
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    region = shapely.union_all(shapely.buffer(merged, catchment_m, quad_segs=4))
    # The whole map's extent (convex hull of every road node, also of fragments and expressways left
    # out) is the jurisdiction: a park, a compound or a clipped corner of the extract still belongs to
    # the nearest street's unit rather than to no grid at all.
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))
    region = shapely.union_all([region, shapely.buffer(hull, catchment_m, quad_segs=4)])
    points = shapely.multipoints(np.column_stack([px, py]))
    vor = shapely.voronoi_polygons(points, extend_to=region, ordered=True)
    polys = np.array(shapely.get_parts(vor))
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(n_units + 1))
    cells = []
    for k in range(n_units):
        idx = order[bounds[k] : bounds[k + 1]]
        if idx.size == 1:
            cell = polys[idx[0]]
        else:
            try:  # Voronoi cells form a coverage: dissolving them that way is fast
                cell = shapely.coverage_union_all(polys[idx])
            except shapely.errors.GEOSException:  # degenerate (cocircular) points: the general union
                cell = shapely.union_all(polys[idx])
        cells.append(shapely.intersection(cell, region))
    return _one_piece(cells)


def _one_piece(cells: list, sliver_m2: float = SLIVER_M2, sliver_share: float = 0.02) -> list:
    """Give every sliver of a cell to the neighbouring cell it shares most border with.

    Where two roads run one above the other (a tunnel or a viaduct over a street, or a carriageway
    drawn twice) their samples interleave and each cell breaks into slivers along the road; the union
    of a grid's cells would then be dozens of pieces. A sliver is a part smaller than ``sliver_m2`` or
    than ``sliver_share`` of its cell. Larger parts stay: a street crossing another one has its cell
    cut in two at the intersection, legitimately. The area stays covered exactly once.
    """
    main: list = []
    orphans: list[tuple[int, Any]] = []
    for k, cell in enumerate(cells):
        parts = sorted(shapely.get_parts(cell), key=lambda p: -p.area)
        total = sum(p.area for p in parts)
        keep = [
            p
            for i, p in enumerate(parts)
            if i == 0 or (p.area >= sliver_m2 and p.area >= sliver_share * total)
        ]
        main.append(shapely.union_all(keep) if len(keep) > 1 else (keep[0] if keep else cell))
        orphans.extend((k, p) for p in parts if not any(p is q for q in keep))
    extra: list[list] = [[] for _ in cells]
    tree = shapely.STRtree(main)
    for k, part in sorted(orphans, key=lambda kp: -kp[1].area):
        best, shared = k, 0.0
        for j in tree.query(part, predicate="intersects").tolist():
            if j == k:
                continue
            length = shapely.length(shapely.intersection(part.boundary, main[j].boundary))
            if length > shared:
                best, shared = j, length
        extra[best].append(part)
    return [shapely.union_all([m, *e]) if e else m for m, e in zip(main, extra, strict=True)]


@dataclass(frozen=True)
class UnitWords:
    """The words of a unit's name, so a caller can name units in the reader's language: a road
    without a name, and a stretch that meets one other street (``{street}``, ``{cross}``)."""

    unnamed: str = "unnamed road"
    at: str = "{street} (at {cross})"


ENGLISH_WORDS = UnitWords()


def _unit_name(g: RoadGraph, street: str, ends: list[int], words: UnitWords = ENGLISH_WORDS) -> str:
    crosses = []
    for node in ends[:2]:
        others = [nm for nm in g.node_names(node) if nm != street]
        if others:
            crosses.append(others[0])
    base = street or words.unnamed
    if len(crosses) == 2 and crosses[0] != crosses[1]:
        return f"{base} ({crosses[0]} – {crosses[1]})"
    if crosses:
        return words.at.format(street=base, cross=crosses[0])
    return base


def street_units(
    graph: RoadGraph,
    *,
    target_length_m: float = 400.0,
    min_length_m: float = 60.0,
    catchment_m: float = 150.0,
    spacing_m: float = 20.0,
    exclude_classes: frozenset[str] | set[str] = EXPRESSWAYS,
    words: UnitWords = ENGLISH_WORDS,
) -> StreetUnits:
    """Basic units of ``graph`` (see the module docstring).

    Preconditions: the graph has at least one road segment; lengths are positive. ``catchment_m`` is
    how far from the nearest road a point still belongs to a unit (beyond it: no unit, no grid).
    Segments of ``exclude_classes`` (default: motorways and trunk roads with their ramps) are left out.
    Raises ``ValueError`` for an empty graph.
    """
    if graph.n_edges == 0:
        raise ValueError("the road graph has no roads")
    su, sv, length, name, cls = _undirected_segments(graph)
    skip = np.array(
        [
            HIGHWAY_CLASSES[c] in exclude_classes if 0 <= c < len(HIGHWAY_CLASSES) else False
            for c in cls.tolist()
        ],
        dtype=bool,
    )
    excluded = int(skip.sum())
    su, sv, length, name, cls = su[~skip], sv[~skip], length[~skip], name[~skip], cls[~skip]
    if su.size == 0:
        raise ValueError("no road left once expressways are left out")
    main = _main_part(graph.n_nodes, su, sv, length)
    dropped = int((~main).sum())
    su, sv, length, name, cls = su[main], sv[main], length[main], name[main], cls[main]
    pieces = _pieces(graph.n_nodes, su, sv, name)
    piece_len = np.array([length[segs].sum() for segs, _, _ in pieces])
    piece_name = [int(name[segs[0]]) for segs, _, _ in pieces]
    root_of = _merge(pieces, piece_len, piece_name, target_length_m, min_length_m)

    roots = sorted(set(root_of))
    seg_root = np.empty(su.size, dtype=np.int64)
    for p, (segs, _, _) in enumerate(pieces):
        seg_root[segs] = root_of[p]
    # Order units by their code's first segment (source ids) so that indices are stable too.
    src = graph.source_id.astype(np.int64)
    key_lo = np.minimum(src[su], src[sv])
    key_hi = np.maximum(src[su], src[sv])
    first_seg = {}
    for r in roots:
        segs = np.flatnonzero(seg_root == r)
        best = segs[np.lexsort((key_hi[segs], key_lo[segs]))[0]]
        first_seg[r] = int(best)
    roots.sort(key=lambda r: (int(key_lo[first_seg[r]]), int(key_hi[first_seg[r]])))
    unit_of_root = {r: i for i, r in enumerate(roots)}
    seg_unit = np.array([unit_of_root[r] for r in seg_root.tolist()], dtype=np.int64)
    n_units = len(roots)

    cells = _cells(graph, su, sv, seg_unit, n_units, catchment_m, spacing_m)
    weights = np.array(
        [
            CLASS_TRAFFIC.get(HIGHWAY_CLASSES[c] if 0 <= c < len(HIGHWAY_CLASSES) else "", 1.0)
            for c in cls.tolist()
        ]
    )
    mid_lat = (graph.lat[su] + graph.lat[sv]) / 2
    mid_lon = (graph.lon[su] + graph.lon[sv]) / 2

    units: list[StreetUnit] = []
    node_units: dict[int, set[int]] = defaultdict(set)
    for k, r in enumerate(roots):
        segs = np.flatnonzero(seg_unit == k)
        for node in np.concatenate([su[segs], sv[segs]]).tolist():
            node_units[node].add(k)
        lens = length[segs]
        total = float(lens.sum())
        lines = shapely.multilinestrings(
            [
                shapely.linestrings([[graph.lon[a], graph.lat[a]], [graph.lon[b], graph.lat[b]]])
                for a, b in zip(su[segs].tolist(), sv[segs].tolist(), strict=True)
            ]
        )
        merged = shapely.set_precision(shapely.line_merge(lines), 1e-7)
        counts = np.bincount(np.concatenate([su[segs], sv[segs]]))
        ends = [int(v) for v in np.flatnonzero(counts == 1)]
        nm = int(name[segs[0]])
        street = str(graph.names[nm]) if nm >= 0 else ""
        fs = first_seg[r]
        cell_xy = cells[k]
        units.append(
            StreetUnit(
                code=f"s{int(key_lo[fs])}-{int(key_hi[fs])}",
                name=_unit_name(graph, street, ends, words),
                street=street,
                segments=segs,
                geometry=_geojson(merged),
                cell=_geojson(_to_lonlat(cell_xy, graph)),
                lat=float((mid_lat[segs] * lens).sum() / total),
                lon=float((mid_lon[segs] * lens).sum() / total),
                length_m=total,
                traffic_km=float((lens * weights[segs]).sum() / 1000.0),
                area_m2=float(shapely.area(cell_xy)),
            )
        )
    pairs = set()
    for ks in node_units.values():
        if len(ks) > 1:
            ordered = sorted(ks)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    pairs.add((a, b))
    return StreetUnits(units, sorted(pairs), su, sv, seg_unit, dropped, excluded)
