"""The city-wide review by district and the containment plan, as planners get them (services and API).

The line: main-road nodes M0..M8 at x = -400, -200, ..., 1200 m (200 m = 0.2 min at 60 km/h), y = 0, each
with a 10 m spur north, and an exit stub 200 m beyond each end (E_w west of M0, E_e east of M8). The
test world's grid A (community 福州路) covers x < 476 m (M0..M4), grid B (云南中路) the rest (M5..M8).
Node i has source id 1000 + i: M_k = 1000 + k, spur of M_k = 1009 + k, E_w = 1018, E_e = 1019.
"""

from __future__ import annotations

import math

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.planning.models import Platform
from lastmeter.planning.platform_reviews import containment_report, district_review_report
from lastmeter.planning.platforms import do_save_platform
from lastmeter.planning.report import PlanError
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.services import use_network
from lastmeter.testing.roads import ORIGIN, graph, latlon

XS = [-400.0 + 200.0 * k for k in range(9)]
E_W, E_E = 1018, 1019


def line_graph():
    pts = [(x, 0.0) for x in XS] + [(x, 10.0) for x in XS] + [(-600.0, 0.0), (1400.0, 0.0)]
    roads = [(k, k + 1) for k in range(8)] + [(k, 9 + k) for k in range(9)] + [(0, 18), (8, 19)]
    return graph(pts, roads)


@pytest.fixture
def network():
    with use_network(RoadNetwork(line_graph(), warm=False)) as net:
        yield net


def platform(code: str, k: int):
    lat, lon = latlon(XS[k], -3.0)
    return do_save_platform(code=code, name=code.upper(), lat=lat, lon=lon)


def test_it_reviews_each_district_and_proposes_a_fix(world, network):
    platform("west", 0)
    platform("east", 8)
    r = district_review_report(target_min=0.5, rates="uniform", max_moves=1, max_add=0)
    assert r["by"] == "community" and r["unassigned_platforms"] == [] and r["outside_intersections"] == 0
    a, b = r["districts"]
    assert (a["name"], a["platforms"], b["name"], b["platforms"]) == (
        "福州路社区",
        ["west"],
        "云南中路社区",
        ["east"],
    )
    assert a["workload"] == {"west": 5.0} and b["workload"] == {"east": 4.0}  # one per intersection
    # West answers M0..M4 alone: M3 (0.6 min) and M4 (0.8 min) are beyond 0.5 min.
    assert a["before"]["intersections"] == 5 and a["before"]["beyond_target"] == 2
    assert a["before"]["worst_time_min"] == pytest.approx(0.8, abs=0.01)
    # East answers M5..M8: M5 is 0.6 min away (west would be 1.8 min: it does not answer here anyway).
    assert b["before"]["beyond_target"] == 1 and b["before"]["worst_time_min"] == pytest.approx(0.6, abs=0.01)
    assert {f["kind"] for f in a["findings"]} == {"beyond_target"}
    # One move each brings every intersection within the target: west to M2, east to M6 or M7.
    assert [m["platform"] for m in a["moves"]] == ["west"] and a["moves"][0]["to"]["node"] == 1002
    assert b["moves"][0]["to"]["node"] in (1006, 1007)
    assert a["after"]["beyond_target"] == 0 and b["after"]["beyond_target"] == 0
    assert r["totals"] == {
        "beyond_before": 3,
        "beyond_after": 0,
        "worst_before_min": pytest.approx(0.8, abs=0.01),
        "worst_after_min": pytest.approx(0.4, abs=0.01),
        "moved": 2,
        "added": 0,
        "unreasonable": ["福州路社区", "云南中路社区"],
    }


def test_it_adds_platforms_where_a_district_has_none(world, network):
    platform("west", 0)
    r = district_review_report(target_min=0.5, rates="uniform", max_moves=0, max_add=2)
    _, b = r["districts"]
    assert b["platforms"] == [] and [f["kind"] for f in b["findings"]] == ["no_platform"]
    assert b["before"]["worst_time_min"] is None  # unreachable by its own platforms: no figure, not infinity
    assert b["needed_for_target"] == 1 and len(b["added"]) == 1 and b["after"]["beyond_target"] == 0
    with pytest.raises(PlanError, match="请按社区或按网格评估辖区。"):
        district_review_report(by="county")


def test_it_plans_a_containment_sealed_before_the_suspect(world, network):
    platform("west", 0)
    platform("east", 8)
    exits = [{"node": E_W}, {"node": E_E}]
    c = containment_report({"node": 1004}, head_start_min=0.2, exits=exits)
    # The suspect needs 0.8 min to M0 and M8; the platforms stand there at 0.2 min (the alarm).
    assert c["incident"]["node"] == 1004 and c["exits_source"] == "given"
    assert c["cordon_size"] == 2 and c["platforms_used"] == 2 and c["cut_valid"] is True
    assert {(x["node"], x["platform"]) for x in c["assignments"]} == {(1000, "west"), (1008, "east")}
    assert c["completion_min"] == pytest.approx(0.2, abs=0.01) and c["completion_after_alarm_min"] == 0.0
    assert all(x["police_min"] < x["suspect_min"] for x in c["assignments"])
    assert c["contained_intersections"] == 7  # M1..M7
    # With a 1 minute head start the suspect is at an exit before anyone can seal anything.
    with pytest.raises(PlanError, match="无法形成包围圈"):
        containment_report({"node": 1004}, head_start_min=1.0, exits=exits)
    with pytest.raises(PlanError, match="案发地点"):
        containment_report({"lat": 10.0, "lon": 10.0})


def test_it_serves_the_review_and_the_containment_to_planners_only(world, network):
    platform("west", 0)
    platform("east", 8)
    body = {"incident": {"node": 1004}, "head_start_min": 0.2, "exits": [{"node": E_W}, {"node": E_E}]}
    planner = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.dispatcher, 't')}")
    r = planner.get("/api/v1/planning/district-review", {"target_min": 0.5, "rates": "uniform"})
    assert r.status_code == 200 and len(r.json()["districts"]) == 2
    r = planner.post("/api/v1/planning/containment", body, content_type="application/json")
    assert r.status_code == 200 and r.json()["cordon_size"] == 2
    lat, lon = latlon(XS[4], -4.0)
    r = planner.post(
        "/api/v1/planning/containment",
        {**body, "incident": {"lat": lat, "lon": lon}},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["incident"]["node"] == 1004
    # Bad input: 400 with the reason, never a 500.
    for bad in ({**body, "head_start_min": -1}, {**body, "incident": {}}, {**body, "head_start_min": 5}):
        r = planner.post("/api/v1/planning/containment", bad, content_type="application/json")
        assert r.status_code == 400 and r.json()["detail"], bad
    assert planner.get("/api/v1/planning/district-review", {"by": "x"}).status_code == 400
    assert planner.post("/api/v1/planning/containment", {}, content_type="application/json").status_code in (
        400,
        422,
    )
    for who in ("grid_officer", "other_officer", "grid_member", "liaison"):
        c = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(getattr(world, who), 't')}")
        assert c.get("/api/v1/planning/district-review").status_code == 403, who
        r = c.post("/api/v1/planning/containment", body, content_type="application/json")
        assert r.status_code == 403, who
    assert Client().get("/api/v1/planning/district-review").status_code == 401
    assert (
        Client().post("/api/v1/planning/containment", body, content_type="application/json").status_code
        == 401
    )


def test_it_shows_the_containment_form_on_the_service_areas_page(world, network):
    platform("west", 0)
    leader = Client()
    leader.force_login(world.leader.user)
    page = leader.get("/planning/service-areas/").content.decode()
    assert 'data-testid="containment-form"' in page and "/api/v1/planning/containment" in page
    assert 'data-testid="district-review"' in page and "/api/v1/planning/district-review" in page


def test_it_seeds_the_demo_platforms_once_where_the_roads_are(world):
    from lastmeter.demo.planning import DEMO_PLATFORMS, load_demo_platforms

    # A road between two demo intersections; a demo platform is created only if it snaps to it (500 m).
    xy = {c: tuple(float(v) for v in ORIGIN.forward(lat, lon)) for c, _, lat, lon in DEMO_PLATFORMS}
    ends = [xy["demo-bj-fj"], xy["demo-hh-cq"]]  # the north and south ends of the map
    near = {c for c, p in xy.items() if min(math.dist(p, e) for e in ends) <= 500}
    assert {"demo-bj-fj", "demo-hh-cq"} <= near and len(near) < len(DEMO_PLATFORMS)
    with use_network(RoadNetwork(graph(ends, [(0, 1)]), warm=False)):
        assert load_demo_platforms() == len(near)
        assert set(Platform.objects.values_list("code", flat=True)) == near
        assert load_demo_platforms() == 0  # there are platforms already: nothing is invented twice
