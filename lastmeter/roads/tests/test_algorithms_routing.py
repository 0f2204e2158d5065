"""Shortest routes on the contracted graph: hand-checked cases and scipy Dijkstra as the reference."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.roads.algorithms.geo import haversine_m
from lastmeter.roads.algorithms.network import RoadNetwork, load_network
from lastmeter.roads.algorithms.snapping import SnapError
from lastmeter.testing.roads import latlon, make_graph, random_graph, reference_seconds

#  0 ──→ 1 ──→ 2        top street one-way eastbound (y = 0)
#  │            │
#  3 ──── 4 ──── 5      bottom street two-way (y = -100); 9 and 10: an island with no link
POINTS = [
    (0, 0),
    (100, 0),
    (200, 0),
    (0, -100),
    (100, -100),
    (200, -100),
    (0, 0),
    (0, 0),
    (0, 0),
    (900, 900),
    (1000, 900),
]
ROADS = [(0, 1, True), (1, 2, True), (3, 4), (4, 5), (0, 3), (2, 5), (9, 10)]
BLOCK = make_graph(POINTS, ROADS)  # 36 km/h: seconds = metres / 10


@pytest.fixture(scope="module")
def net():
    return RoadNetwork(BLOCK)


def test_it_drives_with_a_one_way_street(net):
    r = net.route(latlon(0, 0), latlon(200, 0))
    assert r.seconds == pytest.approx(20.0, rel=1e-5)
    assert r.meters == pytest.approx(200.0, rel=1e-4)


def test_it_goes_around_the_block_against_a_one_way_street(net):
    r = net.route(latlon(200, 0), latlon(0, 0))
    assert r.seconds == pytest.approx(40.0, rel=1e-5)  # 2 → 5 → 4 → 3 → 0
    assert r.meters == pytest.approx(400.0, rel=1e-4)
    corners = [latlon(*p) for p in [(200, 0), (200, -100), (100, -100), (0, -100), (0, 0)]]
    assert np.allclose(np.column_stack([r.lat, r.lon]), corners, atol=1e-9)


def test_it_starts_and_ends_mid_block_at_the_snapped_points(net):
    r = net.route(latlon(50, 3), latlon(150, -103))
    # 50 m to node 1, 100 m to 2, 100 m down to 5, 50 m west to the point
    assert r.seconds == pytest.approx(30.0, rel=1e-5)
    assert (r.lat[0], r.lon[0]) == pytest.approx(latlon(50, 0), abs=1e-9)
    assert (r.lat[-1], r.lon[-1]) == pytest.approx(latlon(150, -100), abs=1e-9)


def test_it_drives_straight_along_a_shared_edge_but_loops_when_the_one_way_forbids_it(net):
    assert net.route(latlon(10, 0), latlon(60, 0)).seconds == pytest.approx(5.0, rel=1e-5)
    back = net.route(latlon(60, 0), latlon(10, 0))
    # 60→100→200 (14 s) → 5 → 4 → 3 → 0 (40 s) → 10 m (1 s)
    assert back.seconds == pytest.approx(55.0, rel=1e-5)


def test_it_returns_none_when_no_road_connects(net):
    assert net.route(latlon(950, 900), latlon(0, -100)) is None


def test_it_refuses_points_far_from_any_road(net):
    with pytest.raises(SnapError):
        net.route(latlon(5000, 5000), latlon(0, 0), max_snap_m=100)


def test_it_lists_street_names_along_a_route(tmp_path):
    from .test_algorithms_osm import tiny_osm_text

    path = tmp_path / "tiny.osm"
    path.write_text(tiny_osm_text(), encoding="utf-8")
    n = load_network(path)
    r = n.route((31.23, 121.4705), (31.23, 121.4745))
    assert r.street_names(n.graph) == ["南京西路", "福州路"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_it_matches_scipy_dijkstra_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    graph = random_graph(rng, n=int(rng.integers(2, 30)), n_ways=int(rng.integers(1, 25)))
    net = RoadNetwork(graph)
    for _ in range(8):
        a = latlon(*rng.uniform(0, 2000, 2))
        b = latlon(*rng.uniform(0, 2000, 2))
        if rng.random() < 0.3:  # exactly on nodes too
            v = int(rng.integers(graph.n_nodes))
            a = (float(graph.lat[v]), float(graph.lon[v]))
        r = net.route(a, b)
        expected = reference_seconds(graph, net.snap(*a), net.snap(*b))
        if not np.isfinite(expected):
            assert r is None
            continue
        assert r is not None and r.seconds == pytest.approx(expected, rel=1e-6, abs=1e-6)
        polyline = float(np.sum(haversine_m(r.lat[:-1], r.lon[:-1], r.lat[1:], r.lon[1:])))
        assert r.meters == pytest.approx(polyline, rel=2e-3, abs=0.05)
        assert np.all(r.seconds >= 0)


def test_it_caches_the_graph_as_npz_and_reuses_it(tmp_path):
    from .test_algorithms_osm import tiny_osm_text

    src = tmp_path / "tiny.osm"
    src.write_text(tiny_osm_text(), encoding="utf-8")
    cache = tmp_path / "tiny.npz"
    first = load_network(src, cache=cache)
    assert cache.exists()
    second = load_network(src, cache=cache)
    assert second.graph.n_edges == first.graph.n_edges
    assert np.array_equal(second.graph.seconds, first.graph.seconds)


def test_it_swaps_the_graph_while_other_threads_route() -> None:
    graph_a = make_graph([(0, 0), (1000, 0)], [(0, 1)])  # 100 s
    graph_b = make_graph([(0, 0), (1000, 0)], [(0, 1, False, 72.0)])  # 50 s
    net = RoadNetwork(graph_a)
    seen: set[float] = set()
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(200):
                seen.add(round(net.route(latlon(0, 0), latlon(1000, 0)).seconds, 3))
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(20):
        net.swap(graph_b if i % 2 == 0 else graph_a)
    for t in threads:
        t.join()
    assert not errors
    assert seen <= {100.0, 50.0}
    version = net.version
    net.swap(graph_b)
    assert net.version > version
    route = net.route(latlon(0, 0), latlon(1000, 0))
    assert route is not None
    assert route.seconds == pytest.approx(50.0, rel=1e-5)
