"""/api/v1/stats: scope per role, bad input answered in words, bounded query counts."""

from __future__ import annotations

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.stats.rollups import rebuild
from lastmeter.stats.tests.fixture import build_month

MARCH = "from=2024-03-01&to=2024-03-31"


@pytest.fixture
def api(world):
    def client_for(person):
        return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")

    return client_for


@pytest.fixture
def month(world):
    m = build_month(world)
    rebuild()
    return m


def test_it_gives_the_leader_the_whole_jurisdiction_with_a_comparison(
    world, api, month, django_assert_max_num_queries
):
    c = api(world.leader)
    with django_assert_max_num_queries(12):
        r = c.get(f"/api/v1/stats/appeals?{MARCH}&period=month&by=grid&compare=mom")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["totals"]["received"] == 6 and body["totals"]["landed_within_24h_rate"] == 0.6
    assert {row["label"]: row["measures"]["received"] for row in body["series"]} == {"A网格": 5, "B网格": 1}
    assert body["compare"]["range"] == {"start": "2024-01-30", "end": "2024-02-29"}
    assert body["compare"]["totals"]["received"] == 1 and body["compare"]["change"]["received"] == 5.0
    assert {row["label"] for row in body["times"]} == {"A网格", "B网格"}


def test_it_keeps_the_query_count_flat_over_a_daily_series(world, api, month, django_assert_max_num_queries):
    c = api(world.dispatcher)
    with django_assert_max_num_queries(12):
        r = c.get(f"/api/v1/stats/appeals?{MARCH}&period=day&by=officer&compare=yoy")
    assert r.status_code == 200
    for path in ("satisfaction", "appeals/hours", "transfers", "incidents"):
        with django_assert_max_num_queries(10):
            assert c.get(f"/api/v1/stats/{path}?{MARCH}&period=week&by=channel").status_code == 200, path


def test_it_gives_the_grid_officer_their_community_only(world, api, month):
    c = api(world.grid_officer)
    body = c.get(f"/api/v1/stats/appeals?{MARCH}&by=grid").json()
    assert body["totals"]["received"] == 5
    assert [row["label"] for row in body["series"]] == ["A网格"]
    assert c.get(f"/api/v1/stats/satisfaction?{MARCH}").json()["totals"]["ratings"] == 3


def test_it_refuses_the_officer_of_another_grid_with_a_404_never_data(world, api, month):
    c = api(world.other_officer)
    for path in ("appeals", "satisfaction", "appeals/hours", "incidents"):
        r = c.get(f"/api/v1/stats/{path}?{MARCH}&grid=grid-a")
        assert r.status_code == 404, (path, r.content)
        assert "received" not in r.content.decode()
    assert c.get(f"/api/v1/stats/appeals?{MARCH}&grid={world.grid_a.pk}").status_code == 404
    assert c.get(f"/api/v1/stats/appeals?{MARCH}&community=fuzhou").status_code == 404
    own = c.get(f"/api/v1/stats/appeals?{MARCH}").json()
    assert own["totals"]["received"] == 1  # A4, grid B


def test_it_gives_a_grid_member_their_grid(world, api, month):
    body = api(world.grid_member).get(f"/api/v1/stats/appeals?{MARCH}&grid=grid-a").json()
    assert body["totals"]["received"] == 5
    assert api(world.grid_member).get(f"/api/v1/stats/appeals?{MARCH}&grid=grid-b").status_code == 404


def test_it_gives_a_liaison_their_departments_transfers_only(world, api, month):
    c = api(world.liaison)
    r = c.get(f"/api/v1/stats/appeals?{MARCH}")
    assert r.status_code == 403 and "/stats/transfers" in r.json()["detail"]
    rows = c.get(f"/api/v1/stats/transfers?{MARCH}").json()["departments"]
    assert [(row["label"], row["transfers"]) for row in rows] == [("城管执法局", 2)]
    assert api(world.other_liaison).get(f"/api/v1/stats/transfers?{MARCH}").json()["departments"] == []


def test_it_refuses_a_resident_and_an_anonymous_caller(world, api, month, client):
    resident = Person.objects.create(name="居民刘")
    RoleAssignment.objects.create(person=resident, role=Role.VOLUNTEER)
    for path in ("appeals", "satisfaction", "transfers", "incidents"):
        assert api(resident).get(f"/api/v1/stats/{path}?{MARCH}").status_code == 403, path
        assert client.get(f"/api/v1/stats/{path}").status_code == 401


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("from=2024-03-31&to=2024-03-01", 400, "晚于"),
        ("from=2004-01-01&to=2024-01-01", 400, "五年"),
        ("from=2023-01-01&to=2024-06-01&period=day", 400, "一年"),
        ("from=2024-13-01", 400, "YYYY-MM-DD"),
        ("period=fortnight", 400, "fortnight"),
        ("by=colour", 400, "colour"),
        ("compare=last", 400, "mom"),
        ("category=no-such-category", 400, "no-such-category"),
        ("channel=pigeon", 400, "pigeon"),
        ("grid=no-such-grid", 404, "no-such-grid"),
    ],
)
def test_it_answers_bad_input_with_a_clear_chinese_message(world, api, query, status, words):
    r = api(world.leader).get(f"/api/v1/stats/appeals?{query}")
    assert r.status_code == status, r.content
    assert words in r.json()["detail"]


def test_it_documents_the_endpoints_in_openapi(world, client):
    spec = client.get("/api/v1/openapi.json").json()
    for path in ("appeals", "satisfaction", "appeals/hours", "transfers", "incidents"):
        op = spec["paths"][f"/api/v1/stats/{path}"]["get"]
        assert "200" in op["responses"] and "400" in op["responses"], path
    assert "AppealMeasuresOut" in spec["components"]["schemas"]
