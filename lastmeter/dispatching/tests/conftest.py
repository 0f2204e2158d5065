"""Fixtures of the dispatching tests: a tiny hand-made road network and a small fleet on it.

The network (checkable by hand; seconds are set, not derived from speeds)::

    E ··> (one-way east) ··> F          row 31.2315
    ^                        |
    | one-way C→E            | two-way, 30 s
    |                        |
    A —20s— B —20s— C —25s— D           row 31.2300
                    ▲ incident scene (C = 31.2300, 121.4700, POINT_IN_A)

    A 121.466, B 121.468, C 121.470, D 121.4725, E 121.470, F 121.474 (lon)
    C→E 15 s, E→F 40 s, D–F 30 s; everything else two-way.

Units: P1 police car at B (20 s to C), P2 police car at A (40 s), P3 police motorbike on the
one-way street just east of E, 1/8 of the way to F (35 + 30 + 25 = 90 s, but the nearest to C as
the crow flies, 174 m), F1 fire engine at D (25 s).
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from lastmeter.accounts.auth import issue_token
from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching.models import Unit
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.geo import haversine_m
from lastmeter.roads.algorithms.graph import build_graph
from lastmeter.roads.algorithms.network import RoadNetwork

NODES = {
    "A": (31.2300, 121.4660),
    "B": (31.2300, 121.4680),
    "C": (31.2300, 121.4700),
    "D": (31.2300, 121.4725),
    "E": (31.2315, 121.4700),
    "F": (31.2315, 121.4740),
}
TWO_WAY = [
    ("A", "B", 20.0, "福州路"),
    ("B", "C", 20.0, "福州路"),
    ("C", "D", 25.0, "福州路"),
    ("D", "F", 30.0, "后街"),
]
ONE_WAY = [("C", "E", 15.0, "单行道"), ("E", "F", 40.0, "单行道")]
SCENE = NODES["C"]
P3_POS = (31.2315, 121.4705)  # on E→F, 1/8 of the way


def tiny_graph():
    names = sorted({n for *_, n in TWO_WAY + ONE_WAY})
    ids = {k: i for i, k in enumerate(NODES)}
    lat = [NODES[k][0] for k in NODES]
    lon = [NODES[k][1] for k in NODES]
    tail, head, secs, meters, name = [], [], [], [], []
    for a, b, s, n in TWO_WAY + [(b, a, s, n) for a, b, s, n in TWO_WAY] + ONE_WAY:
        tail.append(ids[a])
        head.append(ids[b])
        secs.append(s)
        meters.append(float(haversine_m(*NODES[a], *NODES[b])))
        name.append(names.index(n))
    return build_graph(
        np.array(lat),
        np.array(lon),
        np.array(tail),
        np.array(head),
        np.array(secs),
        np.array(meters),
        edge_name=np.array(name),
        names=names,
        reorder=False,
    )


@pytest.fixture(scope="session")
def tiny_network() -> RoadNetwork:
    return RoadNetwork(tiny_graph())


@pytest.fixture(autouse=True)
def road_network(request):
    """Every dispatching test (not the pure algorithm tests) runs on the tiny network, fresh fleet index."""
    if request.module.__name__.rsplit(".", 1)[-1].startswith("test_algorithms"):
        yield None
        return
    tiny_network = request.getfixturevalue("tiny_network")
    fleet_index.reset()
    with roads.use_network(tiny_network):
        yield tiny_network
    fleet_index.reset()


def make_unit(code, agency, unit_type, pos, person=None, **extra) -> Unit:
    return Unit.objects.create(
        code=code,
        name=code,
        agency=agency,
        unit_type=unit_type,
        person=person,
        lat=pos[0] if pos else None,
        lon=pos[1] if pos else None,
        position_at=timezone.now() if pos else None,
        **extra,
    )


@pytest.fixture
def fleet(world):
    """P1 (grid officer), P2 (other officer), P3 (grid member), F1 (no person)."""
    return SimpleNamespace(
        p1=make_unit("P1", "police", "patrol_car", NODES["B"], world.grid_officer),
        p2=make_unit("P2", "police", "patrol_car", NODES["A"], world.other_officer),
        p3=make_unit("P3", "police", "motorbike", P3_POS, world.grid_member),
        f1=make_unit("F1", "fire", "fire_engine", NODES["D"]),
    )


@pytest.fixture
def scene_incident(world):
    from lastmeter.dispatching.services import do_create_incident

    # A help request: its type prefers no agency, so units rank by ETA alone (the incident-type
    # preferences are tested with their own incidents in test_recommend_by_type.py).
    return do_create_incident(
        title="路口有人求助", lat=SCENE[0], lon=SCENE[1], address="福州路", actor=world.dispatcher
    )


@pytest.fixture
def api(world):
    def client_for(person):
        return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")

    return client_for


def send(client, method, url, data=None):
    return getattr(client, method)(url, data=json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def layer(settings):
    """The in-memory channel layer, whatever REDIS_URL says, and helpers to listen on groups."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layer = get_channel_layer()

    def listen(*groups: str) -> str:
        channel = async_to_sync(channel_layer.new_channel)()
        for g in groups:
            async_to_sync(channel_layer.group_add)(g, channel)
        return channel

    async def _drain(channel: str) -> list[dict]:
        out = []
        while True:
            try:
                out.append(await asyncio.wait_for(channel_layer.receive(channel), timeout=0.05))
            except TimeoutError:
                return out

    def received(channel: str) -> list[tuple[str, dict]]:
        """(event, payload) of every message that reached ``channel`` (drains it)."""
        return [(m["event"], m["payload"]) for m in async_to_sync(_drain)(channel)]

    return SimpleNamespace(layer=channel_layer, listen=listen, received=received)
