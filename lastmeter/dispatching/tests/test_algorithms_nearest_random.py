"""Nearest units against brute force (scipy Dijkstra from every unit) on random directed graphs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from lastmeter.dispatching.algorithms.nearest import Fleet
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.testing.roads import latlon, matrix, random_graph, reference_seconds

AGENCIES = ["police", "traffic", "fire"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 1_000_000))
def test_it_matches_brute_force_travel_times(seed):
    rng = np.random.default_rng(seed)
    graph = random_graph(rng, n=int(rng.integers(2, 35)), n_ways=int(rng.integers(1, 30)))
    net = RoadNetwork(graph)
    fleet = Fleet(net)
    n_units = int(rng.integers(1, 15))
    agency = {}
    for uid in range(n_units):
        if rng.random() < 0.25:  # exactly on a node
            v = int(rng.integers(graph.n_nodes))
            pos = (float(graph.lat[v]), float(graph.lon[v]))
        else:
            pos = latlon(*rng.uniform(0, 2000, 2))
        agency[uid] = AGENCIES[int(rng.integers(3))]
        fleet.upsert(uid, *pos, agency=agency[uid], available=bool(rng.random() < 0.9))
    if rng.random() < 0.3:  # move one unit: positions must update cleanly
        fleet.upsert(0, *latlon(*rng.uniform(0, 2000, 2)))
    full = matrix(graph)
    for _ in range(4):
        incident = latlon(*rng.uniform(0, 2000, 2))
        k = int(rng.integers(1, 6))
        wanted = None if rng.random() < 0.5 else list(rng.choice(AGENCIES, size=2, replace=False))
        rec = fleet.nearest(*incident, k=k, agencies=wanted)
        inc_snap = rec.incident
        expected = {}
        for uid in range(n_units):
            if wanted is not None and agency[uid] not in wanted:
                continue
            if not fleet._avail[fleet._slot_of[uid]]:
                continue
            snap = fleet.snap_of(uid)
            deps = snap.departures(graph.seconds)
            dist = dijkstra(full, indices=[x for x, _ in deps]) if deps else None
            expected[uid] = reference_seconds(graph, snap, inc_snap, dist)
        finite = sorted((t, uid) for uid, t in expected.items() if math.isfinite(t))
        got = [(u.seconds, u.unit_id) for u in rec.units]
        assert len(got) == min(k, len(finite))
        assert [t for t, _ in got] == pytest.approx([t for t, _ in finite[: len(got)]], rel=1e-6, abs=1e-6)
        for t, uid in got:
            assert t == pytest.approx(expected[uid], rel=1e-6, abs=1e-6)
        for u in rec.units:
            assert u.route.seconds == u.seconds
            assert (u.route.lat[-1], u.route.lon[-1]) == (inc_snap.lat, inc_snap.lon)
        for why in rec.explanations:
            if why.road_seconds is not None:
                assert why.road_seconds == pytest.approx(expected[why.unit_id], rel=1e-6, abs=1e-6)
            elif why.reason == "unreachable":
                assert not math.isfinite(expected[why.unit_id])
