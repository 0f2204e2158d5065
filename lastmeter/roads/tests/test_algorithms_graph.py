"""CSR graph building, Hilbert renumbering, and the .npz cache."""

from __future__ import annotations

import numpy as np
import pytest

from lastmeter.roads.algorithms.graph import RoadGraph, build_graph, hilbert_order
from lastmeter.testing.roads import make_graph


def edge_set(g: RoadGraph) -> set[tuple[int, int, float]]:
    """Edges in terms of source ids (stable across renumbering)."""
    sid = g.source_id
    return {
        (int(sid[u]), int(sid[v]), round(float(s), 4))
        for u, v, s in zip(g.tail, g.indices, g.seconds, strict=True)
    }


def test_it_drops_self_loops_and_keeps_the_fastest_parallel_edge():
    g = build_graph(
        [0, 0, 0],
        [0, 0.001, 0.002],
        [0, 0, 0, 1],
        [1, 1, 0, 2],
        [9.0, 5.0, 1.0, 7.0],
        [1, 1, 1, 1],
        reorder=False,
    )
    assert g.n_edges == 2
    assert g.seconds[g.edge_id(0, 1)] == 5.0
    assert g.edge_id(0, 0) == -1
    assert g.edge_id(1, 0) == -1  # directed: no reverse edge was given


def test_it_renumbers_along_a_hilbert_curve_without_changing_the_graph():
    rng = np.random.default_rng(3)
    pts = [(float(x), float(y)) for x, y in rng.uniform(0, 3000, (60, 2))]
    roads = [(int(a), int(b), bool(rng.random() < 0.4)) for a, b in rng.integers(0, 60, (120, 2))]
    plain = make_graph(pts, roads, reorder=False)
    shuffled = make_graph(pts, roads, reorder=True)
    assert edge_set(plain) == edge_set(shuffled)
    assert sorted(shuffled.source_id.tolist()) == list(range(60))


def test_it_orders_points_along_a_hilbert_curve_so_neighbours_stay_close():
    xs, ys = np.meshgrid(np.arange(16.0), np.arange(16.0))
    order = hilbert_order(xs.ravel(), ys.ravel(), bits=4)
    steps = np.hypot(np.diff(xs.ravel()[order]), np.diff(ys.ravel()[order]))
    assert np.all(steps == 1.0)  # a Hilbert curve visits grid cells through unit steps


def test_it_round_trips_through_npz_with_names(tmp_path):
    g = build_graph(
        [31.0, 31.001, 31.002],
        [121.0, 121.0, 121.001],
        [0, 1, 1],
        [1, 0, 2],
        [1.5, 1.5, 3.0],
        [10.0, 10.0, 20.0],
        edge_class=[5, 5, 12],
        edge_name=[0, 0, 1],
        names=["南京西路", "Main Street"],
        meta={"source": "test"},
    )
    path = tmp_path / "g.npz"
    g.save_npz(path)
    h = RoadGraph.load_npz(path)
    for field in (
        "lat",
        "lon",
        "indptr",
        "indices",
        "seconds",
        "meters",
        "edge_class",
        "edge_name",
        "source_id",
    ):
        assert np.array_equal(getattr(g, field), getattr(h, field)), field
    assert list(h.names) == ["南京西路", "Main Street"]
    assert h.meta == {"source": "test"}
    e = h.edge_id(int(np.flatnonzero(h.source_id == 1)[0]), int(np.flatnonzero(h.source_id == 2)[0]))
    assert h.edge_street(e) == "Main Street"


def test_it_refuses_an_npz_that_is_not_a_road_graph(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a"):
        RoadGraph.load_npz(path)


def test_it_rejects_edges_to_missing_nodes_and_negative_times():
    with pytest.raises(ValueError):
        build_graph([0, 0], [0, 0.001], [0], [5], [1.0], [1.0])
    with pytest.raises(ValueError):
        build_graph([0, 0], [0, 0.001], [0], [1], [-1.0], [1.0])


def test_it_lists_names_at_nodes_and_named_intersections():
    #   0 --A-- 1 --A-- 2
    #           |
    #           B
    #           |
    #           3
    g = build_graph(
        [0, 0, 0, -0.001],
        [0, 0.001, 0.002, 0.001],
        [0, 1, 1, 2, 1, 3],
        [1, 0, 2, 1, 3, 1],
        [1.0] * 6,
        [1.0] * 6,
        edge_name=[0, 0, 0, 0, 1, 1],
        names=["A路", "B路"],
        reorder=False,
    )
    assert g.node_names(1) == ["A路", "B路"]
    assert g.node_names(0) == ["A路"]
    assert g.named_intersections() == [(1, ("A路", "B路"))]
