"""Compiled (numba) search kernels: the only hot code of the road engine.

``nearest_targets`` is a Dijkstra on the *reverse* graph started at a destination (the incident).  It
settles nodes in order of travel time *to* the destination.  Targets (units) hang off nodes through
"entries" kept as singly linked lists (``node_head``/``entry_next``) so that moving one unit is O(1):
an entry says "unit u reaches node v after ``entry_cost`` seconds" (a unit standing mid-edge drives to
one or both ends of its edge).  When node v is settled at distance d, each entry there gives unit u the
candidate time d + entry_cost; a candidate is final once the search frontier has passed it (strictly,
so ties resolve by unit index, deterministically).  The search stops as soon as K units are final
(plus, optionally, a set of "wanted" units up to a cost cap — used to explain crow-flies differences),
so it touches only the neighbourhood of the incident.

Per-query scratch arrays are reused between queries: a node's distance is valid only when
``stamp[v] == gen``, so nothing of size N is cleared per query.  The caller owns a ``Workspace`` per
thread (kernels release the GIL).

``walk_paths`` follows the stored predecessor edges from each answer back to the destination.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, nogil=True, inline="always")
def _less(ka, ia, kb, ib):
    return ka < kb or (ka == kb and ia < ib)


@njit(cache=True, nogil=True)
def _push(keys, ids, size, key, ident):
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if _less(key, ident, keys[p], ids[p]):
            keys[i] = keys[p]
            ids[i] = ids[p]
            i = p
        else:
            break
    keys[i] = key
    ids[i] = ident
    return size + 1


@njit(cache=True, nogil=True)
def _pop(keys, ids, size):
    """Remove the root; caller read keys[0], ids[0] first.  Returns the new size."""
    size -= 1
    if size == 0:
        return 0
    key = keys[size]
    ident = ids[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and _less(keys[c + 1], ids[c + 1], keys[c], ids[c]):
            c += 1
        if _less(keys[c], ids[c], key, ident):
            keys[i] = keys[c]
            ids[i] = ids[c]
            i = c
        else:
            break
    keys[i] = key
    ids[i] = ident
    return size


@njit(cache=True, nogil=True)
def nearest_targets(
    rindptr,
    rindices,
    rseconds,
    redge,
    seed_node,
    seed_cost,
    node_head,
    entry_next,
    entry_unit,
    entry_cost,
    unit_ok,
    init_unit,
    init_cost,
    k,
    max_cost,
    want,
    n_want,
    want_factor,
    want_extra,
    dist,
    pedge,
    stamp,
    gen,
    hkey,
    hnode,
    ubest,
    ustamp,
    uvia,
    ufinal,
    ckey,
    cunit,
    out_unit,
    out_cost,
):
    """Reverse Dijkstra from the seeds until k allowed units (and the wanted ones) are final.

    Returns ``(n_out, n_settled, exhausted)`` (exhausted: no unreached node can reach the seeds); answers are ``out_unit[:n_out]`` in increasing ``out_cost``
    (ties by unit index).  ``uvia[u]`` is the node through which unit u enters (-1: direct, from
    ``init_unit``); ``pedge`` holds, for every reached node, the forward edge towards the destination.
    Preconditions: scratch arrays sized as in ``Workspace``; ``stamp``/``ustamp``/``ufinal`` < gen.
    """
    hsize = 0
    csize = 0
    for i in range(seed_node.shape[0]):
        v = seed_node[i]
        c = seed_cost[i]
        if stamp[v] != gen or c < dist[v]:
            stamp[v] = gen
            dist[v] = c
            pedge[v] = -1
            hsize = _push(hkey, hnode, hsize, c, v)
    for i in range(init_unit.shape[0]):
        u = init_unit[i]
        c = init_cost[i]
        if unit_ok[u] and c <= max_cost and (ustamp[u] != gen or c < ubest[u]):
            ustamp[u] = gen
            ubest[u] = c
            uvia[u] = -1
            csize = _push(ckey, cunit, csize, c, u)

    n_out = 0
    n_settled = 0
    exhausted = False
    cap = max_cost
    wanted_left = n_want
    done = False
    while not done:
        if hsize > 0:
            d = hkey[0]
            v = hnode[0]
            hsize = _pop(hkey, hnode, hsize)
            if d > dist[v]:
                continue  # stale heap entry
        else:
            d = INF
            v = -1
        # Finalise every candidate strictly below the frontier (all of them once the heap is empty).
        # Once the heap is empty every candidate is exact and costs nothing more to report, so the
        # "wanted" cap no longer applies, only max_cost.
        limit = cap if v >= 0 else max_cost
        while csize > 0 and ckey[0] < d:
            c = ckey[0]
            u = cunit[0]
            csize = _pop(ckey, cunit, csize)
            if ufinal[u] == gen or c != ubest[u]:
                continue
            if c > limit:
                csize = 0
                break
            ufinal[u] = gen
            out_unit[n_out] = u
            out_cost[n_out] = c
            n_out += 1
            if want[u]:
                wanted_left -= 1
            if n_out == k:
                cap = min(max_cost, max(c * want_factor, c + want_extra)) if wanted_left > 0 else c
            if n_out >= k and wanted_left <= 0:
                done = True
                break
        if v < 0:
            exhausted = True  # every node reachable from the destination has been settled
        if done or v < 0 or d > cap:
            break
        n_settled += 1
        e = node_head[v]
        while e >= 0:
            u = entry_unit[e]
            if unit_ok[u]:
                c = d + entry_cost[e]
                if ufinal[u] != gen and (ustamp[u] != gen or c < ubest[u]):
                    ustamp[u] = gen
                    ubest[u] = c
                    uvia[u] = v
                    csize = _push(ckey, cunit, csize, c, u)
            e = entry_next[e]
        for j in range(rindptr[v], rindptr[v + 1]):
            w = rindices[j]
            nd = d + rseconds[j]
            if stamp[w] != gen or nd < dist[w]:
                stamp[w] = gen
                dist[w] = nd
                pedge[w] = redge[j]
                hsize = _push(hkey, hnode, hsize, nd, w)
    return n_out, n_settled, exhausted


@njit(cache=True, nogil=True)
def walk_paths(pedge, indices, starts):
    """Edge ids from each start node along ``pedge`` to the search root, concatenated.

    Returns ``(edges, offsets)``: path i is ``edges[offsets[i]:offsets[i+1]]``; a start of -1 gives an
    empty path.  Precondition: ``pedge`` is from the query that reached every start node.
    """
    n = starts.shape[0]
    offsets = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        v = starts[i]
        cnt = 0
        if v >= 0:
            e = pedge[v]
            while e >= 0:
                cnt += 1
                e = pedge[indices[e]]
        offsets[i + 1] = offsets[i] + cnt
    edges = np.empty(offsets[n], dtype=np.int32)
    for i in range(n):
        v = starts[i]
        if v < 0:
            continue
        pos = offsets[i]
        e = pedge[v]
        while e >= 0:
            edges[pos] = e
            pos += 1
            e = pedge[indices[e]]
    return edges, offsets


class Workspace:
    """Scratch arrays for one thread's searches on one graph (sizes: nodes, edges, unit capacity)."""

    # unit-indexed arrays, created (and grown) by ``ensure_units``
    ubest: np.ndarray
    ustamp: np.ndarray
    uvia: np.ndarray
    ufinal: np.ndarray
    ckey: np.ndarray
    cunit: np.ndarray
    out_unit: np.ndarray
    out_cost: np.ndarray
    want: np.ndarray
    ok: np.ndarray
    d2: np.ndarray
    init_u: np.ndarray
    init_c: np.ndarray

    def __init__(self, n_nodes: int, n_edges: int, n_units: int = 0) -> None:
        self.dist = np.zeros(n_nodes, dtype=np.float64)
        self.pedge = np.zeros(n_nodes, dtype=np.int32)
        self.stamp = np.zeros(n_nodes, dtype=np.int32)
        self.hkey = np.zeros(n_edges + 16, dtype=np.float64)
        self.hnode = np.zeros(n_edges + 16, dtype=np.int32)
        # all -1; single-route searches link their 1-2 entries here and unlink them afterwards
        self.node_head_scratch = np.full(n_nodes, -1, dtype=np.int32)
        self.gen = 0
        self.ensure_units(n_units)

    def ensure_units(self, n_units: int) -> None:
        """Grow the unit-indexed arrays to hold ``n_units`` (kept when already large enough)."""
        cap = max(n_units, 1)
        if hasattr(self, "ubest") and self.ubest.shape[0] >= cap:
            return
        cap = max(cap, 2 * getattr(self, "ubest", np.zeros(0)).shape[0])
        self.ubest = np.zeros(cap, dtype=np.float64)
        self.ustamp = np.zeros(cap, dtype=np.int32)
        self.uvia = np.zeros(cap, dtype=np.int32)
        self.ufinal = np.zeros(cap, dtype=np.int32)
        self.ckey = np.zeros(3 * cap + 16, dtype=np.float64)
        self.cunit = np.zeros(3 * cap + 16, dtype=np.int32)
        self.out_unit = np.zeros(cap, dtype=np.int32)
        self.out_cost = np.zeros(cap, dtype=np.float64)
        self.want = np.zeros(cap, dtype=np.uint8)
        self.ok = np.zeros(cap, dtype=np.uint8)
        self.d2 = np.zeros(cap, dtype=np.float64)
        self.init_u = np.zeros(4 * cap + 4, dtype=np.int32)
        self.init_c = np.zeros(4 * cap + 4, dtype=np.float64)
        self.ustamp[:] = 0
        self.ufinal[:] = 0

    def next_gen(self) -> int:
        """A fresh generation number; wraps by clearing stamps (once per 2**31 queries)."""
        self.gen += 1
        if self.gen >= 2**31 - 1:
            self.stamp[:] = 0
            self.ustamp[:] = 0
            self.ufinal[:] = 0
            self.gen = 1
        return self.gen
