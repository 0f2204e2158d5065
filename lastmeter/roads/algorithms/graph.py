"""The road graph as compact arrays (CSR) and its ``.npz`` cache.

A ``RoadGraph`` is directed: every drivable direction of a road segment is one edge ``tail → head``
with a travel time in seconds (float32), a length in metres, a highway class code (see
``speeds.HIGHWAY_CLASSES``) and a street-name index into ``names`` (-1 = unnamed).  Edges of node ``u``
are ``indptr[u]:indptr[u+1]`` (int32 CSR), so the graph for a 400k-node city is ~25 MB and loads from an
uncompressed ``.npz`` in well under a second (no pickle: names are stored as a numpy unicode array).

``build_graph`` drops self-loops, keeps the fastest of parallel edges, and renumbers nodes along a
Hilbert curve so that nodes close on the map are close in memory — Dijkstra touches fewer cache lines.
``source_id`` keeps the original id (OSM node id, or the 0-based index in the source file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .geo import LocalProjection

NPZ_FORMAT = "lastmeter-roadgraph-1"


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Immutable directed road graph in CSR form (see module docstring for the field meanings)."""

    lat: np.ndarray  # float64 (n,)
    lon: np.ndarray  # float64 (n,)
    indptr: np.ndarray  # int32 (n+1,)
    indices: np.ndarray  # int32 (m,) head node of each edge
    seconds: np.ndarray  # float32 (m,) travel time
    meters: np.ndarray  # float32 (m,) length
    edge_class: np.ndarray  # int8 (m,) index into speeds.HIGHWAY_CLASSES
    edge_name: np.ndarray  # int32 (m,) index into names, -1 = unnamed
    names: np.ndarray  # str (k,) street names table
    source_id: np.ndarray  # int64 (n,) OSM node id / original index
    meta: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return int(self.lat.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.indices.shape[0])

    @cached_property
    def tail(self) -> np.ndarray:
        """int32 (m,) source node of each edge."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr)).astype(np.int32)

    @cached_property
    def reverse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Transposed CSR ``(indptr, indices, seconds, edge)``: in-edges of v, with forward edge ids."""
        order = np.argsort(self.indices, kind="stable").astype(np.int32)
        counts = np.bincount(self.indices, minlength=self.n_nodes)
        rindptr = np.zeros(self.n_nodes + 1, dtype=np.int32)
        np.cumsum(counts, out=rindptr[1:])
        return rindptr, self.tail[order], self.seconds[order], order

    @cached_property
    def projection(self) -> LocalProjection:
        return LocalProjection.around(self.lat, self.lon)

    @cached_property
    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Node coordinates in metres in ``projection``."""
        return self.projection.forward(self.lat, self.lon)

    def edge_id(self, u: int, v: int) -> int:
        """Id of edge u→v, or -1 if absent."""
        lo, hi = int(self.indptr[u]), int(self.indptr[u + 1])
        hits = np.nonzero(self.indices[lo:hi] == v)[0]
        return lo + int(hits[0]) if hits.size else -1

    def edge_street(self, e: int) -> str | None:
        k = int(self.edge_name[e])
        return str(self.names[k]) if k >= 0 else None

    def node_names(self, node: int) -> list[str]:
        """Distinct street names of the edges leaving or entering ``node`` (sorted)."""
        out_e = np.arange(self.indptr[node], self.indptr[node + 1])
        rindptr, _, _, redge = self.reverse
        in_e = redge[rindptr[node] : rindptr[node + 1]]
        ks = np.unique(self.edge_name[np.concatenate([out_e, in_e]).astype(np.int64)])
        return sorted(str(self.names[k]) for k in ks if k >= 0)

    def nearby_names(self, node: int, max_hops: int = 2, max_m: float = 300.0) -> list[str]:
        """Street names for a node of unnamed roads (ramps, slip roads, service roads): the names
        nearest by road links (either direction) within ``max_hops``, else those of the named node
        nearest in a straight line within ``max_m`` (a ramp runs beside the street it serves, often
        without touching it); sorted; [] when nothing named is that near."""
        rindptr, rindices, _, _ = self.reverse
        seen, frontier = {node}, [node]
        for _ in range(max_hops + 1):
            names = sorted({name for v in frontier for name in self.node_names(v)})
            if names:
                return names
            nxt = []
            for v in frontier:
                around = np.concatenate(
                    [self.indices[self.indptr[v] : self.indptr[v + 1]], rindices[rindptr[v] : rindptr[v + 1]]]
                )
                for w in around.tolist():
                    if w not in seen:
                        seen.add(w)
                        nxt.append(w)
            frontier = nxt
        named = self.edge_name >= 0
        if not named.any():
            return []
        candidates = np.unique(np.concatenate([self.tail[named], self.indices[named]]))
        x, y = self.xy
        d = np.hypot(x[candidates] - x[node], y[candidates] - y[node])
        best = int(np.argmin(d))
        return self.node_names(int(candidates[best])) if d[best] <= max_m else []

    def named_intersections(self) -> list[tuple[int, tuple[str, ...]]]:
        """Nodes where two or more differently named streets meet, with those names (for a gazetteer)."""
        named = self.edge_name >= 0
        nodes = np.concatenate([self.tail[named], self.indices[named]]).astype(np.int64)
        ks = np.concatenate([self.edge_name[named], self.edge_name[named]]).astype(np.int64)
        pairs = np.unique(nodes * (len(self.names) + 1) + ks)
        pn, pk = pairs // (len(self.names) + 1), pairs % (len(self.names) + 1)
        starts = np.flatnonzero(np.r_[True, pn[1:] != pn[:-1]])
        ends = np.r_[starts[1:], len(pn)]
        return [
            (int(pn[s]), tuple(str(self.names[k]) for k in pk[s:e]))
            for s, e in zip(starts, ends, strict=True)
            if e - s >= 2
        ]

    # ------------------------------------------------------------------ npz cache
    def save_npz(self, path: str | Path) -> None:
        """Write the graph uncompressed (fast to load) to ``path`` (a ``.npz``)."""
        names = self.names if len(self.names) else np.zeros(0, dtype="<U1")
        with open(path, "wb") as fh:
            np.savez(
                fh,
                format=np.array(NPZ_FORMAT),
                meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
                lat=self.lat,
                lon=self.lon,
                indptr=self.indptr,
                indices=self.indices,
                seconds=self.seconds,
                meters=self.meters,
                edge_class=self.edge_class,
                edge_name=self.edge_name,
                names=names,
                source_id=self.source_id,
            )

    @classmethod
    def load_npz(cls, path: str | Path) -> RoadGraph:
        """Load a graph written by ``save_npz``; raises ValueError for files in another format."""
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or str(z["format"]) != NPZ_FORMAT:
                raise ValueError(f"{path} is not a {NPZ_FORMAT} file")
            g = cls(
                lat=z["lat"],
                lon=z["lon"],
                indptr=z["indptr"],
                indices=z["indices"],
                seconds=z["seconds"],
                meters=z["meters"],
                edge_class=z["edge_class"],
                edge_name=z["edge_name"],
                names=z["names"],
                source_id=z["source_id"],
                meta=json.loads(str(z["meta"])),
            )
        g.validate()
        return g

    def validate(self) -> None:
        """Cheap structural checks; raises ValueError describing the first problem found."""
        n, m = self.n_nodes, self.n_edges
        checks = [
            (self.lon.shape == (n,), "lon length"),
            (self.indptr.shape == (n + 1,) and self.indptr.dtype == np.int32, "indptr shape/dtype"),
            (int(self.indptr[0]) == 0 and int(self.indptr[-1]) == m, "indptr bounds"),
            (bool(np.all(np.diff(self.indptr) >= 0)), "indptr not monotone"),
            (self.indices.dtype == np.int32, "indices dtype"),
            (m == 0 or (int(self.indices.min()) >= 0 and int(self.indices.max()) < n), "indices range"),
            (self.seconds.shape == (m,) and self.seconds.dtype == np.float32, "seconds shape/dtype"),
            (m == 0 or float(self.seconds.min()) >= 0.0, "negative travel time"),
            (self.meters.shape == (m,), "meters shape"),
            (self.edge_class.shape == (m,), "edge_class shape"),
            (self.edge_name.shape == (m,), "edge_name shape"),
            (m == 0 or int(self.edge_name.max()) < len(self.names), "edge_name range"),
            (self.source_id.shape == (n,), "source_id shape"),
        ]
        for ok, what in checks:
            if not ok:
                raise ValueError(f"invalid road graph: {what}")


def hilbert_order(x: np.ndarray, y: np.ndarray, bits: int = 16) -> np.ndarray:
    """Permutation sorting points along a Hilbert curve (keeps map neighbours near in memory)."""
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    side = (1 << bits) - 1
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    xi = ((x - x.min()) / span * side).astype(np.int64)
    yi = ((y - y.min()) / span * side).astype(np.int64)
    d = np.zeros(x.shape, dtype=np.int64)
    s = 1 << (bits - 1)
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        xi = np.where(flip, side - xi, xi)
        yi = np.where(flip, side - yi, yi)
        swap = ~ry
        xi, yi = np.where(swap, yi, xi), np.where(swap, xi, yi)
        s >>= 1
    return np.argsort(d, kind="stable")


def build_graph(
    lat: np.ndarray,
    lon: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray,
    seconds: np.ndarray,
    meters: np.ndarray,
    *,
    edge_class: np.ndarray | None = None,
    edge_name: np.ndarray | None = None,
    names: list[str] | np.ndarray | None = None,
    source_id: np.ndarray | None = None,
    meta: dict | None = None,
    reorder: bool = True,
) -> RoadGraph:
    """Build a ``RoadGraph`` from an edge list (0-based node indices into lat/lon).

    Self-loops are dropped; of parallel edges u→v the fastest is kept.  With ``reorder`` the nodes are
    renumbered along a Hilbert curve (``source_id`` then tells the original identity).
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    n = lat.shape[0]
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    m = tail.shape[0]
    seconds = np.asarray(seconds, dtype=np.float32)
    meters = np.asarray(meters, dtype=np.float32)
    edge_class = np.zeros(m, np.int8) if edge_class is None else np.asarray(edge_class, np.int8)
    edge_name = np.full(m, -1, np.int32) if edge_name is None else np.asarray(edge_name, np.int32)
    names_arr = np.asarray(list(names) if names is not None else [], dtype=np.str_)
    if names_arr.size == 0:
        names_arr = np.zeros(0, dtype="<U1")
    source_id = np.arange(n, dtype=np.int64) if source_id is None else np.asarray(source_id, np.int64)
    if m and (tail.min() < 0 or head.min() < 0 or tail.max() >= n or head.max() >= n):
        raise ValueError("edge endpoint out of range")
    if m and (not np.all(np.isfinite(seconds)) or seconds.min() < 0):
        raise ValueError("travel times must be finite and non-negative")

    if reorder and n > 1:
        x, y = LocalProjection.around(lat, lon).forward(lat, lon)
        perm = hilbert_order(x, y)
        new_of_old = np.empty(n, dtype=np.int64)
        new_of_old[perm] = np.arange(n)
        lat, lon, source_id = lat[perm], lon[perm], source_id[perm]
        tail, head = new_of_old[tail], new_of_old[head]

    keep = tail != head
    # Sort by (tail, head, seconds) so the first of each (tail, head) run is the fastest parallel edge.
    order = np.lexsort((seconds, head, tail))
    order = order[keep[order]]
    t, h = tail[order], head[order]
    first = np.r_[True, (t[1:] != t[:-1]) | (h[1:] != h[:-1])] if order.size else np.zeros(0, bool)
    order = order[first]
    t = tail[order]
    counts = np.bincount(t, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=indptr[1:])
    g = RoadGraph(
        lat=lat,
        lon=lon,
        indptr=indptr,
        indices=head[order].astype(np.int32),
        seconds=seconds[order],
        meters=meters[order],
        edge_class=edge_class[order],
        edge_name=edge_name[order],
        names=names_arr,
        source_id=source_id,
        meta=dict(meta or {}),
    )
    g.validate()
    return g
