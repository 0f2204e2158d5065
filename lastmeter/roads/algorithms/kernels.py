"""Compiled (numba) search kernels: the only hot code of the road engine.

``nearest_targets`` is a Dijkstra on the *reverse* graph started at a destination (the incident).  It
settles nodes in order of travel time *to* the destination.  Targets (units) hang off nodes through
"entries" kept as singly linked lists (``node_head``/``entry_next``) so that moving one unit is O(1):
an entry says "unit u reaches node v after ``entry_cost`` seconds" (a unit standing mid-edge drives to
one or both ends of its edge).  When node v is settled at distance d, each entry there gives unit u the
candidate time d + entry_cost; a candidate is final once the search frontier has passed it (strictly,
so ties resolve by unit index, deterministically).  The search stops as soon as K units are final, so
it touches only the neighbourhood of the incident (its "ball": every node it settled has an exact time
to the destination, marked ``pos[v] == DONE``).

``ball_astar`` answers "how long from this one unit?" for a unit outside the answer (used to explain
crow-flies differences): a forward A* from the unit, guided by straight-line distance over the fastest
speed in the graph (a lower bound, so answers stay exact), that stops at the ball — every route into
the destination crosses it, and inside it the remaining time is already known.  That explores a thin
region between the unit and the ball instead of growing the ball until the unit is reached.

Scratch arrays (``Workspace``, one per thread: kernels release the GIL) are allocated once per graph.
Node distances start at +inf; each search records the nodes it touched and ``reset_nodes`` restores
just those afterwards, so nothing of graph size is allocated or cleared per query.  Unit-indexed
candidate arrays use a generation stamp instead (``ustamp[u] == gen``).

``walk_paths`` follows the stored predecessor edges from each answer back to the destination.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .heap import heap_pop, heap_push

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
    rindptr, rindices, rseconds, redge, seed_node, seed_cost,
    node_head, entry_next, entry_unit, entry_cost, unit_ok, init_unit, init_cost, k, max_cost,
    dist, pedge, touched, hkey, hnode,
    gen, ubest, ustamp, uvia, ufinal, ckey, cunit, out_unit, out_cost,
):  # fmt: skip
    """Reverse Dijkstra from the seeds until k allowed units are final (or none can be any more).

    Returns ``(n_out, n_settled, exhausted, n_touched, frontier)``: answers are ``out_unit[:n_out]`` in
    increasing ``out_cost`` (ties by unit index); exhausted = every node that can reach the seeds was
    settled; every node not settled needs at least ``frontier`` seconds (+inf once exhausted), so
    ``dist[v] < frontier`` exactly when v was settled, and then ``dist[v]`` is its exact time.
    ``uvia[u]`` is the node through which unit u enters (-1: direct, from ``init_unit``); ``pedge``
    holds, for every reached node, the forward edge towards the destination.  ``ubest[u]`` with
    ``ustamp[u] == gen`` is the best candidate time found for unit u (a real route, not necessarily the
    fastest unless final).
    Preconditions: scratch arrays sized and reset as in ``Workspace`` (``dist`` all +inf; ``ustamp``,
    ``ufinal`` < gen).  The caller calls ``reset_nodes(dist, touched, n_touched)`` once it has read
    ``dist``.
    """
    hsize = 0
    csize = 0
    nt = 0
    for i in range(seed_node.shape[0]):
        v = seed_node[i]
        c = seed_cost[i]
        if c < dist[v]:
            if dist[v] == INF:  # first touch (seed costs are finite)
                touched[nt] = v
                nt += 1
            dist[v] = c
            pedge[v] = -1
            hsize = heap_push(hkey, hnode, hsize, c, v)
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
    while True:
        while hsize > 0 and hkey[0] > dist[hnode[0]]:
            hsize = heap_pop(hkey, hnode, hsize)  # stale: the node was reached faster since
        d = hkey[0] if hsize > 0 else INF
        # Finalise every candidate strictly below the frontier (all of them once the heap is empty).
        done = False
        while csize > 0 and ckey[0] < d:
            c = ckey[0]
            u = cunit[0]
            csize = _pop(ckey, cunit, csize)
            if ufinal[u] == gen or c != ubest[u]:
                continue  # stale candidate
            if c > max_cost:
                csize = 0
                break
            ufinal[u] = gen
            out_unit[n_out] = u
            out_cost[n_out] = c
            n_out += 1
            if n_out >= k:
                done = True
                break
        if done:
            break
        if hsize == 0:
            exhausted = True
            break
        if d > max_cost:
            break
        v = hnode[0]
        hsize = heap_pop(hkey, hnode, hsize)
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
            if nd < dist[w]:
                if dist[w] == INF:
                    touched[nt] = w
                    nt += 1
                dist[w] = nd
                pedge[w] = redge[j]
                hsize = heap_push(hkey, hnode, hsize, nd, w)
    frontier = hkey[0] if hsize > 0 else INF
    return n_out, n_settled, exhausted, nt, frontier


@njit(cache=True, nogil=True)
def reset_nodes(dist, touched, n_touched):
    """Restore ``dist`` to +inf for the nodes a search touched."""
    for i in range(n_touched):
        dist[touched[i]] = INF


@njit(cache=True, nogil=True, inline="always")
def _bound(x, cx, cy, tx, ty, inv_speed, frontier):
    return max(frontier, inv_speed * math.sqrt((cx[x] - tx) ** 2 + (cy[x] - ty) ** 2))


@njit(cache=True, nogil=True)
def ball_astar(
    findptr, findices, fseconds, fedge, chain_tail, cx, cy, tx, ty, inv_speed,
    src_node, src_cost, n_src, seed_node, seed_cost, n_seed, dist, frontier, best, cap,
    fdist, fpred, ftouched, fkey, fnode, path,
):  # fmt: skip
    """Fastest time from one vehicle to the destination of a finished ``nearest_targets`` search.

    The vehicle leaves from core nodes ``src_node[:n_src]`` after ``src_cost`` seconds; the destination
    is reached from ``seed_node[:n_seed]`` after ``seed_cost`` (its arrival hooks).  Nodes with
    ``dist[v] < frontier`` were settled by the search (its "ball": ``dist`` is their exact time to the
    destination) and every other node needs at least ``frontier`` seconds.  ``best`` is an upper bound
    already known (a real route, or +inf); only routes no slower than ``cap`` are looked for.  The
    heuristic is the larger of ``frontier`` and the straight line from a node (``cx``/``cy``, metres)
    to the destination point (``tx``/``ty``) times ``inv_speed`` (1 / the fastest metres-per-second of
    any edge; 0 = none): both are lower bounds on the remaining time, so the answer is exact.

    Returns ``(best, mode, via, n_path, unreachable, n_settled)``: mode 0 = ``best`` was not improved;
    1 = drive ``path[:n_path]`` (forward edge ids, from core node ``via``) to a ball node, then follow
    the search's ``pedge`` from that node; 2 = drive ``path[:n_path]`` from ``via`` to a seed.
    ``unreachable``: proven that no route exists (at any time).  A result ``best`` > cap means "not
    within cap".  Preconditions: ``fdist`` all +inf (it is reset again on return); heap arrays hold one
    entry per edge; ``path`` has room for one edge per core node.
    """
    nt = 0
    size = 0
    n_settled = 0
    mode = 0
    meet = -1
    pruned = False
    for i in range(n_src):
        s = src_node[i]
        c = src_cost[i]
        if c >= fdist[s]:
            continue
        if fdist[s] == INF:
            ftouched[nt] = s
            nt += 1
        fdist[s] = c
        fpred[s] = -1
        if dist[s] < frontier:  # leaves from inside the ball
            if c + dist[s] < best:
                best = c + dist[s]
                mode = 1
                meet = s
            continue
        for j in range(n_seed):
            if seed_node[j] == s and c + seed_cost[j] < best:
                best = c + seed_cost[j]
                mode = 2
                meet = s
        f = c + _bound(s, cx, cy, tx, ty, inv_speed, frontier)
        if f > cap:
            pruned = True
            continue
        size = heap_push(fkey, fnode, size, f, s)
    while size > 0:
        f = fkey[0]
        x = fnode[0]
        if f >= best:
            break
        if f > cap:
            pruned = True
            break
        size = heap_pop(fkey, fnode, size)
        dx = fdist[x]
        if dx < 0.0 or f > dx + _bound(x, cx, cy, tx, ty, inv_speed, frontier):
            continue  # stale entry
        # Closed for good (marked by a negative time): the bound is consistent, so a closed node is
        # never reached faster later, and each node is pushed at most once per in-edge (heap capacity).
        fdist[x] = -1.0
        n_settled += 1
        for j in range(findptr[x], findptr[x + 1]):
            y = findices[j]
            nd = dx + fseconds[j]
            if nd >= fdist[y] or fdist[y] < 0.0:
                continue
            if dist[y] < frontier:  # in the ball: the rest of the way is known; never expand it
                if fdist[y] == INF:
                    ftouched[nt] = y
                    nt += 1
                fdist[y] = nd
                fpred[y] = fedge[j]
                if nd + dist[y] < best:
                    best = nd + dist[y]
                    mode = 1
                    meet = y
                continue
            fy = nd + _bound(y, cx, cy, tx, ty, inv_speed, frontier)
            if fy >= best:
                continue
            if fy > cap:
                pruned = True
                continue
            if fdist[y] == INF:
                ftouched[nt] = y
                nt += 1
            fdist[y] = nd
            fpred[y] = fedge[j]
            for q in range(n_seed):
                if seed_node[q] == y and nd + seed_cost[q] < best:
                    best = nd + seed_cost[q]
                    mode = 2
                    meet = y
            size = heap_push(fkey, fnode, size, fy, y)
    unreachable = best == INF and not pruned
    n_path = 0
    via = -1
    if mode > 0:
        x = meet
        while fpred[x] >= 0:
            n_path += 1
            x = chain_tail[fpred[x]]
        via = x
        x = meet
        for i in range(n_path - 1, -1, -1):
            path[i] = fpred[x]
            x = chain_tail[fpred[x]]
    for i in range(nt):
        fdist[ftouched[i]] = INF
    return best, mode, via, n_path, unreachable, n_settled


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
    """Scratch arrays for one thread's searches on one graph (sizes: nodes, unit capacity).

    Node arrays are allocated once (a few MB for a city) and kept clean by the searches themselves
    (touched-list reset), so queries allocate nothing of graph size.
    """

    # unit-indexed arrays, created (and grown) by ``ensure_units``
    ubest: np.ndarray
    ustamp: np.ndarray
    uvia: np.ndarray
    ufinal: np.ndarray
    ckey: np.ndarray
    cunit: np.ndarray
    out_unit: np.ndarray
    out_cost: np.ndarray
    ok: np.ndarray
    d2: np.ndarray
    init_u: np.ndarray
    init_c: np.ndarray

    def __init__(self, n_nodes: int, n_edges: int, n_units: int = 0) -> None:
        n = max(n_nodes, 1)
        heap = n_edges + 16  # lazy heaps: one entry per relaxed edge at most (plus seeds)
        # reverse search (from the destination)
        self.dist = np.full(n, np.inf, dtype=np.float64)
        self.pedge = np.full(n, -1, dtype=np.int32)
        self.touched = np.zeros(n, dtype=np.int32)
        self.hkey = np.zeros(heap, dtype=np.float64)
        self.hnode = np.zeros(heap, dtype=np.int32)
        # forward searches (``ball_astar``)
        self.fdist = np.full(n, np.inf, dtype=np.float64)
        self.fpred = np.full(n, -1, dtype=np.int32)
        self.ftouched = np.zeros(n, dtype=np.int32)
        self.fkey = np.zeros(heap, dtype=np.float64)
        self.fnode = np.zeros(heap, dtype=np.int32)
        self.path = np.zeros(n, dtype=np.int32)
        # all -1; single-route searches link their 1-2 entries here and unlink them afterwards
        self.node_head_scratch = np.full(n, -1, dtype=np.int32)
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
        self.ok = np.zeros(cap, dtype=np.uint8)
        self.d2 = np.zeros(cap, dtype=np.float64)
        self.init_u = np.zeros(4 * cap + 4, dtype=np.int32)
        self.init_c = np.zeros(4 * cap + 4, dtype=np.float64)

    def next_gen(self) -> int:
        """A fresh generation number for the unit stamps; wraps by clearing them (once per 2**31 queries)."""
        self.gen += 1
        if self.gen >= 2**31 - 1:
            self.ustamp[:] = 0
            self.ufinal[:] = 0
            self.gen = 1
        return self.gen
