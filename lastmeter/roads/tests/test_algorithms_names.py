"""Naming a node of unnamed roads by the streets nearest it (RoadGraph.nearby_names).

    A —福州路— B —(unnamed)— C —(unnamed)— D —云南中路— E        F —(unnamed)— G   (an unnamed island)
               ·
               R1 (8 m north of B, not joined to it) —(unnamed)— R2 — R3 — R4 (a ramp leading away)

x/y in metres: A 0, B 100, C 200, D 300, E 400 on y = 0; F 5000, G 5100; R1 (100, 8), R2 (100, 300),
R3 (600, 300), R4 (1200, 300).
"""

from __future__ import annotations

from lastmeter.testing.roads import graph

A, B, C, D, E, F, G, R1, R2, R3, R4 = range(11)


def _roads():
    pts = [(0.0, 0.0), (100.0, 0.0), (200.0, 0.0), (300.0, 0.0), (400.0, 0.0), (5000.0, 0.0), (5100.0, 0.0)]
    pts += [(100.0, 8.0), (100.0, 300.0), (600.0, 300.0), (1200.0, 300.0)]
    roads = [(A, B, 0), (B, C), (C, D), (D, E, 1), (F, G), (R1, R2), (R2, R3), (R3, R4)]
    return graph(pts, roads, names=["福州路", "云南中路"])


def test_it_names_a_node_by_its_own_streets_first():
    g = _roads()
    assert g.nearby_names(B) == ["福州路"] == g.node_names(B)
    assert g.nearby_names(D) == ["云南中路"]


def test_it_takes_the_nearest_names_by_road_and_both_when_they_are_as_near():
    g = _roads()
    # C is one link from B (福州路) and one from D (云南中路): both, sorted.
    assert g.node_names(C) == [] and g.nearby_names(C) == sorted(["福州路", "云南中路"])


def test_it_names_a_ramp_by_the_street_beside_it():
    g = _roads()
    # R1 leads nowhere named within two links, but B (福州路) is 8 m away.
    assert g.node_names(R1) == [] and g.nearby_names(R1) == ["福州路"]
    assert g.nearby_names(R1, max_m=5.0) == []


def test_it_gives_up_when_nothing_named_is_near():
    g = _roads()
    assert g.nearby_names(F) == [] and g.nearby_names(G, max_hops=10) == []  # the island, 4.6 km away
    assert g.nearby_names(R4) == []  # 850 m from E, the nearest named node
