"""Platform service areas on a tiny road network checked by hand (60 km/h: 1 km = 1 minute).

The comb: main road nodes 0..4, 1 km apart, each with a 10 m spur; platforms at nodes 0 and 4.
"""

from __future__ import annotations

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.planning.models import Platform
from lastmeter.planning.platforms import (
    addition_report,
    blockade_report,
    do_save_platform,
    service_area_report,
)
from lastmeter.planning.report import PlanError
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.services import use_network
from lastmeter.testing.roads import comb, latlon


@pytest.fixture
def network():
    with use_network(RoadNetwork(comb(), warm=False)) as net:
        yield net


def platform(code: str, x_m: float) -> Platform:
    lat, lon = latlon(x_m + 3.0, -4.0)  # a few metres off the node: snapped to it
    return do_save_platform(code=code, name=code.upper(), lat=lat, lon=lon)


def test_it_assigns_intersections_to_the_fastest_platform(world, network):
    p0, p4 = platform("west", 0), platform("east", 4000)
    assert (p0.road_node, p4.road_node) == (1000, 1004) and p0.snap_m == pytest.approx(5.0, abs=0.1)
    r = service_area_report(speed_kmh=60, target_min=1.5, rates="uniform")
    # Intersections: nodes 1, 2, 3 and the platforms' own nodes; the far star is unreachable.
    assert r["intersections"] == 5 and r["unreachable_intersections"] == 1
    rows = {p["code"]: p for p in r["platforms"]}
    # Node 2 is 2 minutes from both: the tie goes to the first platform.
    assert rows["west"]["intersections"] == 3 and rows["east"]["intersections"] == 2
    assert rows["west"]["workload"] == 3 and rows["east"]["workload"] == 2
    assert r["beyond_target_count"] == 1
    (far,) = r["beyond_target"]
    assert (
        far["node"] == 1002 and far["time_min"] == pytest.approx(2.0, abs=1e-3) and far["platform"] == "west"
    )
    assert r["max_time_min"] == pytest.approx(2.0, abs=1e-3)
    # At 30 km/h everything takes twice as long: nodes 1, 2 and 3 are beyond 1.5 minutes.
    slow = service_area_report(speed_kmh=30, target_min=1.5, rates="uniform")
    assert slow["beyond_target_count"] == 3


def test_it_plans_a_blockade_and_refuses_more_exits_than_platforms(world, network):
    platform("west", 0)
    platform("east", 4000)
    lat, lon = latlon(1000, 0)
    b = blockade_report([{"lat": lat, "lon": lon}, {"node": 1003}], speed_kmh=60)
    assert b["last_sealed_min"] == pytest.approx(1.0, abs=1e-3) and b["total_min"] == pytest.approx(
        2.0, abs=1e-3
    )
    assert {(a["node"], a["platform"]) for a in b["assignments"]} == {(1001, "west"), (1003, "east")}
    with pytest.raises(PlanError, match="有 3 个出口，但只有 2 个平台：每个平台只能封堵一个出口。"):
        blockade_report([{"node": 1001}, {"node": 1002}, {"node": 1003}])
    with pytest.raises(PlanError, match="道路节点 1015 不在平台可达的道路上"):
        blockade_report([{"node": 1015}])  # the unreachable star


def test_it_suggests_where_a_new_platform_cuts_the_worst_response_time(world, network):
    platform("west", 0)
    a = addition_report(1, speed_kmh=60, target_min=2.5, rates="uniform")
    # Alone at node 0, the farthest spur tip is 4.01 min away; a second platform at node 3 brings
    # every point within 1.01 min (node 2 would leave node 4 two minutes away).
    assert a["before"]["max_time_min"] == pytest.approx(4.01, abs=1e-3)
    assert [x["node"] for x in a["added"]] == [1003]
    assert a["after"]["max_time_min"] == pytest.approx(1.01, abs=1e-3)
    assert a["worst_time_min"] == pytest.approx(1.01, abs=1e-3)
    # Intersection 3 (3 min) was beyond 2.5 min; now none is.
    assert a["before"]["beyond_target"] == 1 and a["after"]["beyond_target"] == 0


def test_it_serves_the_analyses_over_the_api(world, network):
    c = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.dispatcher, 't')}")
    assert c.get("/api/v1/planning/service-areas").status_code == 400  # no platforms yet
    for code, x in (("west", 0), ("east", 4000)):
        lat, lon = latlon(x, 0)
        r = c.post(
            "/api/v1/planning/platforms",
            {"code": code, "name": code, "lat": lat, "lon": lon},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
    r = c.post(
        "/api/v1/planning/platforms",
        {"code": "moon", "name": "far", "lat": 10.0, "lon": 10.0},
        content_type="application/json",
    )
    assert r.status_code == 400 and "米内没有道路" in r.json()["detail"]
    r = c.get("/api/v1/planning/service-areas", {"target_min": 1.5, "rates": "uniform"})
    assert r.status_code == 200 and r.json()["beyond_target_count"] == 1
    geo = c.get("/api/v1/planning/service-areas/geojson", {"target_min": 1.5}).json()
    beyond = [f for f in geo["features"] if f["properties"].get("beyond_target")]
    assert [f["properties"]["node"] for f in beyond] == [1002]
    r = c.post("/api/v1/planning/blockade", {"exits": [{"node": 1001}]}, content_type="application/json")
    assert r.status_code == 200 and r.json()["assignments"][0]["platform"] == "west"
    r = c.post(
        "/api/v1/planning/add-platforms", {"k": 1, "rates": "uniform"}, content_type="application/json"
    )
    assert r.status_code == 200 and len(r.json()["added"]) == 1
    assert c.get("/api/v1/planning/service-areas", {"speed_kmh": 0}).status_code == 400
    assert c.get("/api/v1/planning/platforms").json()[0]["road_node"] == 1004  # ordered by code: east


def test_it_counts_incidents_into_platform_workload(world, network, new_appeal):
    platform("west", 0)
    platform("east", 4000)
    lat, lon = latlon(3000, 30)
    new_appeal(lat=lat, lon=lon)
    new_appeal(lat=lat, lon=lon)
    r = service_area_report(target_min=3)
    assert r["rates"] == "appeals"
    rows = {p["code"]: p["workload"] for p in r["platforms"]}
    assert rows == {"west": 0, "east": 2}
