"""Nearest units by road travel time, on hand-made streets where the answers can be worked out.

Speeds are 36 km/h (10 m/s), so seconds = metres / 10.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lastmeter.dispatching.algorithms.nearest import DETOUR_RATIO, Fleet
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.testing.roads import latlon, make_graph

# Main street y = 0 from x = -200 to 2000 (two-way).  North of it, a one-way street y = 50 runs east
# from D(0, 50) to E(1500, 50), then down to the main street.  South of a river, a street y = -80 joins
# the main street only by a bridge at x = 2000.  Far away, an island street nobody can reach.
POINTS = [
    (-200, 0), (0, 0), (300, 0), (600, 0), (1500, 0), (2000, 0),  # 0..5 main street
    (0, 50), (1500, 50),  # 6 D, 7 E
    (-100, -80), (100, -80), (2000, -80),  # 8, 9, 10 south bank; 10—5 is the bridge
    (5000, 5000), (5100, 5000),  # 11, 12 island
]  # fmt: skip
ROADS = [
    (0, 1), (1, 2), (2, 3), (3, 4), (4, 5),
    (6, 7, True), (7, 4), (6, 1),
    (8, 9), (9, 10), (10, 5),
    (11, 12),
]  # fmt: skip
INCIDENT = latlon(0, 0)


@pytest.fixture
def net():
    return RoadNetwork(make_graph(POINTS, ROADS))


@pytest.fixture
def fleet(net):
    f = Fleet(net)
    f.upsert("oneway-car", *latlon(100, 50), agency="police", kind="car")  # crow 112 m, must drive east
    f.upsert("main-car", *latlon(300, 0), agency="police", kind="car")  # crow 300 m, 30 s
    f.upsert("bank-car", *latlon(0, -80), agency="police", kind="car")  # crow 80 m, across the river
    f.upsert("island-car", *latlon(5050, 5000), agency="police", kind="car")
    f.upsert("fire-1", *latlon(600, 0), agency="fire", kind="engine")  # 60 s
    f.upsert("chengguan-1", *latlon(-200, 0), agency="urban", kind="patrol")  # 20 s
    return f


def test_it_ranks_units_by_road_time_not_straight_line(fleet):
    rec = fleet.nearest(*INCIDENT, k=2)
    assert [u.unit_id for u in rec.units] == ["chengguan-1", "main-car"]
    assert [u.seconds for u in rec.units] == pytest.approx([20.0, 30.0], rel=1e-5)
    main = rec.units[1]
    assert main.crow_m == pytest.approx(300, rel=1e-3)
    assert main.crow_rank == 4  # bank-car 80 m, oneway-car 112 m, chengguan-1 200 m are closer
    assert main.route.seconds == main.seconds
    assert main.route.meters == pytest.approx(300, rel=1e-4)
    assert (main.route.lat[0], main.route.lon[0]) == pytest.approx(latlon(300, 0), abs=1e-9)
    assert (main.route.lat[-1], main.route.lon[-1]) == pytest.approx(INCIDENT, abs=1e-9)


def test_it_explains_a_one_way_street_and_a_river_crossing(fleet):
    rec = fleet.nearest(*INCIDENT, k=2, agencies=["police"])
    assert [u.unit_id for u in rec.units] == ["main-car", "oneway-car"]
    # oneway-car: 1400 m east, 50 m down, 1500 m west = 2950 m
    assert rec.units[1].seconds == pytest.approx(295.0, rel=1e-5)
    why = {e.unit_id: e for e in rec.explanations}
    assert set(why) == {"bank-car"}  # crow top-2 = bank-car, oneway-car
    bank = why["bank-car"]
    # 100 m to x = 100, 1900 m to the bridge, 80 m across, 2000 m back west
    assert bank.road_seconds == pytest.approx(408.0, rel=1e-5)
    assert bank.reason == "detour"
    assert bank.crow_m == pytest.approx(80, rel=1e-3) and bank.road_meters == pytest.approx(4080, rel=1e-4)
    assert bank.detour_ratio == pytest.approx(4080 / 80, rel=1e-3) and bank.detour_ratio >= DETOUR_RATIO
    assert bank.average_kmh == pytest.approx(36, rel=1e-4)
    assert bank.compared_unit_id is None and bank.search_limit_s is None
    # main-car, third as the crow flies, is recommended instead: named with its road time.
    assert bank.faster == (("main-car", pytest.approx(30.0, rel=1e-5)),)


def test_it_explains_a_unit_on_a_one_way_street_heading_away(fleet):
    fleet.remove("bank-car")
    rec = fleet.nearest(*INCIDENT, k=1, agencies=["police"])
    assert [u.unit_id for u in rec.units] == ["main-car"]
    (why,) = rec.explanations
    assert why.unit_id == "oneway-car" and why.reason == "one_way"
    assert why.crow_rank == 1
    # Its 295 s drive is past the search bound (max(2 × 30 s, 30 s + 120 s) = 150 s): not timed.
    assert why.road_seconds is None and why.search_limit_s == pytest.approx(150.0, rel=1e-5)
    assert why.faster == (("main-car", pytest.approx(30.0, rel=1e-5)),)


def test_it_explains_units_that_no_road_connects(net):
    f = Fleet(net)
    f.upsert("island-car", *latlon(5050, 5000))
    f.upsert("far-car", *latlon(2000, 0))
    rec = f.nearest(*latlon(5000, 4990), k=1)
    assert [u.unit_id for u in rec.units] == ["island-car"]
    rec = f.nearest(*latlon(1990, 0), k=1)
    assert [u.unit_id for u in rec.units] == ["far-car"]
    rec = f.nearest(*latlon(4990, 4990), k=2)
    assert [u.unit_id for u in rec.units] == ["island-car"]
    (why,) = rec.explanations
    assert why.unit_id == "far-car" and why.reason == "unreachable" and why.road_seconds is None
    assert why.road_meters is None and why.detour_ratio is None and why.search_limit_s is None


def test_it_filters_by_agency_kind_and_availability(fleet):
    assert [u.unit_id for u in fleet.nearest(*INCIDENT, k=3, agencies=["fire"]).units] == ["fire-1"]
    assert [u.unit_id for u in fleet.nearest(*INCIDENT, k=3, kinds=["patrol", "engine"]).units] == [
        "chengguan-1",
        "fire-1",
    ]
    fleet.set_available("chengguan-1", False)
    assert fleet.nearest(*INCIDENT, k=1).units[0].unit_id == "main-car"
    assert fleet.nearest(*INCIDENT, k=1, agencies=["nobody"]).units == []


def test_it_leaves_out_units_slower_than_max_seconds(fleet):
    rec = fleet.nearest(*INCIDENT, k=5, max_seconds=45)
    assert [u.unit_id for u in rec.units] == ["chengguan-1", "main-car"]


def test_it_breaks_ties_in_insertion_order(net):
    f = Fleet(net)
    for name in ["b", "a", "c"]:
        f.upsert(name, *latlon(300, 0))
    assert [u.unit_id for u in f.nearest(*INCIDENT, k=2).units] == ["b", "a"]
    assert [u.unit_id for u in f.nearest(*INCIDENT, k=3).units] == ["b", "a", "c"]


def test_it_moves_and_removes_units(fleet):
    fleet.upsert("fire-1", *latlon(10, 0))
    rec = fleet.nearest(*INCIDENT, k=1)
    assert rec.units[0].unit_id == "fire-1" and rec.units[0].seconds == pytest.approx(1.0, rel=1e-5)
    assert rec.units[0].agency == "fire"  # tags survive a move
    fleet.remove("fire-1")
    assert "fire-1" not in fleet
    assert fleet.nearest(*INCIDENT, k=1).units[0].unit_id == "chengguan-1"
    fleet.upsert("fire-2", *latlon(-5, 0), agency="fire")
    assert fleet.nearest(*INCIDENT, k=1).units[0].unit_id == "fire-2"
    assert len(fleet) == 6


def test_it_uses_the_shared_street_directly_or_loops_on_a_one_way(net):
    f = Fleet(net)
    f.upsert("behind", *latlon(200, 50))  # on the one-way, behind the incident point
    f.upsert("ahead", *latlon(900, 50))  # on the one-way, past the incident point
    rec = f.nearest(*latlon(400, 50), k=2, explain=False)
    assert [u.unit_id for u in rec.units] == ["behind", "ahead"]
    assert rec.units[0].seconds == pytest.approx(20.0, rel=1e-5)
    assert rec.units[0].route.meters == pytest.approx(200.0, rel=1e-4)
    # ahead: 600 m to E, 50 m down, 1500 m west to x = 0, 50 m up to D, 400 m along the one-way
    assert rec.units[1].seconds == pytest.approx(260.0, rel=1e-5)
    assert rec.units[1].route.meters == pytest.approx(2600.0, rel=1e-4)


def test_it_re_snaps_units_after_the_network_is_swapped(net, fleet):
    before = fleet.nearest(*INCIDENT, k=1).units[0]
    assert before.seconds == pytest.approx(20.0, rel=1e-5)
    net.swap(make_graph(POINTS, ROADS, kmh=72.0))
    after = fleet.nearest(*INCIDENT, k=1)
    assert after.units[0].unit_id == "chengguan-1"
    assert after.units[0].seconds == pytest.approx(10.0, rel=1e-5)
    assert after.network_version == net.version


def test_it_returns_what_exists_and_rejects_a_bad_k(net):
    f = Fleet(net)
    assert f.nearest(*INCIDENT, k=3).units == []
    f.upsert("only", *latlon(300, 0))
    assert len(f.nearest(*INCIDENT, k=3).units) == 1
    with pytest.raises(ValueError):
        f.nearest(*INCIDENT, k=0)


def test_it_grows_past_its_initial_capacity(net):
    f = Fleet(net)
    xs = np.linspace(-200, 2000, 150)
    for i, x in enumerate(xs):
        f.upsert(i, *latlon(float(x), 0))
    rec = f.nearest(*INCIDENT, k=3)
    assert [u.seconds for u in rec.units] == sorted(u.seconds for u in rec.units)
    assert rec.units[0].seconds < 1.0


def test_it_proves_a_nearby_unit_unreachable_without_settling_the_whole_map():
    # A main street with side streets every 100 m near the incident, 3 km long both ways; and 40 m
    # north of the incident a yard street that joins nothing.
    xs = range(-500, 600, 100)
    points = [(-3000, 0), (3000, 0), (0, 40), (100, 40)] + [(x, 0) for x in xs] + [(x, -50) for x in xs]
    main = [0, *range(4, 4 + len(xs)), 1]
    roads = [*itertools.pairwise(main), (2, 3)]
    roads += [(4 + i, 4 + len(xs) + i) for i in range(len(xs))]
    f = Fleet(RoadNetwork(make_graph(points, roads)))
    f.upsert("main-car", *latlon(300, 0))  # 30 s
    f.upsert("yard-car", *latlon(50, 40))  # 64 m as the crow flies, no road to the scene
    rec = f.nearest(*INCIDENT, k=1)
    assert [u.unit_id for u in rec.units] == ["main-car"]
    (why,) = rec.explanations
    assert why.unit_id == "yard-car" and why.reason == "unreachable" and why.road_seconds is None
    # about 300 m of main street and side streets, and the yard: not the 3 km ends
    assert rec.settled_nodes < 20


def test_it_leaves_its_scratch_space_clean_after_every_query(fleet, net):
    for k in (1, 3, 6):
        fleet.nearest(*INCIDENT, k=k, agencies=["police"])
        fleet.nearest(*latlon(1990, -80), k=k)
    ws = net.state.workspace()
    assert np.all(np.isinf(ws.dist)) and np.all(np.isinf(ws.fdist))
