"""The search graph: the road graph with pass-through chains contracted ("core graph").

OSM road graphs keep every way node, so most nodes (68 % in Moscow) merely continue a road: exactly
two neighbours and consistent directions (whatever enters from one side leaves to the other).  Those
nodes are contracted: each maximal run of original edges between two *core* nodes becomes one core
edge whose time is the sum of its parts.  Dijkstra then settles ~3× fewer nodes, and exact answers are
unchanged because a chain offers no choice.

Positions stay expressed on the original graph (``Snap``) and are mapped here:
- a *move* ``(e, s)`` is "standing on original edge e at fraction s, facing along e"; it lies on chain
  ``edge_chain[e]`` at offset ``edge_off[e] + s·seconds[e]`` seconds from the chain's start;
- a vehicle's *departures* are the chain ends it can drive to (core node, seconds), an incident's
  *arrivals* the chain starts it can be reached from;
- two positions on the same chain, the vehicle behind the incident, are joined directly
  (``chain_direct``) — the core search alone would miss that.
``unpack`` expands core edges back into original edges for route geometry.
Cycles made only of pass-through nodes get one node promoted to core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .graph import RoadGraph
from .snapping import Snap


@njit(cache=True)
def _pass_through(indptr, indices, rindptr, rindices):
    """uint8 mask of contractible nodes (two distinct neighbours, direction-consistent)."""
    n = indptr.shape[0] - 1
    out = np.zeros(n, dtype=np.uint8)
    for x in range(n):
        no = indptr[x + 1] - indptr[x]
        ni = rindptr[x + 1] - rindptr[x]
        if no == 0 or ni == 0 or no > 2 or ni > 2:
            continue
        p = -1
        q = -1
        ok = True
        for j in range(indptr[x], indptr[x + 1]):
            y = indices[j]
            if p < 0 or y == p:
                p = y
            elif q < 0 or y == q:
                q = y
            else:
                ok = False
        for j in range(rindptr[x], rindptr[x + 1]):
            y = rindices[j]
            if p < 0 or y == p:
                p = y
            elif q < 0 or y == q:
                q = y
            else:
                ok = False
        if not ok or p < 0 or q < 0 or p == x or q == x:
            continue
        in_p = in_q = out_p = out_q = False
        for j in range(indptr[x], indptr[x + 1]):
            if indices[j] == p:
                out_p = True
            else:
                out_q = True
        for j in range(rindptr[x], rindptr[x + 1]):
            if rindices[j] == p:
                in_p = True
            else:
                in_q = True
        if in_p == out_q and in_q == out_p:
            out[x] = 1
    return out


@njit(cache=True)
def _chains(indptr, indices, seconds, is_core):
    """Walk every chain from each core node's out-edges.  Unassigned edges (pure cycles) keep -1."""
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    edge_chain = np.full(m, -1, dtype=np.int32)
    edge_pos = np.zeros(m, dtype=np.int32)
    edge_off = np.zeros(m, dtype=np.float64)
    chain_ptr = np.zeros(m + 1, dtype=np.int64)
    chain_edges = np.zeros(m, dtype=np.int32)
    chain_start = np.zeros(m, dtype=np.int32)
    chain_end = np.zeros(m, dtype=np.int32)
    chain_total = np.zeros(m, dtype=np.float64)
    nc = 0
    k = 0
    for a in range(n):
        if not is_core[a]:
            continue
        for e0 in range(indptr[a], indptr[a + 1]):
            chain_ptr[nc] = k
            e = e0
            prev = a
            off = 0.0
            pos = 0
            while True:
                edge_chain[e] = nc
                edge_pos[e] = pos
                edge_off[e] = off
                chain_edges[k] = e
                k += 1
                off += seconds[e]
                pos += 1
                x = indices[e]
                if is_core[x]:
                    break
                nxt = -1
                for j in range(indptr[x], indptr[x + 1]):
                    if indices[j] != prev:
                        nxt = j
                prev = x
                e = nxt
            chain_start[nc] = a
            chain_end[nc] = indices[e]
            chain_total[nc] = off
            nc += 1
    chain_ptr[nc] = k
    return (
        edge_chain,
        edge_pos,
        edge_off,
        chain_ptr[: nc + 1],
        chain_edges[:k],
        chain_start[:nc],
        chain_end[:nc],
        chain_total[:nc],
    )


@njit(cache=True, nogil=True)
def unpack(core_edges, chain_ptr, chain_edges):
    """Original edge ids of a sequence of core edges (= chains), in order."""
    total = 0
    for c in core_edges:
        total += chain_ptr[c + 1] - chain_ptr[c]
    out = np.empty(total, dtype=np.int32)
    k = 0
    for c in core_edges:
        for j in range(chain_ptr[c], chain_ptr[c + 1]):
            out[k] = chain_edges[j]
            k += 1
    return out


@njit(cache=True, nogil=True)
def hook_arrays(
    u, v, t, fwd, bwd, depart, core_of, edge_chain, edge_off, seconds, chain_start, chain_end, chain_total
):  # fmt: skip
    """Hooks of a position (see ``CoreGraph.departures``/``arrivals``) as arrays, fastest per core node.

    Returns ``(n, core[3], seconds[3], e[3], s[3], chain[2], offset[2])``; chain = -1 where a direction
    does not exist.
    """
    nodes = np.full(3, -1, np.int64)
    costs = np.zeros(3, np.float64)
    es = np.full(3, -1, np.int64)
    ss = np.zeros(3, np.float64)
    pchain = np.full(2, -1, np.int64)
    poff = np.zeros(2, np.float64)
    n = 0
    at = -1
    if t <= 0.0 and core_of[u] >= 0:
        at = core_of[u]
    elif t >= 1.0 and core_of[v] >= 0:
        at = core_of[v]
    if at >= 0:
        nodes[0] = at
        n = 1
    for k in range(2):
        e = fwd if k == 0 else bwd
        if e < 0:
            continue
        s = t if k == 0 else 1.0 - t
        c = edge_chain[e]
        off = edge_off[e] + s * seconds[e]
        pchain[k] = c
        poff[k] = off
        if depart:
            node = core_of[chain_end[c]]
            cost = max(chain_total[c] - off, 0.0)
        else:
            node = core_of[chain_start[c]]
            cost = off
        found = -1
        for j in range(n):
            if nodes[j] == node:
                found = j
        if found < 0:
            nodes[n] = node
            costs[n] = cost
            es[n] = e
            ss[n] = s
            n += 1
        elif cost < costs[found]:
            costs[found] = cost
            es[found] = e
            ss[found] = s
    return n, nodes, costs, es, ss, pchain, poff


def inverse_top_speed(x, y, tail, head, seconds) -> float:
    """1 / max over edges of (straight projected length / travel time), times (1 - 1e-9); 0 if unbounded."""
    if seconds.size == 0:
        return 0.0
    length = np.hypot(x[head] - x[tail], y[head] - y[tail])
    if np.any((seconds <= 0.0) & (length > 0.0)):
        return 0.0
    moving = seconds > 0.0
    top = float(np.max(length[moving] / seconds[moving])) if moving.any() else 0.0
    return (1.0 - 1e-9) / top if top > 0.0 else 0.0


@dataclass(frozen=True, slots=True)
class Hook:
    """A connection between a position and the core: core node, seconds, and the move (e, s) used.

    ``e`` = -1 means the position is exactly on that core node.
    """

    core: int
    seconds: float
    e: int
    s: float


class CoreGraph:
    """Contracted search graph over a ``RoadGraph`` (immutable; shareable between threads)."""

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        rindptr, rindices, _, _ = graph.reverse
        seconds = graph.seconds.astype(np.float64)
        is_core = 1 - _pass_through(graph.indptr, graph.indices, rindptr, rindices)
        while True:
            res = _chains(graph.indptr, graph.indices, seconds, is_core)
            lost = res[0] < 0
            if not lost.any():
                break
            # Cycles made only of pass-through nodes (rare: isolated loops) were never entered from a
            # core node; make their nodes core (one extra pass) rather than hunting one node per cycle.
            is_core[graph.tail[lost]] = 1
        (
            self.edge_chain,
            self.edge_pos,
            self.edge_off,
            self.chain_ptr,
            self.chain_edges,
            self.chain_start,
            self.chain_end,
            self.chain_total,
        ) = res
        self.seconds = seconds
        core_nodes = np.flatnonzero(is_core).astype(np.int32)
        self.node_of = core_nodes  # core id -> original node
        self.core_of = np.full(graph.n_nodes, -1, np.int32)
        self.core_of[core_nodes] = np.arange(core_nodes.size, dtype=np.int32)
        nc = core_nodes.size
        # Reverse CSR of core edges (chains), skipping loops that return to their start (never useful).
        keep = np.flatnonzero(self.chain_start != self.chain_end).astype(np.int32)
        heads = self.core_of[self.chain_end[keep]]
        order = np.argsort(heads, kind="stable")
        self.rindptr = np.zeros(nc + 1, np.int32)
        np.cumsum(np.bincount(heads, minlength=nc), out=self.rindptr[1:])
        kept = keep[order]
        self.rindices = self.core_of[self.chain_start[kept]].astype(np.int32)
        self.rseconds = self.chain_total[kept].astype(np.float64)
        self.redge = kept.astype(np.int32)  # chain id of each reverse edge
        # forward "head" per chain, in core ids (walk_paths follows pedge -> head)
        self.chain_head_core = self.core_of[self.chain_end].astype(np.int32)
        self.chain_tail_core = self.core_of[self.chain_start].astype(np.int32)
        # Forward CSR of the same core edges, for searches from one vehicle (``kernels.ball_astar``).
        tails = self.chain_tail_core[keep]
        order = np.argsort(tails, kind="stable")
        self.findptr = np.zeros(nc + 1, np.int32)
        np.cumsum(np.bincount(tails, minlength=nc), out=self.findptr[1:])
        kept = keep[order]
        self.findices = self.chain_head_core[kept].astype(np.int32)
        self.fseconds = self.chain_total[kept].astype(np.float64)
        self.fedge = kept.astype(np.int32)
        # Straight-line lower bound on travel time, for A*: metres (graph projection) of each core node,
        # and 1 / the fastest metres-per-second of any edge (projected length / time), shaved by 1e-9 so
        # rounding never makes the bound exceed a true time.  0 when an edge takes no time at all.
        x, y = graph.xy
        self.cx = np.ascontiguousarray(x[core_nodes], dtype=np.float64)
        self.cy = np.ascontiguousarray(y[core_nodes], dtype=np.float64)
        self.inv_speed = inverse_top_speed(x, y, graph.tail, graph.indices, seconds)

    @property
    def n_core(self) -> int:
        return int(self.node_of.shape[0])

    @property
    def rev(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.rindptr, self.rindices, self.rseconds, self.redge

    # ------------------------------------------------------------------ positions
    def hooks(self, snap: Snap, depart: bool):
        """``hook_arrays`` for a snap: departures (``depart``) or arrivals."""
        return hook_arrays(
            snap.u,
            snap.v,
            snap.t,
            snap.fwd_edge,
            snap.bwd_edge,
            depart,
            self.core_of,
            self.edge_chain,
            self.edge_off,
            self.seconds,
            self.chain_start,
            self.chain_end,
            self.chain_total,
        )

    def _hook_list(self, snap: Snap, depart: bool) -> list[Hook]:
        n, nodes, costs, es, ss, _, _ = self.hooks(snap, depart)
        return [Hook(int(nodes[i]), float(costs[i]), int(es[i]), float(ss[i])) for i in range(n)]

    def departures(self, snap: Snap) -> list[Hook]:
        """Core nodes a vehicle at ``snap`` can drive to (at most two), fastest hook per core node."""
        return self._hook_list(snap, True)

    def arrivals(self, snap: Snap) -> list[Hook]:
        """Core nodes from which ``snap`` is reached (at most two), fastest hook per core node."""
        return self._hook_list(snap, False)

    def chain_positions(self, snap: Snap) -> list[tuple[int, float, int, float]]:
        """(chain, offset seconds, e, s) for each direction the position can face."""
        out = []
        for e, s in ((snap.fwd_edge, snap.t), (snap.bwd_edge, 1.0 - snap.t)):
            if e >= 0:
                out.append((int(self.edge_chain[e]), float(self.edge_off[e] + s * self.seconds[e]), e, s))
        return out

    def chain_direct(self, origin: Snap, dest: Snap) -> tuple[float, int, float, int, float] | None:
        """Fastest drive from origin to dest along one chain without reaching a core node.

        Returns ``(seconds, e_from, s_from, e_to, s_to)`` or None.
        """
        best = None
        for c1, o1, e1, s1 in self.chain_positions(origin):
            for c2, o2, e2, s2 in self.chain_positions(dest):
                if c1 == c2 and o1 <= o2 and (best is None or o2 - o1 < best[0]):
                    best = (o2 - o1, e1, s1, e2, s2)
        return best

    # ------------------------------------------------------------------ geometry helpers
    def chain_after(self, e: int) -> np.ndarray:
        """Original edges after e up to the end of its chain."""
        c = self.edge_chain[e]
        return self.chain_edges[self.chain_ptr[c] + self.edge_pos[e] + 1 : self.chain_ptr[c + 1]]

    def chain_before(self, e: int) -> np.ndarray:
        """Original edges from the start of e's chain up to (excluding) e."""
        c = self.edge_chain[e]
        return self.chain_edges[self.chain_ptr[c] : self.chain_ptr[c] + self.edge_pos[e]]

    def chain_between(self, e1: int, e2: int) -> np.ndarray:
        """Original edges strictly between e1 and e2 on their (common) chain."""
        c = self.edge_chain[e1]
        base = self.chain_ptr[c]
        return self.chain_edges[base + self.edge_pos[e1] + 1 : base + self.edge_pos[e2]]
