"""Loaders for untagged benchmark graphs (DIMACS10 METIS + xyz, ngraph .co/.gr binaries)."""

from __future__ import annotations

import numpy as np
import pytest

from lastmeter.roads.algorithms.geo import EARTH_RADIUS_M, MERCATOR_RADIUS_M, haversine_m
from lastmeter.roads.algorithms.loaders import ASSUMED_SPEED_KMH, load_dimacs10, load_ngraph_bin


def write_dimacs(tmp_path, header="3 2", adjacency=("2", "1 3", "2")):
    g = tmp_path / "tiny.osm.graph"
    g.write_text("% comment\n% another\n" + header + "\n" + "\n".join(adjacency) + "\n")
    # x = lon*1e5, y = (lat+1)*1e5
    (tmp_path / "tiny.osm.xyz").write_text("600000 5060000 0\n600100 5060000 0\n600100 5060100 0\n")
    return g


def test_it_loads_a_dimacs10_graph_as_undirected_with_the_assumed_speed(tmp_path):
    g = load_dimacs10(write_dimacs(tmp_path))
    assert (g.n_nodes, g.n_edges) == (3, 4)
    sid = {int(s): i for i, s in enumerate(g.source_id)}
    a, b = sid[0], sid[1]
    assert g.lat[a] == pytest.approx(49.6) and g.lon[a] == pytest.approx(6.0)
    e, back = g.edge_id(a, b), g.edge_id(b, a)
    assert e >= 0 and back >= 0
    expected_m = haversine_m(49.6, 6.0, 49.6, 6.001)
    assert g.meters[e] == pytest.approx(expected_m, rel=1e-5)
    assert g.seconds[e] == pytest.approx(expected_m / (ASSUMED_SPEED_KMH / 3.6), rel=1e-5)
    assert g.meta["assumed_speed_kmh"] == ASSUMED_SPEED_KMH


def test_it_rejects_a_dimacs10_file_whose_header_disagrees(tmp_path):
    with pytest.raises(ValueError, match="header says"):
        load_dimacs10(write_dimacs(tmp_path, header="3 5"))


def test_it_loads_an_ngraph_binary_pair(tmp_path):
    co = tmp_path / "city-roads.co.bin"
    gr = tmp_path / "city-roads.gr.bin"
    np.array([0, 0, 100, 0, 100, 100], dtype="<i4").tofile(co)
    np.array([1, 2, 2, 3], dtype="<i4").tofile(gr)
    g = load_ngraph_bin(co, centre=(55.75, 37.62))
    assert (g.n_nodes, g.n_edges) == (3, 4)
    first = int(np.flatnonzero(g.source_id == 0)[0])
    second = int(np.flatnonzero(g.source_id == 1)[0])
    assert g.lat[first] == pytest.approx(55.75, abs=1e-9) and g.lon[first] == pytest.approx(37.62, abs=1e-9)
    # 100 Mercator units at 55.75°N are 100·cos(55.75°) ≈ 56 m on the Mercator sphere; haversine uses the
    # mean Earth radius, hence the radius ratio.
    expected = 100 * np.cos(np.radians(55.75)) * EARTH_RADIUS_M / MERCATOR_RADIUS_M
    assert g.meters[g.edge_id(first, second)] == pytest.approx(expected, rel=1e-4)


def test_it_rejects_ngraph_edges_to_unknown_nodes(tmp_path):
    co = tmp_path / "x.co.bin"
    np.array([0, 0, 1, 1], dtype="<i4").tofile(co)
    np.array([1, 9], dtype="<i4").tofile(tmp_path / "x.gr.bin")
    with pytest.raises(ValueError, match="out of range"):
        load_ngraph_bin(co)
