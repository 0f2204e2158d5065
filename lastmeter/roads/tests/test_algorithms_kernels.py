"""The search kernels on their own: the heap, the reverse search's ball, and ``ball_astar``.

Hand-made CSR graphs (node ids and seconds chosen so the answers can be worked out), then random road
graphs against scipy's Dijkstra.  Also checks that the scratch arrays are left clean (all +inf), since
queries reset only the nodes they touched.
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from lastmeter.roads.algorithms.core import CoreGraph, inverse_top_speed
from lastmeter.roads.algorithms.heap import heap_pop, heap_push
from lastmeter.roads.algorithms.kernels import Workspace, ball_astar, nearest_targets, reset_nodes
from lastmeter.testing.roads import make_graph, random_graph


@settings(max_examples=80, deadline=None)
@given(ops=st.lists(st.one_of(st.floats(0, 1000, allow_nan=False), st.none()), max_size=200))
def test_it_pops_keys_in_order_like_heapq(ops: list[float | None]) -> None:
    keys = np.zeros(len(ops) + 1)
    nodes = np.zeros(len(ops) + 1, np.int32)
    size = 0
    ref: list[tuple[float, int]] = []
    for i, op in enumerate(ops):
        if op is None:  # pop
            if not ref:
                continue
            key, node = float(keys[0]), int(nodes[0])
            size = heap_pop(keys, nodes, size)
            want, _ = heapq.heappop(ref)
            assert key == want  # among equal keys any node may come first
            assert ops[node] == key
        else:
            size = heap_push(keys, nodes, size, op, i)
            heapq.heappush(ref, (op, i))
        assert size == len(ref)
    drained = []
    while size:
        drained.append(float(keys[0]))
        size = heap_pop(keys, nodes, size)
    assert drained == sorted(k for k, _ in ref)


# ---------------------------------------------------------------------- hand-made graph
#   0 →10→ 1 →10→ 2 →10→ 3        5 (no way out)
#   ↑                     |
#   └────────100──────────┘       edge ids in this order: 0→1, 1→2, 2→3, 3→0
EDGES = [(0, 1, 10.0), (1, 2, 10.0), (2, 3, 10.0), (3, 0, 100.0)]
N = 6


def csr(edges, n, reverse):
    """CSR of (tail, head, seconds) edges; reverse=True lists in-edges.  Returns indptr, nbr, sec, id."""
    key = [(h if reverse else t) for t, h, _ in edges]
    order = sorted(range(len(edges)), key=lambda i: (key[i], i))
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(np.array(key, dtype=np.int64), minlength=n), out=indptr[1:])
    nbr = np.array([edges[i][0] if reverse else edges[i][1] for i in order], np.int32)
    sec = np.array([edges[i][2] for i in order], np.float64)
    return indptr, nbr, sec, np.array(order, np.int32)


def reverse_search(ws, rev, dest, units, k):
    """Run ``nearest_targets`` from ``dest`` for units = [(node, entry seconds)]; returns its result."""
    n = ws.dist.shape[0]
    ws.ensure_units(len(units))
    head = np.full(n, -1, np.int32)
    entry_next = np.full(max(len(units), 1), -1, np.int32)
    for i, (node, _) in enumerate(units):
        entry_next[i] = head[node]
        head[node] = i
    return nearest_targets(
        *rev, np.array([dest], np.int32), np.zeros(1),
        head, entry_next, np.arange(len(units), dtype=np.int32),
        np.array([c for _, c in units] or [0.0]), np.ones(max(len(units), 1), np.uint8),
        np.zeros(0, np.int32), np.zeros(0), k, math.inf,
        ws.dist, ws.pedge, ws.touched, ws.hkey, ws.hnode,
        ws.next_gen(), ws.ubest, ws.ustamp, ws.uvia, ws.ufinal, ws.ckey, ws.cunit, ws.out_unit, ws.out_cost,
    )  # fmt: skip


def astar(ws, fwd, tail_of, dest, src, frontier, cap, xy=None, inv_speed=0.0, best=math.inf):
    n = ws.dist.shape[0]
    cx, cy = xy if xy is not None else (np.zeros(n), np.zeros(n))
    return ball_astar(
        *fwd, tail_of, cx, cy, float(cx[dest]), float(cy[dest]), inv_speed,
        np.array([src], np.int64), np.zeros(1), 1, np.array([dest], np.int64), np.zeros(1), 1,
        ws.dist, frontier, best, cap, ws.fdist, ws.fpred, ws.ftouched, ws.fkey, ws.fnode, ws.path,
    )  # fmt: skip


def test_it_stops_at_k_units_and_reports_the_settled_ball():
    ws = Workspace(N, len(EDGES) + 4, 2)
    rev = csr(EDGES, N, reverse=True)
    # unit 0 stands on node 0; unit 1 reaches node 2 after 5 s.  From 3 backwards: 2 at 10 s, 1 at 20 s.
    n_out, n_settled, exhausted, n_touched, frontier = reverse_search(ws, rev, 3, [(0, 0.0), (2, 5.0)], k=1)
    assert (n_out, int(ws.out_unit[0]), float(ws.out_cost[0])) == (1, 1, 15.0)
    assert not exhausted
    assert frontier == 20.0  # unit 1 (15 s) became certain once the frontier reached node 1 (20 s)
    assert n_settled == 2 and ws.dist[3] == 0.0 and ws.dist[2] == 10.0  # the ball: dist < frontier
    assert ws.dist[1] == 20.0 and ws.pedge[1] == 1  # reached, not settled; leaves by edge 1→2
    fwd = csr(EDGES, N, reverse=False)
    tail_of = np.array([t for t, _, _ in EDGES], np.int32)
    # unit 0 from node 0: 0→1→2 (20 s) into the ball, then 10 s known: 30 s
    best, mode, via, n_path, unreachable, _ = astar(ws, fwd, tail_of, 3, 0, frontier, cap=math.inf)
    assert (best, mode, via, ws.path[:n_path].tolist(), unreachable) == (30.0, 1, 0, [0, 1], False)
    # within 25 s?  At node 1 it has used 10 s and still needs ≥ 20 s (the frontier): no
    best, mode, _, _, unreachable, _ = astar(ws, fwd, tail_of, 3, 0, frontier, cap=25.0)
    assert best == math.inf and mode == 0 and not unreachable
    # node 5 has no way out at all
    best, _, _, _, unreachable, _ = astar(ws, fwd, tail_of, 3, 5, frontier, cap=math.inf)
    assert best == math.inf and unreachable
    # a known route already as fast is kept (mode 0)
    best, mode, _, _, _, _ = astar(ws, fwd, tail_of, 3, 0, frontier, cap=math.inf, best=30.0)
    assert (best, mode) == (30.0, 0)
    reset_nodes(ws.dist, ws.touched, n_touched)
    assert np.all(np.isinf(ws.dist)) and np.all(np.isinf(ws.fdist))


def test_it_bounds_speed_by_the_fastest_edge_and_gives_up_on_zero_time_edges():
    x = np.array([0.0, 100.0, 100.0])
    y = np.array([0.0, 0.0, 50.0])
    tail, head = np.array([0, 1]), np.array([1, 2])
    assert inverse_top_speed(x, y, tail, head, np.array([10.0, 10.0])) == pytest.approx(1 / 10.0)
    assert inverse_top_speed(x, y, tail, head, np.array([10.0, 0.0])) == 0.0
    assert inverse_top_speed(x, y, tail[:0], head[:0], np.zeros(0)) == 0.0


def test_it_builds_the_forward_core_graph_from_the_same_chains():
    g = make_graph(
        [(0, 0), (100, 0), (200, 0), (300, 0), (200, -100), (200, 100)],
        [(0, 1), (1, 2), (2, 3, True), (2, 4), (5, 2, True)],
    )
    core = CoreGraph(g)
    fwd = {
        (int(core.chain_tail_core[c]), int(h), float(s), int(c))
        for t in range(core.n_core)
        for h, s, c in zip(
            core.findices[core.findptr[t] : core.findptr[t + 1]],
            core.fseconds[core.findptr[t] : core.findptr[t + 1]],
            core.fedge[core.findptr[t] : core.findptr[t + 1]],
            strict=True,
        )
    }
    rev = {
        (int(t), int(core.chain_head_core[c]), float(s), int(c))
        for h in range(core.n_core)
        for t, s, c in zip(
            core.rindices[core.rindptr[h] : core.rindptr[h + 1]],
            core.rseconds[core.rindptr[h] : core.rindptr[h + 1]],
            core.redge[core.rindptr[h] : core.rindptr[h + 1]],
            strict=True,
        )
    }
    assert fwd == rev and len(fwd) == core.findices.size == core.rindices.size


# ---------------------------------------------------------------------- random graphs vs scipy
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 1_000_000))
def test_it_times_any_vehicle_exactly_from_the_ball(seed: int) -> None:
    rng = np.random.default_rng(seed)
    graph = random_graph(rng, n=int(rng.integers(3, 40)), n_ways=int(rng.integers(2, 30)))
    core = CoreGraph(graph)
    n = core.n_core
    # fastest of parallel chains (a scipy matrix would add duplicate entries up)
    pairs: dict[tuple[int, int], float] = {}
    for t in range(n):
        for j in range(core.findptr[t], core.findptr[t + 1]):
            key = (t, int(core.findices[j]))
            pairs[key] = min(pairs.get(key, math.inf), float(core.fseconds[j]))
    rows, cols = zip(*pairs, strict=True) if pairs else ((), ())
    mat = sp.csr_matrix((list(pairs.values()), (rows, cols)), shape=(n, n))
    ws = Workspace(n, core.rindices.size, 8)
    fwd = (core.findptr, core.findices, core.fseconds, core.fedge)
    for _ in range(3):
        dest = int(rng.integers(n))
        to_dest = dijkstra(mat.T.tocsr(), indices=dest)  # time from every node to dest
        units = [(int(rng.integers(n)), float(rng.uniform(0, 30))) for _ in range(int(rng.integers(0, 5)))]
        k = int(rng.integers(1, 4))
        n_out, _, exhausted, n_touched, frontier = reverse_search(ws, core.rev, dest, units, k)
        expected = sorted(to_dest[node] + c for node, c in units if np.isfinite(to_dest[node]))
        assert ws.out_cost[:n_out].tolist() == pytest.approx(expected[:n_out], rel=1e-9, abs=1e-9)
        assert exhausted == (n_out < k)  # no max_cost here: it stops early only once k are found
        assert frontier == math.inf or not exhausted
        settled = np.flatnonzero(ws.dist < frontier)
        assert np.allclose(ws.dist[settled], to_dest[settled], rtol=1e-12, atol=1e-9)
        assert np.all(to_dest[np.isinf(ws.dist)] >= frontier)  # untouched nodes are at least that far
        for src in rng.integers(0, n, 4).tolist():
            cap = math.inf if rng.random() < 0.5 else float(rng.uniform(0, 400))
            best, mode, via, n_path, unreachable, _ = astar(
                ws, fwd, core.chain_tail_core, dest, src, frontier, cap, (core.cx, core.cy), core.inv_speed
            )
            ref = float(to_dest[src])
            if ref <= cap:
                assert best == pytest.approx(ref, rel=1e-9, abs=1e-9)
                if mode > 0:  # the path it reports drives from src, along chains, to where it met the ball
                    path = ws.path[:n_path]
                    assert via == src
                    assert all(
                        core.chain_tail_core[a] == core.chain_head_core[b]
                        for b, a in itertools.pairwise(path)
                    )
            else:
                assert best > cap
            if np.isfinite(ref):
                assert not unreachable
            elif not np.isfinite(cap):
                assert unreachable  # nothing was cut off by the cap: no route at all is proven
            assert np.all(np.isinf(ws.fdist))
        reset_nodes(ws.dist, ws.touched, n_touched)
        assert np.all(np.isinf(ws.dist))
