"""The simulator drives dispatched units to the scene along their routes (recording the response
time), patrols and brings returning units home; the demo puts units on the real Shanghai roads."""

from __future__ import annotations

import pytest

from lastmeter.demo.dispatch import load_dispatch_demo
from lastmeter.demo.loader import load_demo
from lastmeter.demo.simulator import Leg, Simulator, main_component_nodes
from lastmeter.dispatching import services
from lastmeter.dispatching.models import Assignment, Incident, Unit
from lastmeter.dispatching.tests.conftest import NODES
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.network import RoadNetwork


def test_it_interpolates_along_a_leg(road_network):
    leg = Leg.of([NODES["A"], NODES["B"], NODES["C"]], 10.0, "patrol")
    assert leg.cum[-1] == pytest.approx(380.6, abs=1)
    lat, lon, heading = leg.advance(float(leg.cum[1]) / 10.0)  # exactly at B
    assert (lat, lon) == pytest.approx(NODES["B"], abs=1e-6) and heading == pytest.approx(90.0, abs=0.5)
    leg.advance(100)
    assert leg.finished and leg.advance(1)[:2] == NODES["C"]


def test_it_drives_a_dispatched_unit_to_the_scene(world, fleet, scene_incident, road_network):
    services.do_dispatch(scene_incident, [fleet.p1.pk], world.dispatcher)
    sim = Simulator(network=road_network, seed=1)
    counts = sim.step(5.0)
    assert counts["en_route"] == 1
    p1 = Unit.objects.get(pk=fleet.p1.pk)
    assert p1.status == "en_route" and NODES["B"][1] < p1.lon < NODES["C"][1]  # on its way east
    for _ in range(5):
        sim.step(5.0)
    p1.refresh_from_db()
    assert p1.status == "on_scene" and (p1.lat, p1.lon) == pytest.approx(NODES["C"], abs=1e-6)
    a = Assignment.objects.get(unit=p1)
    assert a.arrived_at is not None and a.response_s is not None
    assert Incident.objects.get(pk=scene_incident.pk).status == "on_scene"


def test_it_patrols_and_brings_returning_units_home(world, fleet, scene_incident, road_network):
    sim = Simulator(network=road_network, seed=3)
    start = {u.pk: (u.lat, u.lon) for u in Unit.objects.all()}
    sim.step(1.0)
    moved = [u for u in Unit.objects.all() if (u.lat, u.lon) != start[u.pk]]
    assert moved, "available units patrol"
    services.do_dispatch(scene_incident, [fleet.f1.pk], world.dispatcher)
    for _ in range(30):
        sim.step(5.0)
    f1 = Unit.objects.get(pk=fleet.f1.pk)
    assert f1.status == "on_scene"
    services.do_clear(f1, world.dispatcher)
    for _ in range(30):
        sim.step(5.0)
        f1.refresh_from_db()
        if f1.status == "available":
            break
    assert f1.status == "available"


@pytest.fixture(scope="session")
def shanghai():
    source = roads.source_path()
    if not source.exists():
        pytest.skip(f"{source} is not in this checkout")
    return RoadNetwork(roads.read_graph(source, roads.cache_path_for(source)), source=source)


def test_it_loads_the_demo_on_the_real_roads(db, shanghai, road_network):
    with roads.use_network(shanghai):
        assert load_demo() is True
        units = list(Unit.objects.all())
        assert len(units) == 19
        assert {u.agency for u in units} == {"police", "traffic_police", "urban_management", "fire"}
        assert Unit.objects.filter(person__user__username="officer1").exists()
        g = shanghai.graph
        main = set(main_component_nodes(g).tolist())
        on_node = {(float(g.lat[i]), float(g.lon[i])) for i in main}
        assert all((u.lat, u.lon) in on_node for u in units)
        assert set(Incident.objects.values_list("status", flat=True)) == {"open", "dispatched"}
        dispatched = Incident.objects.get(status="dispatched")
        assert dispatched.appeal is not None and dispatched.command_group.members.count() >= 2
        assert all(a.eta_s is not None for a in dispatched.assignments.all())
        sim = Simulator(network=shanghai, seed=5)
        assert sim.step(2.0)["moved"] >= 15
        assert load_dispatch_demo() is False  # idempotent
