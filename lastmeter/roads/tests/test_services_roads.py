"""The process's road network: lazy load through the .npz cache, hot reload (API, file mtime,
shared generation), GeoJSON for the map, and the route API."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from django.core.cache import cache as django_cache
from django.core.management import CommandError, call_command
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.roads import services
from lastmeter.roads.algorithms.geo import haversine_m
from lastmeter.roads.algorithms.graph import build_graph

# A—B two-way (福州路, 20 s), B→C one-way (单行道, 15 s), and the way back C→E→A one-way (回程路,
# 2 × 25 s) south of it: strongly connected, so every road can be snapped onto (the network snaps only
# onto its largest strongly connected component), and the one-way rules decide the routes.
PTS = {
    "A": (31.2300, 121.4660),
    "B": (31.2300, 121.4680),
    "C": (31.2300, 121.4700),
    "E": (31.2280, 121.4680),
}


def graph(extra_node: bool = False):
    keys = list(PTS) + (["D"] if extra_node else [])
    pts = dict(PTS, D=(31.2320, 121.4680))
    lat = np.array([pts[k][0] for k in keys])
    lon = np.array([pts[k][1] for k in keys])
    edges = [
        ("A", "B", 20.0, 1),
        ("B", "A", 20.0, 1),
        ("B", "C", 15.0, 0),
        ("C", "E", 25.0, 2),
        ("E", "A", 25.0, 2),
    ]
    if extra_node:
        edges += [("B", "D", 25.0, 1), ("D", "B", 25.0, 1)]
    ix = {k: i for i, k in enumerate(keys)}
    return build_graph(
        lat,
        lon,
        np.array([ix[a] for a, *_ in edges]),
        np.array([ix[b] for _, b, *_ in edges]),
        np.array([s for *_, s, _ in edges]),
        np.array([float(haversine_m(*pts[a], *pts[b])) for a, b, *_ in edges]),
        edge_name=np.array([n for *_, n in edges]),
        names=["单行道", "福州路", "回程路"],
        reorder=False,
    )


@pytest.fixture
def road_file(tmp_path, settings):
    """LASTMETER_ROAD_FILE points at a small .npz graph file; the process network is unloaded."""
    path = tmp_path / "roads" / "tiny.npz"
    path.parent.mkdir()
    graph().save_npz(path)
    settings.LASTMETER_ROAD_FILE = str(path)
    settings.LASTMETER_ROAD_CACHE_DIR = tmp_path / "cache"
    settings.LASTMETER_ROAD_CHECK_S = 3600.0
    django_cache.delete(services.GENERATION_KEY)
    previous = services._loaded
    services.install_network(None)
    yield path
    services._loaded = previous


def rewrite(path, g):
    g.save_npz(path)
    later = time.time() + 5  # make the change visible even on coarse-mtime file systems
    os.utime(path, (later, later))


def test_it_loads_lazily_and_reloads_in_place(road_file):
    assert services.network_info()["loaded"] is False
    net = services.get_network()
    assert services.network_info()["nodes"] == 4
    v1 = net.version
    rewrite(road_file, graph(extra_node=True))
    assert services.check_for_changes() is True
    assert services.get_network() is net  # same object: holders (the fleet index) keep working
    assert net.version != v1 and net.graph.n_nodes == 5
    assert services.check_for_changes() is False  # nothing changed since


def test_it_follows_a_reload_done_by_another_process(road_file):
    net = services.get_network()
    v1 = net.version
    django_cache.set(services.GENERATION_KEY, 41, timeout=None)  # what POST /roads/reload elsewhere does
    assert services.check_for_changes() is True
    assert net.version != v1


def test_it_keeps_the_current_network_when_the_new_file_is_bad(road_file):
    net = services.get_network()
    v1 = net.version
    road_file.write_bytes(b"not a graph")
    with pytest.raises(services.RoadError):
        services.reload_network()
    assert net.version == v1 and services.get_network().graph.n_nodes == 4


def test_it_builds_and_reuses_the_npz_cache_of_an_osm_file(tmp_path, settings):
    osm = tmp_path / "mini.osm"
    osm.write_text(
        """<?xml version='1.0' encoding='UTF-8'?><osm version="0.6">
        <node id="1" lat="31.2300" lon="121.4660"/><node id="2" lat="31.2300" lon="121.4680"/>
        <node id="3" lat="31.2300" lon="121.4700"/>
        <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
        <tag k="name" v="福州路"/></way></osm>""",
        encoding="utf-8",
    )
    settings.LASTMETER_ROAD_CACHE_DIR = tmp_path / "cache"
    cache = services.cache_path_for(osm)
    g = services.read_graph(osm, cache)
    assert cache.exists() and g.n_nodes == 3 and g.n_edges == 4
    osm.write_text("garbage")  # the cache is newer: the source is not read again
    os.utime(cache, (time.time() + 5, time.time() + 5))
    assert services.read_graph(osm, cache).n_nodes == 3
    with pytest.raises(services.RoadError):
        services.read_graph(tmp_path / "missing.osm", None)


def test_it_draws_the_network_as_merged_simplified_lines(road_file):
    fc = services.network_geojson()
    assert fc["type"] == "FeatureCollection"
    props = sorted((f["properties"]["name"], f["properties"]["oneway"]) for f in fc["features"])
    assert props == [("单行道", True), ("回程路", True), ("福州路", False)]
    street = next(f for f in fc["features"] if f["properties"]["name"] == "福州路")
    assert street["geometry"]["coordinates"][0][0] == pytest.approx(121.466) or street["geometry"][
        "coordinates"
    ][-1][0] == pytest.approx(121.466)
    assert services.network_geojson() is fc  # cached per network version


@pytest.fixture
def api(world):
    def client_for(person):
        return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")

    return client_for


def test_it_answers_routes_with_time_geometry_and_clear_errors(world, road_file, api):
    c = api(world.dispatcher)
    r = c.get("/api/v1/roads/route", {"from": "31.2300,121.4660", "to": "31.2300,121.4700"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["eta_s"] == pytest.approx(35.0, abs=0.01)
    assert body["route"] == [list(PTS["A"]), list(PTS["B"]), list(PTS["C"])]
    assert body["streets"] == ["福州路", "单行道"] and body["geometry"]["type"] == "LineString"
    back = c.get("/api/v1/roads/route", {"from": "31.2300,121.4700", "to": "31.2300,121.4660"}).json()
    assert back["eta_s"] == pytest.approx(50.0, abs=0.01)  # round by 回程路, not 15 s against 单行道
    assert back["streets"][-1] == "回程路"
    r = c.get("/api/v1/roads/route", {"from": "here", "to": "31.23,121.47"})
    assert r.status_code == 400 and "'from'" in r.json()["detail"]
    assert c.get("/api/v1/roads/route", {"from": "31.5,121.9", "to": "31.23,121.47"}).status_code == 400
    assert c.get("/api/v1/roads/route", {"from": "31.23,121.47"}).status_code == 422
    assert (
        Client().get("/api/v1/roads/route", {"from": "31.23,121.466", "to": "31.23,121.47"}).status_code
        == 401
    )
    assert len(c.get("/api/v1/roads/network").json()["features"]) == 3


def test_it_lets_only_administrators_reload(world, road_file, api):
    services.get_network()
    assert api(world.dispatcher).post("/api/v1/roads/reload").status_code == 403
    admin = Person.objects.create(name="管理员")
    RoleAssignment.objects.create(person=admin, role=Role.ADMINISTRATOR)
    rewrite(road_file, graph(extra_node=True))
    r = api(admin).post("/api/v1/roads/reload")
    assert r.status_code == 200 and r.json()["nodes"] == 5
    assert int(django_cache.get(services.GENERATION_KEY)) >= 1  # the other processes will follow
    assert api(world.dispatcher).get("/api/v1/roads/status").json()["nodes"] == 5


def test_it_has_a_command_for_info_cache_and_routes(road_file, capsys):
    call_command("roads", "info")
    assert json.loads(capsys.readouterr().out)["nodes"] == 4
    call_command("roads", "route", "31.2300,121.4660", "31.2300,121.4700")
    assert json.loads(capsys.readouterr().out)["eta_s"] == pytest.approx(35.0, abs=0.01)
    with pytest.raises(CommandError):
        call_command("roads", "route", "31.23,121.466")
    with pytest.raises(CommandError):
        call_command("roads", "info", "--file", str(road_file.parent / "missing.osm"))
