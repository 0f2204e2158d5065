"""Shortest routes between points, with geometry, on the contracted core graph.

A route from A to B is the one-vehicle case of the nearest-unit search: a reverse Dijkstra over the
core graph from B's arrival hooks, with A's departure hooks as the only target entries (it stops as
soon as A is final), or the direct drive along a shared chain when that is faster.
``assemble_core`` (numba, also called from the fleet kernel) expands answers into original edges and a
lat/lon polyline that starts at A's snapped point and ends at B's; the time is the search's exact cost
and the length counts only the driven parts of the first and last edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .core import CoreGraph, Hook
from .graph import RoadGraph
from .kernels import Workspace, nearest_targets, reset_nodes, walk_paths
from .snapping import Snap


@dataclass(frozen=True, eq=False)
class Route:
    """A drivable route: travel time, length, edges touched (in order) and geometry (degrees)."""

    seconds: float
    meters: float
    edges: np.ndarray  # int32 original edge ids in travel order, including partly driven end edges
    lat: np.ndarray  # float64, from origin point to destination point
    lon: np.ndarray

    def coords(self) -> list[tuple[float, float]]:
        """Geometry as [(lat, lon), ...] (for JSON / Leaflet)."""
        return list(zip(self.lat.tolist(), self.lon.tolist(), strict=True))

    def street_names(self, graph: RoadGraph) -> list[str]:
        """Street names along the route in order, consecutive repeats collapsed (unnamed skipped)."""
        out: list[str] = []
        for k in graph.edge_name[self.edges].tolist():
            if k >= 0 and (not out or out[-1] != graph.names[k]):
                out.append(str(graph.names[k]))
        return out


@njit(cache=True, nogil=True)
def _route_edges(i, dep_e, arr_e, direct, chains, offs, chain_ptr, chain_edges, edge_chain, edge_pos, out, k):
    """Write route i's original edges into ``out`` from position k (count only if out is empty)."""
    write = out.shape[0] > 0
    if direct[i]:
        ch = edge_chain[dep_e[i]]
        for j in range(chain_ptr[ch] + edge_pos[dep_e[i]], chain_ptr[ch] + edge_pos[arr_e[i]] + 1):
            if write:
                out[k] = chain_edges[j]
            k += 1
        return k
    if dep_e[i] >= 0:
        ch = edge_chain[dep_e[i]]
        for j in range(chain_ptr[ch] + edge_pos[dep_e[i]], chain_ptr[ch + 1]):
            if write:
                out[k] = chain_edges[j]
            k += 1
    for j in range(offs[i], offs[i + 1]):
        ch = chains[j]
        for q in range(chain_ptr[ch], chain_ptr[ch + 1]):
            if write:
                out[k] = chain_edges[q]
            k += 1
    if arr_e[i] >= 0:
        ch = edge_chain[arr_e[i]]
        for j in range(chain_ptr[ch], chain_ptr[ch] + edge_pos[arr_e[i]] + 1):
            if write:
                out[k] = chain_edges[j]
            k += 1
    return k


@njit(cache=True, nogil=True)
def assemble_core(
    dep_e, dep_s, arr_e, arr_s, direct, chains, offs, chain_ptr, chain_edges, edge_chain, edge_pos, indices,
    meters, lat, lon, o_lat, o_lon, d_lat, d_lon,
):  # fmt: skip
    """Expand routes into concatenated original edges and points (numba; callable from other kernels).

    Route i starts at point (o_lat, o_lon)[i], on edge dep_e[i] at fraction dep_s[i] (-1: on a core
    node); if ``direct[i]`` it follows that chain to arr_e[i], otherwise it drives to the chain's end,
    along core chains ``chains[offs[i]:offs[i+1]]``, then from the start of arr_e[i]'s chain to fraction
    arr_s[i] of arr_e[i] (-1: ends on a core node), where the point (d_lat, d_lon)[i] is.
    Returns ``(edges, edge_offsets, lat, lon, point_offsets, meters)``.
    """
    n = dep_e.shape[0]
    ecount = np.zeros(n + 1, np.int64)
    none = np.zeros(0, np.int32)
    for i in range(n):
        ecount[i + 1] = _route_edges(
            i,
            dep_e,
            arr_e,
            direct,
            chains,
            offs,
            chain_ptr,
            chain_edges,
            edge_chain,
            edge_pos,
            none,
            ecount[i],
        )
    edges = np.empty(ecount[n], np.int32)
    for i in range(n):
        _route_edges(
            i,
            dep_e,
            arr_e,
            direct,
            chains,
            offs,
            chain_ptr,
            chain_edges,
            edge_chain,
            edge_pos,
            edges,
            ecount[i],
        )
    meters_out = np.zeros(n, np.float64)
    poffs = np.zeros(n + 1, np.int64)
    out_lat = np.empty(ecount[n] + 2 * n, np.float64)
    out_lon = np.empty(ecount[n] + 2 * n, np.float64)
    p = 0
    for i in range(n):
        lo = ecount[i]
        hi = ecount[i + 1]
        total = 0.0
        for j in range(lo, hi):
            total += meters[edges[j]]
        if hi > lo:
            if dep_e[i] >= 0:
                total -= dep_s[i] * meters[edges[lo]]  # part of the first edge behind the origin
            if arr_e[i] >= 0:
                total -= (1.0 - arr_s[i]) * meters[edges[hi - 1]]  # part beyond the destination
        meters_out[i] = total
        out_lat[p] = o_lat[i]
        out_lon[p] = o_lon[i]
        p += 1
        for j in range(lo, hi - 1):  # heads of all edges but the last are passed
            v = indices[edges[j]]
            if lat[v] != out_lat[p - 1] or lon[v] != out_lon[p - 1]:
                out_lat[p] = lat[v]
                out_lon[p] = lon[v]
                p += 1
        if d_lat[i] != out_lat[p - 1] or d_lon[i] != out_lon[p - 1] or p == poffs[i] + 1:
            out_lat[p] = d_lat[i]
            out_lon[p] = d_lon[i]
            p += 1
        poffs[i + 1] = p
    return edges, ecount, out_lat[:p], out_lon[:p], poffs, meters_out


def routes_from_arrays(seconds, edges, eoff, lat, lon, poff, meters) -> list[Route]:
    """Wrap ``assemble_core`` output (plus per-route seconds) into ``Route`` objects (views, no copies)."""
    return [
        Route(
            float(seconds[i]),
            float(meters[i]),
            edges[eoff[i] : eoff[i + 1]],
            lat[poff[i] : poff[i + 1]],
            lon[poff[i] : poff[i + 1]],
        )
        for i in range(len(seconds))
    ]


def shortest_route(
    graph: RoadGraph, core: CoreGraph, ws: Workspace, origin: Snap, dest: Snap, max_seconds: float = np.inf
) -> Route | None:
    """Fastest route from ``origin`` to ``dest`` (both snapped on ``graph``), or None if unreachable.

    ``ws`` is a ``Workspace`` for ``core`` owned by the calling thread.
    """
    direct = core.chain_direct(origin, dest)
    arr = core.arrivals(dest)
    dep = core.departures(origin)
    ws.ensure_units(1)
    gen = ws.next_gen()
    head = ws.node_head_scratch
    entry_next = np.full(len(dep), -1, np.int32)
    for i, h in enumerate(dep):
        entry_next[i] = head[h.core]
        head[h.core] = i
    n_touched = 0
    try:
        n_out, _, _, n_touched, _ = nearest_targets(
            core.rindptr, core.rindices, core.rseconds, core.redge,
            np.array([h.core for h in arr], np.int32), np.array([h.seconds for h in arr], np.float64),
            head, entry_next, np.zeros(len(dep), np.int32), np.array([h.seconds for h in dep], np.float64),
            np.ones(1, np.uint8),
            np.zeros(0 if direct is None else 1, np.int32),
            np.array([] if direct is None else [direct[0]], np.float64),
            1, float(max_seconds),
            ws.dist, ws.pedge, ws.touched, ws.hkey, ws.hnode,
            gen, ws.ubest, ws.ustamp, ws.uvia, ws.ufinal, ws.ckey, ws.cunit, ws.out_unit, ws.out_cost,
        )  # fmt: skip
    finally:
        for h in dep:
            head[h.core] = -1
        # only pedge is read below, and it needs no reset
        reset_nodes(ws.dist, ws.touched, n_touched)
    if n_out == 0:
        return None
    via = int(ws.uvia[0])
    cost = float(ws.out_cost[0])
    if via < 0:
        assert direct is not None  # only the direct-drive candidate has no via node
        _, e1, s1, e2, s2 = direct
        dep_h, arr_h, chains, offs = Hook(-1, 0.0, e1, s1), Hook(-1, 0.0, e2, s2), np.zeros(0, np.int32), None
    else:
        chains, offs = walk_paths(ws.pedge, core.chain_head_core, np.array([via], np.int64))
        end = int(core.chain_head_core[chains[-1]]) if chains.size else via
        dep_h = next(h for h in dep if h.core == via)
        arr_h = next(h for h in arr if h.core == end)
    out = assemble_core(
        np.array([dep_h.e], np.int64),
        np.array([dep_h.s]),
        np.array([arr_h.e], np.int64),
        np.array([arr_h.s]),
        np.array([via < 0], np.uint8),
        chains.astype(np.int32),
        offs if offs is not None else np.zeros(2, np.int64),
        core.chain_ptr,
        core.chain_edges,
        core.edge_chain,
        core.edge_pos,
        graph.indices,
        graph.meters,
        graph.lat,
        graph.lon,
        np.array([origin.lat]),
        np.array([origin.lon]),
        np.array([dest.lat]),
        np.array([dest.lon]),
    )
    return routes_from_arrays([cost], *out)[0]
