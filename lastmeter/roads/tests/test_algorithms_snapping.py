"""Snapping points onto the nearest road segment (grid index), checked by hand and by brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.roads.algorithms.snapping import SnapError, Snapper
from lastmeter.testing.roads import latlon, make_graph, random_graph

#  0 ------ 1 ------ 2       (y = 0, x = 0 / 200 / 400 m), 1→2 one-way
#           |
#           3                (x = 200, y = -300)
GRAPH = make_graph([(0, 0), (200, 0), (400, 0), (200, -300)], [(0, 1), (1, 2, True), (1, 3)])


def test_it_snaps_to_the_middle_of_the_nearest_segment():
    s = Snapper(GRAPH).snap(*latlon(50, 20))
    assert {s.u, s.v} == {0, 1}
    along = s.t if s.u == 0 else 1 - s.t
    assert along == pytest.approx(0.25, abs=1e-6)
    assert s.distance_m == pytest.approx(20, rel=1e-3)
    assert s.fwd_edge >= 0 and s.bwd_edge >= 0


def test_it_reports_which_directions_a_one_way_segment_allows():
    s = Snapper(GRAPH).snap(*latlon(300, -5))
    assert {s.u, s.v} == {1, 2}
    allowed = s.fwd_edge if s.u == 1 else s.bwd_edge
    forbidden = s.bwd_edge if s.u == 1 else s.fwd_edge
    assert allowed >= 0 and forbidden == -1


def test_it_clamps_to_the_end_node_beyond_a_dead_end():
    s = Snapper(GRAPH).snap(*latlon(-100, 0))
    end_t = 0.0 if s.u == 0 else 1.0
    assert s.t == end_t
    assert s.distance_m == pytest.approx(100, rel=1e-3)
    assert s.departures(GRAPH.seconds)[0] == (0, 0.0)


def test_it_refuses_points_too_far_or_not_finite():
    snapper = Snapper(GRAPH)
    with pytest.raises(SnapError, match="no road within 50 m"):
        snapper.snap(*latlon(0, 500), max_distance_m=50)
    assert snapper.snap(*latlon(0, 500), max_distance_m=600).distance_m == pytest.approx(500, rel=1e-3)
    with pytest.raises(SnapError):
        snapper.snap(float("nan"), 121.0)


def brute_force_distance(graph, snapper, lat, lon) -> float:
    x, y = graph.xy
    px, py = graph.projection.forward(lat, lon)
    ax, ay, bx, by = x[snapper.seg_u], y[snapper.seg_u], x[snapper.seg_v], y[snapper.seg_v]
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    t = np.clip(np.where(l2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(l2 > 0, l2, 1), 0), 0, 1)
    return float(np.min(np.hypot(ax + t * dx - px, ay + t * dy - py)))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), cell=st.sampled_from([30.0, 100.0, 400.0]))
def test_it_finds_the_same_nearest_distance_as_brute_force(seed, cell):
    rng = np.random.default_rng(seed)
    graph = random_graph(rng, n=int(rng.integers(2, 25)), n_ways=int(rng.integers(1, 12)))
    snapper = Snapper(graph, cell_m=cell, spacing_m=cell / 4)
    x, y = graph.xy
    for _ in range(10):
        qx, qy = rng.uniform(-1500, 3500, 2)  # also outside the graph's box
        lat, lon = latlon(qx, qy)
        s = snapper.snap(lat, lon)
        px, py = graph.projection.forward(lat, lon)
        gx = x[s.u] + s.t * (x[s.v] - x[s.u])
        gy = y[s.u] + s.t * (y[s.v] - y[s.u])
        assert math.hypot(gx - px, gy - py) == pytest.approx(
            brute_force_distance(graph, snapper, lat, lon), abs=1e-6
        )
