"""Tag interpretation: speeds, directions and exclusions (pure functions, checked by hand)."""

from __future__ import annotations

import pytest

from lastmeter.roads.algorithms.speeds import CLASS_CODE, DEFAULT_SPEED_KMH, parse_maxspeed, way_routing


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("20 knots", 20 * 1.852),
        ("60;40", 40.0),
        ("RU:urban", 50.0),
        ("DE:rural", 90.0),
        ("CN:motorway", 110.0),
        ("walk", 6.0),
        ("none", None),
        ("signals", None),
        ("", None),
        (None, None),
        ("0", None),
    ],
)
def test_it_parses_maxspeed_values(value, kmh):
    got = parse_maxspeed(value)
    assert got == pytest.approx(kmh) if kmh is not None else got is None


@pytest.mark.parametrize(
    ("tags", "forward", "backward"),
    [
        ({"highway": "residential"}, True, True),
        ({"highway": "residential", "oneway": "yes"}, True, False),
        ({"highway": "residential", "oneway": "1"}, True, False),
        ({"highway": "residential", "oneway": "-1"}, False, True),
        ({"highway": "residential", "oneway": "no"}, True, True),
        ({"highway": "primary", "junction": "roundabout"}, True, False),
        ({"highway": "primary", "junction": "circular"}, True, False),
        ({"highway": "motorway"}, True, False),
        ({"highway": "motorway", "oneway": "no"}, True, True),
        ({"highway": "motorway_link"}, True, True),
    ],
)
def test_it_derives_directions_from_oneway_roundabout_and_motorway(tags, forward, backward):
    r = way_routing(tags)
    assert r is not None
    assert (r.forward, r.backward) == (forward, backward)


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "footway"},
        {"highway": "cycleway"},
        {"building": "yes"},
        {"highway": "residential", "access": "no"},
        {"highway": "service", "motor_vehicle": "no"},
        {"highway": "primary", "oneway": "reversible"},
        {"highway": "pedestrian", "area": "yes"},
    ],
)
def test_it_leaves_out_ways_cars_cannot_use(tags):
    assert way_routing(tags) is None


def test_it_keeps_private_roads_for_emergency_services():
    assert way_routing({"highway": "service", "access": "private"}) is not None


def test_it_uses_maxspeed_and_falls_back_to_the_class_default():
    assert way_routing({"highway": "primary", "maxspeed": "70"}).speed_fwd_kmh == 70.0
    r = way_routing({"highway": "tertiary"})
    assert r.speed_fwd_kmh == r.speed_bwd_kmh == DEFAULT_SPEED_KMH["tertiary"]
    assert r.class_code == CLASS_CODE["tertiary"]
    r = way_routing({"highway": "primary", "maxspeed": "60", "maxspeed:backward": "40"})
    assert (r.speed_fwd_kmh, r.speed_bwd_kmh) == (60.0, 40.0)
