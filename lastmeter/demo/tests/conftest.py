"""Fixtures of the demo tests: the simulator's tests drive units on dispatching's tiny road network
(lastmeter/dispatching/tests/conftest.py); the live-demo tests run on the real roads."""

from __future__ import annotations

import pytest

from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching.tests.conftest import fleet, scene_incident, tiny_network  # noqa: F401 (fixtures)
from lastmeter.roads import services as roads


@pytest.fixture
def road_network(request):
    """Dispatching's tiny network as the process's road network, with a fresh fleet index — as every
    dispatching test has it (there the fixture is autouse; here only the simulator's tests ask)."""
    network = request.getfixturevalue("tiny_network")
    fleet_index.reset()
    with roads.use_network(network):
        yield network
    fleet_index.reset()
