"""Chain contraction: which nodes stay in the search graph, and that every edge lands in one chain."""

from __future__ import annotations

import numpy as np
import pytest

from lastmeter.roads.algorithms.core import CoreGraph
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.algorithms.osm import read_osm
from lastmeter.testing.roads import latlon, make_graph

from .test_algorithms_osm import SHANGHAI


def check_chains(core: CoreGraph) -> None:
    g = core.graph
    assert np.all(core.edge_chain >= 0)
    assert np.array_equal(np.sort(core.chain_edges), np.arange(g.n_edges))
    totals = np.add.reduceat(g.seconds[core.chain_edges].astype(np.float64), core.chain_ptr[:-1])
    assert np.allclose(totals, core.chain_total)


def test_it_keeps_junctions_and_dead_ends_and_contracts_pass_through_nodes():
    #  0 — 1 — 2 — 3      1 and 2 only continue the road; 0 and 3 are dead ends
    #          |
    #          4
    g = make_graph([(0, 0), (100, 0), (200, 0), (300, 0), (200, -100)], [(0, 1), (1, 2), (2, 3), (2, 4)])
    core = CoreGraph(g)
    assert sorted(core.node_of.tolist()) == [0, 2, 3, 4]
    check_chains(core)


def test_it_contracts_a_one_way_run_but_not_a_node_where_two_one_ways_meet():
    # 0 → 1 → 2 (consistent one-way run);  3 → 4 ← 5 (4 is a sink: both arrive, none leave)
    g = make_graph(
        [(0, 0), (100, 0), (200, 0), (0, 500), (100, 500), (200, 500)],
        [(0, 1, True), (1, 2, True), (3, 4, True), (5, 4, True)],
    )
    core = CoreGraph(g)
    assert 1 not in core.node_of.tolist()
    assert 4 in core.node_of.tolist()
    check_chains(core)


@pytest.mark.parametrize("oneway", [False, True])
def test_it_handles_a_ring_made_only_of_pass_through_nodes(oneway):
    square = [(0, 0), (100, 0), (100, 100), (0, 100)]
    g = make_graph(square, [(0, 1, oneway), (1, 2, oneway), (2, 3, oneway), (3, 0, oneway)])
    core = CoreGraph(g)
    assert core.n_core >= 1
    check_chains(core)
    r = RoadNetwork(g).route(latlon(50, 0), latlon(0, 50))
    # one-way: 50 m to node 1, then 1→2→3 and 50 m down towards 0: 300 m; two-way: 100 m via node 0
    assert r.seconds == pytest.approx(30.0 if oneway else 10.0, rel=1e-5)


def test_it_shrinks_the_shanghai_search_graph():
    core = CoreGraph(read_osm(SHANGHAI))
    check_chains(core)
    assert core.n_core < core.graph.n_nodes
