"""The service-areas page says what it means: coverage over every intersection (an unreachable one
is not covered), and intersections by their street names, never by road-map node ids alone.

The line (hand-checkable): M0..M4 on 福州路 and M4..M8 on 云南中路, 200 m apart, an unnamed 10 m spur
north of each, and an unnamed exit stub 200 m beyond each end (E_w west of M0, E_e east of M8).
Node i has source id 1000 + i: M_k = 1000 + k, E_w = 1018, E_e = 1019.
"""

from __future__ import annotations

import pytest
from django.test import Client

from lastmeter.planning.platform_reviews import containment_report
from lastmeter.planning.platforms import do_save_platform, service_area_report
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.services import use_network
from lastmeter.testing.roads import comb, graph, latlon

XS = [-400.0 + 200.0 * k for k in range(9)]
E_W, E_E = 1018, 1019


def named_line():
    pts = [(x, 0.0) for x in XS] + [(x, 10.0) for x in XS] + [(-600.0, 0.0), (1400.0, 0.0)]
    main = [(k, k + 1, 0 if k < 4 else 1) for k in range(8)]
    roads = main + [(k, 9 + k) for k in range(9)] + [(0, 18), (8, 19)]
    return graph(pts, roads, names=["福州路", "云南中路"])


def platform(code: str, name: str, x: float) -> None:
    lat, lon = latlon(x, -3.0)
    do_save_platform(code=code, name=name, lat=lat, lon=lon)


def leader(world) -> Client:
    client = Client()
    client.force_login(world.leader.user)
    return client


def test_it_counts_unreachable_intersections_as_not_covered(world):
    with use_network(RoadNetwork(comb(), warm=False)):
        platform("pt-w", "西平台", 0.0)
        platform("pt-e", "东平台", 4000.0)
        # 10 minutes reach every intersection of the comb, but not the far star's centre.
        r = service_area_report(speed_kmh=60, target_min=10, rates="uniform")
        assert (r["intersections"], r["unreachable_intersections"], r["all_intersections"]) == (5, 1, 6)
        assert r["covered_intersections"] == 5 and r["beyond_target_count"] == 0
        assert r["covered_pct"] == pytest.approx(83.33) and r["covered_reachable_pct"] == 100.0
        page = leader(world).get("/planning/service-areas/?target_min=10").content.decode()
    coverage = page.split('data-testid="coverage">', 1)[1].split("</p>", 1)[0]
    assert "83.33 %" in coverage and "100" not in coverage
    assert "6 个路口" in coverage and "1 个任何平台都无法到达" in coverage


def test_it_names_cordon_intersections_by_their_streets(world):
    with use_network(RoadNetwork(named_line(), warm=False)):
        platform("pt-w", "西平台", XS[0])
        platform("pt-e", "东平台", XS[8])
        c = containment_report({"node": 1004}, head_start_min=0.2, exits=[{"node": E_W}, {"node": E_E}])
        cordon = {x["node"]: (x["streets"], x["near"]) for x in c["assignments"]}
        assert cordon == {1000: (["福州路"], []), 1008: (["云南中路"], [])}
        assert c["incident"]["streets"] == ["云南中路", "福州路"]
        # An exit stub has no name of its own: it is named by the street it leaves.
        exits = {x["node"]: (x["streets"], x["near"]) for x in c["exits"]}
        assert exits == {E_W: ([], ["福州路"]), E_E: ([], ["云南中路"])}
        page = leader(world).get(f"/planning/service-areas/?exits={E_W}%0A{E_E}").content.decode()
    blockade = page.split('data-testid="blockade"', 1)[1].split("</table>", 1)[0]
    assert "福州路附近" in blockade and "云南中路附近" in blockade
    assert str(E_W) not in blockade and str(E_E) not in blockade
