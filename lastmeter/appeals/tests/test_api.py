"""The appeals API: token auth, scoping (404 for other grids), actions, tracking by token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B


@pytest.fixture
def api(world):
    def client_for(person):
        token = issue_token(person, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return client_for


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_it_requires_authentication(world, client):
    assert client.get("/api/v1/appeals").status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer lm_not-a-token")
    assert bad.get("/api/v1/appeals").status_code == 401


def test_it_creates_an_appeal_and_returns_a_tracking_link(world, api):
    c = api(world.dispatcher)
    r = post(
        c,
        "/api/v1/appeals",
        {
            "text": "小区门口有人卖假药",
            "lat": POINT_IN_A[0],
            "lon": POINT_IN_A[1],
            "reporter_phone": "13912345678",
            "channel": "hotline",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["tracking_url"] == f"/t/{body['tracking_token']}/"
    listed = c.get("/api/v1/appeals").json()
    assert listed[0]["reporter"] == "139****5678"  # masked in lists


def test_it_rejects_bad_input_with_clear_errors(world, api):
    c = api(world.dispatcher)
    assert post(c, "/api/v1/appeals", {"text": ""}).status_code == 422
    assert post(c, "/api/v1/appeals", {"text": "x", "lat": 95, "lon": 1}).status_code == 422
    r = post(c, "/api/v1/appeals", {"text": "x", "category": "nope"})
    assert r.status_code == 400 and "unknown category" in r.json()["detail"]
    r = c.post("/api/v1/appeals", data="{not json", content_type="application/json")
    assert 400 <= r.status_code < 500


def test_it_hides_another_grids_appeal_from_an_officer(world, api, new_appeal):
    theirs = new_appeal(lat=POINT_IN_B[0], lon=POINT_IN_B[1])
    c = api(world.grid_officer)
    assert c.get(f"/api/v1/appeals/{theirs.pk}").status_code == 404
    assert post(c, f"/api/v1/appeals/{theirs.pk}/actions/acknowledge", {}).status_code == 404
    assert c.get("/api/v1/appeals").json() == []


def test_it_runs_actions_and_reports_the_next_ones(world, api, new_appeal):
    appeal = new_appeal()
    c = api(world.grid_officer)
    r = post(c, f"/api/v1/appeals/{appeal.pk}/actions/acknowledge", {})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert "contact" in r.json()["actions"] and "acknowledge" not in r.json()["actions"]
    r = post(
        c, f"/api/v1/appeals/{appeal.pk}/actions/land", {"lat": POINT_IN_A[0] + 0.01, "lon": POINT_IN_A[1]}
    )
    # Refused in Chinese, with both distances (0.01° of latitude ≈ 1112 m).
    assert (
        r.status_code == 400 and r.json()["detail"] == "您距离诉求地点约 1112 米，需在 300 米内才能确认到场。"
    )
    r = post(c, f"/api/v1/appeals/{appeal.pk}/actions/resolve", {"resolution": "x"})
    assert r.status_code == 403
    r = post(c, f"/api/v1/appeals/{appeal.pk}/actions/fly", {})
    assert r.status_code == 400


def test_it_lets_a_department_act_only_on_its_transfers(world, api, new_appeal):
    appeal = new_appeal(category=world.department_category)
    assert (
        post(api(world.other_liaison), f"/api/v1/appeals/{appeal.pk}/actions/accept_transfer", {}).status_code
        == 404
    )
    r = post(api(world.liaison), f"/api/v1/appeals/{appeal.pk}/actions/accept_transfer", {})
    assert r.status_code == 200 and r.json()["state"] == "accepted"


def test_it_tracks_rates_and_contests_by_token_only(world, client, new_appeal):
    appeal = new_appeal()
    r = client.get(f"/api/v1/track/{appeal.tracking_token}")
    assert r.status_code == 200 and r.json()["state"] == "received"
    assert all("actor" not in e for e in r.json()["events"])  # staff names are not shown to the public
    assert client.get("/api/v1/track/wrong-token").status_code == 404
    r = post(client, f"/api/v1/track/{appeal.tracking_token}/rate", {"score": 5, "code": "123456"})
    assert r.status_code == 400  # not resolved yet
    assert post(client, "/api/v1/track/wrong-token/contest", {"reason": "x"}).status_code == 404


def test_it_serves_an_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/appeals" in doc["paths"]
