"""Bad input to the planning API gets a 4xx with a message, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.planning.services import PlanParams, do_create_plan, do_preview_plan
from lastmeter.planning.tests.planning_helpers import make_blocks
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.services import use_network
from lastmeter.testing.roads import comb, latlon

BIG = 2**70


@pytest.fixture
def client(world):
    c = Client(
        HTTP_AUTHORIZATION=f"Bearer {issue_token(world.dispatcher, 't')}", raise_request_exception=False
    )
    return c


def post(c, url, data):
    return c.post(url, data, content_type="application/json")


def patch(c, url, data):
    return c.patch(url, data, content_type="application/json")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"k": -1},
        {"k": BIG},
        {"k": 2, "tolerance": 5},
        {"k": 2, "auxiliaries": BIG},
        {"k": 2, "seed": BIG},
        {"k": 2, "name": "x" * 500},
        {"k": 2, "name": "  "},
        {"k": 2, "method": "magic"},
        {"k": 2, "weights": {}},
        {"k": 2, "weights": {"accidents": -1}},
        {"k": 2, "time_limit_s": 0},
        {"k": 2, "count_prior": 1e9},
        {"k": "two"},
    ],
)
def test_it_refuses_bad_plan_parameters(client, data):
    r = post(client, "/api/v1/planning/plans", data)
    assert 400 <= r.status_code < 500, (data, r.status_code)
    assert r.json()["detail"]


def test_it_refuses_bad_moves_and_grid_edits(world, client):
    make_blocks()
    plan = do_preview_plan(do_create_plan(PlanParams(name="p", k=2), world.leader).pk)
    base = f"/api/v1/planning/plans/{plan.pk}"
    for data in ({"unit": "b00", "to_grid": BIG}, {"unit": "x" * 1000, "to_grid": 1}, {"unit": "b00"}):
        assert 400 <= post(client, f"{base}/move", data).status_code < 500, data
    for number, data in (
        (BIG, {"name": "x"}),
        (1, {"responsible_officer": BIG}),
        (1, {"community": -5}),
        (1, {"name": "y" * 300}),
    ):
        assert 400 <= patch(client, f"{base}/grids/{number}", data).status_code < 500, (number, data)
    assert client.get(f"/api/v1/planning/plans/{BIG}").status_code in (404, 422)


def test_it_refuses_bad_platforms_and_analyses(world, client):
    with use_network(RoadNetwork(comb(), warm=False)):
        lat, lon = latlon(0, 0)
        for data in (
            {"code": "bad code!", "name": "n", "lat": lat, "lon": lon},
            {"code": "c" * 61, "name": "n", "lat": lat, "lon": lon},
            {"code": "ok", "name": "", "lat": lat, "lon": lon},
            {"code": "ok", "name": "n", "lat": 95, "lon": lon},
            {"code": "ok", "name": "n", "lat": lat, "lon": lon, "kind": "castle"},
        ):
            assert post(client, "/api/v1/planning/platforms", data).status_code == 400, data
        assert (
            post(
                client, "/api/v1/planning/platforms", {"code": "ok", "name": "n", "lat": lat, "lon": lon}
            ).status_code
            == 201
        )
        for data in (
            {"exits": []},
            {"exits": [{}]},
            {"exits": [{"node": BIG}]},
            {"exits": [{"lat": 91, "lon": 0}]},
            {"exits": [{"node": 1001}] * 300},
            {"exits": [{"node": 1001}], "speed_kmh": -3},
        ):
            assert 400 <= post(client, "/api/v1/planning/blockade", data).status_code < 500, data
        for data in (
            {"k": 0},
            {"k": 99},
            {"k": 1, "rates": "vibes"},
            {"k": 1, "max_candidates": 0},
            {"k": 1, "target_min": 0},
        ):
            assert 400 <= post(client, "/api/v1/planning/add-platforms", data).status_code < 500, data
        for q in ({"speed_kmh": "fast"}, {"target_min": -1}, {"rates": "vibes"}):
            assert 400 <= client.get("/api/v1/planning/service-areas", q).status_code < 500, q
