"""Naming an intersection of unnamed roads by the streets nearest it (RoadGraph.nearby_names).

    A —福州路— B —(unnamed)— C —(unnamed)— D —云南中路— E        F —(unnamed)— G   (an unnamed island)

Node i has source id 1000 + i.
"""

from __future__ import annotations

from lastmeter.testing.roads import graph

A, B, C, D, E, F, G = range(7)


def _line():
    pts = [(0.0, 0.0), (100.0, 0.0), (200.0, 0.0), (300.0, 0.0), (400.0, 0.0), (5000.0, 0.0), (5100.0, 0.0)]
    roads = [(A, B, 0), (B, C), (C, D), (D, E, 1), (F, G)]
    return graph(pts, roads, names=["福州路", "云南中路"])


def test_it_names_a_node_by_its_own_streets_first():
    g = _line()
    assert g.nearby_names(B) == ["福州路"] == g.node_names(B)
    assert g.nearby_names(D) == ["云南中路"]


def test_it_takes_the_nearest_names_and_both_when_they_are_as_near():
    g = _line()
    # C is one link from B (福州路) and one from D (云南中路): both, sorted.
    assert g.node_names(C) == [] and g.nearby_names(C) == sorted(["福州路", "云南中路"])


def test_it_gives_up_beyond_the_hop_limit_and_on_an_unnamed_island():
    g = _line()
    assert g.nearby_names(C, max_hops=0) == []
    assert g.nearby_names(F) == [] and g.nearby_names(G, max_hops=10) == []
