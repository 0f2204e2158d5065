"""The routable part of a road graph: its largest strongly connected component, and snapping onto it."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.roads.algorithms.components import largest_strong_component
from lastmeter.roads.algorithms.snapping import Snapper
from lastmeter.testing.roads import latlon, make_graph, random_graph

#  0 ====== 1 ====== 2        two-way ring 0-1-2-3 (the city)
#  |                 |
#  3 ================+
#            4 -----> 5       a one-way stub just below the ring: 4→5 only (a fragment)
CITY = make_graph(
    [(0, 0), (300, 0), (600, 0), (0, -300), (200, -340), (400, -340)],
    [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5, True)],
)


def test_it_finds_the_ring_and_leaves_out_the_one_way_stub():
    assert largest_strong_component(CITY).tolist() == [True, True, True, True, False, False]


def test_it_snaps_a_point_beside_the_stub_onto_the_city_when_told_what_is_routable():
    near_stub = latlon(300, -330)  # 10 m from the stub; the nearest ring segment (2–3) is ~160 m away
    assert {Snapper(CITY).snap(*near_stub).u, Snapper(CITY).snap(*near_stub).v} == {4, 5}
    routable = Snapper(CITY, routable=largest_strong_component(CITY)).snap(*near_stub)
    assert {routable.u, routable.v} == {2, 3}
    assert routable.fwd_edge >= 0 and routable.bwd_edge >= 0  # the directed edges are kept


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_it_agrees_with_networkx_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    graph = random_graph(rng, n=int(rng.integers(2, 30)), n_ways=int(rng.integers(1, 15)), p_oneway=0.5)
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_edges_from(zip(graph.tail.tolist(), graph.indices.tolist(), strict=True))
    biggest = max(len(c) for c in nx.strongly_connected_components(g))
    mask = largest_strong_component(graph)
    assert int(mask.sum()) == biggest
    assert nx.is_strongly_connected(g.subgraph(np.flatnonzero(mask).tolist()))
