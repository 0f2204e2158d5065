"""Hotspots through the ORM, the page and the API, with the scope rule: jurisdiction-wide staff see
every cell, a community officer the cells of their community's grids, anyone else is refused."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from lastmeter.appeals.models import Appeal
from lastmeter.stats.hotspots import HotspotError, hotspots
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db


def _seed_appeals(world, n_cluster: int = 60, n_bg: int = 40) -> None:
    rng = np.random.default_rng(4)
    pts = [(POINT_IN_A[0] + a, POINT_IN_A[1] + b) for a, b in rng.normal(0, 0.0005, (n_cluster, 2))]
    pts += [(rng.uniform(31.225, 31.235), rng.uniform(121.465, 121.485)) for _ in range(n_bg)]
    Appeal.objects.bulk_create(
        [Appeal(title="噪音", category=world.police_category, lat=la, lon=lo) for la, lo in pts]
    )


def _client(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def test_it_finds_the_cluster_in_grid_a_through_the_orm(world) -> None:
    _seed_appeals(world)
    now = timezone.now()
    cells = hotspots("appeals", now - timedelta(days=1), now + timedelta(minutes=1), cell_m=100, compare=True)
    hot = [c for c in cells if c.kind == "hot"]
    assert hot and {c.grid_code for c in hot} == {"grid-a"}
    assert {c.trend for c in hot} == {"new"}  # nothing the day before
    assert hotspots("appeals", now - timedelta(days=1), now, category="illegal_parking", cell_m=100)
    with pytest.raises(HotspotError):
        hotspots("appeals", now, now - timedelta(days=1))
    with pytest.raises(HotspotError):
        hotspots("appeals", now - timedelta(days=20 * 365), now)
    with pytest.raises(HotspotError):
        hotspots("appeals", now - timedelta(days=1), now, category="no_such_category")
    with pytest.raises(HotspotError):
        hotspots("weather", now - timedelta(days=1), now)


def test_it_shows_the_leader_every_hot_cell_on_the_page_and_in_the_api(world) -> None:
    _seed_appeals(world)
    leader = _client("leader")
    page = leader.get("/stats/hotspots/?cell_m=100")
    assert page.status_code == 200
    assert "vendor/leaflet/leaflet.js" in page.content.decode() and "grid-a" in page.content.decode()
    geo = leader.get("/api/v1/stats/hotspots?cell_m=100").json()
    assert geo["type"] == "FeatureCollection"
    hot = [f for f in geo["features"] if f["properties"]["kind"] == "hot"]
    assert hot and all(f["properties"]["grid"] == "grid-a" for f in hot)


def test_it_shows_a_community_officer_only_their_communitys_cells(world) -> None:
    _seed_appeals(world)
    mine = _client("officer_a").get("/api/v1/stats/hotspots?cell_m=100").json()["features"]
    assert mine and {f["properties"]["grid"] for f in mine} == {"grid-a"}
    theirs = _client("officer_b").get("/api/v1/stats/hotspots?cell_m=100").json()["features"]
    assert all(f["properties"]["grid"] == "grid-b" for f in theirs)
    assert not [f for f in theirs if f["properties"]["kind"] == "hot"], "grid A's cluster is not shown to B"
    page = _client("officer_b").get("/stats/hotspots/?cell_m=100").content.decode()
    assert "grid-a" not in page


@pytest.mark.parametrize("username", ["liaison", "member_a", "head_a"])
def test_it_refuses_liaisons_grid_members_and_building_heads(world, username: str) -> None:
    c = _client(username)
    assert c.get("/stats/hotspots/").status_code == 404
    assert c.get("/api/v1/stats/hotspots").status_code == 404


def test_it_refuses_a_resident_without_an_account(world) -> None:
    assert Client().get("/stats/hotspots/").status_code == 302  # to the login page
    assert Client().get("/api/v1/stats/hotspots").status_code == 401


def test_it_answers_bad_input_with_a_clear_400(world) -> None:
    leader = _client("leader")
    assert leader.get("/api/v1/stats/hotspots?start=2024-02-01&end=2024-01-01").status_code == 400
    assert leader.get("/api/v1/stats/hotspots?kind=weather").status_code == 400
    assert leader.get("/api/v1/stats/hotspots?cell_m=5").status_code == 400
    assert leader.get("/api/v1/stats/hotspots?category=nope").status_code == 400
    page = leader.get("/stats/hotspots/?start=2024-02-01&end=2024-01-01")
    assert page.status_code == 400 and "hs-error" in page.content.decode()
