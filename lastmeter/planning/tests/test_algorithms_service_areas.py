"""Service areas, blockade and platform addition: hand-checked graphs and brute-force references."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.planning.algorithms.service_areas import (
    add_platforms,
    blockade_plan,
    bottleneck_assignment,
    road_graph,
    service_areas,
)


def _path(n: int, step_m: float = 1000.0):
    """Nodes 0..n-1 on a line, 1 km apart (one minute at 60 km/h)."""
    coords = np.stack([np.arange(n) * step_m, np.zeros(n)], axis=1)
    return road_graph(coords, np.array([[i, i + 1] for i in range(n - 1)]))


def test_it_assigns_each_node_to_the_first_arriving_station():
    g = _path(7)
    a = service_areas(g, np.array([0, 6]), rates=np.arange(7, dtype=float), target_min=2.0)
    # node 3 is 3 min from both: the tie goes to the lower station index
    assert a.assignment.tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert a.time_min.tolist() == pytest.approx([0, 1, 2, 3, 2, 1, 0])
    assert a.beyond_target.tolist() == [3]
    assert a.workload.tolist() == [0 + 1 + 2 + 3, 4 + 5 + 6]
    assert a.max_time_min == pytest.approx(3.0)


def test_it_follows_roads_not_straight_lines():
    # A U-shaped road: node 2 is close to station 3 as the crow flies but only reachable via node 1.
    coords = np.array([[0, 0], [0, 1000], [1000, 1000], [1000, 0]], dtype=float)
    g = road_graph(coords, np.array([[0, 1], [1, 2]]))
    a = service_areas(g, np.array([0, 3]))
    assert a.assignment.tolist() == [0, 0, 0, 1]
    assert a.time_min[2] == pytest.approx(2.0)


def test_it_marks_unreachable_nodes():
    coords = np.array([[0, 0], [1000, 0], [5000, 0]], dtype=float)
    g = road_graph(coords, np.array([[0, 1]]))
    a = service_areas(g, np.array([0]))
    assert a.assignment.tolist() == [0, 0, -1]
    assert a.beyond_target.tolist() == [2]


def test_it_seals_the_last_exit_as_early_as_possible():
    # exits x stations, minutes. Greedy row-by-row (exit 0 takes its nearest station 0) would force exit 1
    # onto station 1 at 10 min; the bottleneck optimum is 4 min.
    cost = np.array([[1.0, 3.0, 9.0], [2.0, 10.0, 9.0], [8.0, 4.0, 4.0]])
    col, last, total = bottleneck_assignment(cost)
    assert last == 4.0
    assert col.tolist() == [1, 0, 2]
    assert total == pytest.approx(3 + 2 + 4)


def test_it_refuses_more_exits_than_stations():
    with pytest.raises(ValueError, match="seals one exit"):
        bottleneck_assignment(np.ones((3, 2)))


def test_it_plans_a_blockade_on_a_road_graph():
    g = _path(5)
    plan = blockade_plan(g, stations=np.array([1, 3]), exits=np.array([0, 4]))
    assert plan.station_of_exit.tolist() == [1, 3]
    assert plan.last_sealed_min == pytest.approx(1.0)


def test_it_adds_the_platform_that_cuts_the_worst_time():
    g = _path(9)
    res = add_platforms(g, np.array([0]), 1)
    # Sites 5, 6 and 7 all give a worst time of 3 min; 6 and 7 split the nine nodes 4 + 5, site 5 only 3 + 6.
    assert res.added.tolist() in ([6], [7])
    assert res.after.workload.tolist() == [4.0, 5.0]
    assert res.radius_min == pytest.approx(3.0)
    assert res.after.max_time_min == pytest.approx(3.0)
    assert res.before.max_time_min == pytest.approx(8.0)


@st.composite
def _graphs(draw, max_n=9):
    n = draw(st.integers(min_value=3, max_value=max_n))
    pts = draw(
        st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=n, max_size=n, unique=True)
    )
    tree = [(i, draw(st.integers(0, i - 1))) for i in range(1, n)]  # a spanning tree keeps it connected
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n))
    edges = np.array([e for e in tree + extra if e[0] != e[1]])
    coords = np.array(pts, dtype=float) * 100.0
    return coords, edges


@settings(max_examples=40, deadline=None)
@given(_graphs(), st.data())
def test_it_matches_networkx_shortest_paths(graph, data):
    coords, edges = graph
    n = coords.shape[0]
    stations = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=3))))
    a = service_areas(road_graph(coords, edges), stations)
    G = nx.Graph()
    for u, v in edges:
        G.add_edge(int(u), int(v), weight=float(np.hypot(*(coords[u] - coords[v]))))
    ref = [nx.single_source_dijkstra_path_length(G, int(s)) for s in stations]
    for i in range(n):
        best = min(r[i] for r in ref)
        assert a.distance_m[i] == pytest.approx(best)
        assert ref[a.assignment[i]][i] == pytest.approx(best)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda r: st.integers(r, 5).flatmap(
            lambda c: st.lists(st.lists(st.integers(0, 20), min_size=c, max_size=c), min_size=r, max_size=r)
        )
    )
)
def test_it_matches_brute_force_bottleneck_assignment(rows):
    cost = np.array(rows, dtype=float)
    r, c = cost.shape
    best = min(
        (max(cost[i, p[i]] for i in range(r)), sum(cost[i, p[i]] for i in range(r)))
        for p in itertools.permutations(range(c), r)
    )
    col, last, total = bottleneck_assignment(cost)
    assert len(set(col.tolist())) == r
    assert (last, total) == pytest.approx(best)


@settings(max_examples=15, deadline=None)
@given(_graphs(max_n=8), st.integers(1, 2), st.data())
def test_it_finds_the_least_worst_time_like_brute_force(graph, k, data):
    coords, edges = graph
    n = coords.shape[0]
    g = road_graph(coords, edges)
    stations = np.array([data.draw(st.integers(0, n - 1))])
    cands = np.setdiff1d(np.arange(n), stations)
    if k > cands.size:
        return
    res = add_platforms(g, stations, k)
    best = min(
        service_areas(g, np.concatenate([stations, combo])).max_time_min
        for combo in map(np.array, itertools.combinations(cands, k))
    )
    assert res.radius_min == pytest.approx(best)
    assert res.after.max_time_min == pytest.approx(best)
