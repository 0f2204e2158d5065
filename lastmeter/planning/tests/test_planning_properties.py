"""Random inputs against plain references: the contiguity check of hand moves (networkx) and the
street-unit invariants (every road segment in exactly one connected unit; neighbours share a node)."""

from __future__ import annotations

from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from lastmeter.planning.report import ContiguityRefused, PlanError, UnitData
from lastmeter.planning.services import check_move
from lastmeter.planning.street_units import street_units
from lastmeter.testing.roads import graph


def lattice_data(rows: int, cols: int) -> tuple[UnitData, nx.Graph]:
    g = nx.grid_2d_graph(rows, cols)
    index = {node: i for i, node in enumerate(sorted(g.nodes))}
    units = [SimpleNamespace(code=f"u{i}", name=f"unit {i}") for i in range(len(index))]
    edges = np.array([(index[a], index[b]) for a, b in g.edges], dtype=np.int64)
    data = UnitData(units, edges, np.zeros(len(units)), np.zeros(len(units)))  # type: ignore[arg-type]
    return data, nx.relabel_nodes(g, index)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(2, 4),
    cols=st.integers(2, 4),
    k=st.integers(2, 3),
    seed=st.integers(0, 10_000),
)
def test_it_refuses_exactly_the_moves_that_break_contiguity(rows, cols, k, seed):
    data, g = lattice_data(rows, cols)
    rng = np.random.default_rng(seed)
    assignment = rng.integers(0, k, size=data.n)
    unit = int(rng.integers(0, data.n))
    to = int(rng.integers(0, k))
    frm = int(assignment[unit])
    rest = [u for u in g.nodes if assignment[u] == frm and u != unit]
    touches = any(assignment[v] == to for v in g.neighbors(unit))
    keeps = bool(rest) and nx.is_connected(g.subgraph(rest))
    if to == frm:
        with pytest.raises(PlanError):
            check_move(data, assignment, unit, to, k)
    elif touches and keeps:
        check_move(data, assignment, unit, to, k)
    else:
        with pytest.raises(ContiguityRefused):
            check_move(data, assignment, unit, to, k)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 14))
def test_it_puts_every_segment_in_one_connected_street_unit(seed, n):
    rng = np.random.default_rng(seed)
    pts = [(float(x), float(y)) for x, y in rng.uniform(0, 1500, size=(n, 2))]
    # A random spanning tree (so the network is connected) plus a few extra roads, random names.
    roads = {(int(rng.integers(0, i)), i) for i in range(1, n)}
    roads |= {tuple(sorted(map(int, rng.choice(n, 2, replace=False)))) for _ in range(n // 2)}
    names = ["甲路", "乙路", "丙路"]
    g = graph(pts, [(a, b, int(rng.integers(-1, 3))) for a, b in sorted(roads)], names)
    su = street_units(
        g, target_length_m=float(rng.uniform(100, 2000)), min_length_m=float(rng.uniform(0, 300))
    )
    assert su.dropped_segments == 0
    m = len(su.seg_u)
    assert m == len(roads) and len(su.seg_unit) == m
    assert sorted(np.concatenate([u.segments for u in su.units]).tolist()) == list(range(m))
    for k, u in enumerate(su.units):
        sub = nx.Graph([(int(su.seg_u[s]), int(su.seg_v[s])) for s in u.segments])
        assert nx.is_connected(sub)
        assert (su.seg_unit[u.segments] == k).all()
    nodes_of = [set(su.seg_u[u.segments].tolist()) | set(su.seg_v[u.segments].tolist()) for u in su.units]
    expected = {
        (a, b) for a in range(len(su.units)) for b in range(a + 1, len(su.units)) if nodes_of[a] & nodes_of[b]
    }
    assert set(su.adjacency) == expected
    cells = [shape(u.cell) for u in su.units]
    union = shapely.union_all(cells, grid_size=1e-7)
    assert union.area == pytest.approx(sum(c.area for c in cells), rel=1e-6)
