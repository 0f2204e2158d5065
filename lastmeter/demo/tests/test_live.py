"""The live demo's scenario: appeals arrive, incidents are dispatched, SOS alarms come and go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lastmeter.accounts.models import OrgUnit
from lastmeter.appeals.models import Appeal
from lastmeter.demo import live
from lastmeter.demo.live import DemoScenario, demo_simulation_enabled
from lastmeter.demo.organisation import JURISDICTION_CODE
from lastmeter.dispatching.models import Assignment, CommandGroup, Incident, SosAlarm, Unit

NEAR_SCENES = (31.23585, 121.47640)  # 福州路福建中路口, a few hundred metres from the demo incidents


@pytest.fixture
def crewed_unit(world):
    return Unit.objects.create(
        code="P-DEMO",
        name="巡逻车",
        agency="police",
        unit_type="patrol_car",
        person=world.grid_officer,
        lat=NEAR_SCENES[0],
        lon=NEAR_SCENES[1],
        position_at=timezone.now(),
    )


def test_it_runs_the_demo_only_where_it_belongs(world, settings):
    settings.LASTMETER_DEMO_SIMULATION = None  # LASTMETER_DEMO_SIMULATION unset
    settings.DATABASE_URL = ""
    assert not demo_simulation_enabled()  # embedded, but no demo jurisdiction loaded
    OrgUnit.objects.create(kind="jurisdiction", name="演示", code=JURISDICTION_CODE)
    assert demo_simulation_enabled()
    settings.DATABASE_URL = "postgres://db/lastmeter"
    assert not demo_simulation_enabled()  # a deployment never simulates by default
    settings.LASTMETER_DEMO_SIMULATION = True
    assert demo_simulation_enabled()
    settings.LASTMETER_DEMO_SIMULATION = False
    assert not demo_simulation_enabled()


def test_it_files_appeals_and_raises_and_expires_sos(world, crewed_unit):
    scenario = DemoScenario(seed=1)
    before = Appeal.objects.count()
    scenario.file_appeal()
    assert Appeal.objects.count() == before + 1

    scenario.press_sos()
    alarm = SosAlarm.objects.get()
    assert alarm.person == world.grid_officer and alarm.status == "raised"
    scenario.press_sos()  # one alarm at a time
    assert SosAlarm.objects.count() == 1

    scenario.expire_sos()
    assert SosAlarm.objects.get().status == "raised"  # still fresh
    SosAlarm.objects.update(raised_at=timezone.now() - timedelta(seconds=live.SOS_LASTS_S + 1))
    scenario.expire_sos()
    assert SosAlarm.objects.get().status == "resolved"


def test_it_dispatches_the_fastest_unit_to_a_demo_incident(world, crewed_unit):
    scenario = DemoScenario(seed=2)
    scenario.raise_incident()
    incident = Incident.objects.get()
    assert Assignment.objects.get(incident=incident).unit == crewed_unit
    assert CommandGroup.objects.filter(incident=incident).exists()


def test_it_keeps_moving_units_each_tick(world, crewed_unit, monkeypatch):
    steps: list[float] = []
    scenario = DemoScenario(seed=3)
    scenario.step = steps.append
    scenario.next_appeal = scenario.next_incident = scenario.next_sos = float("inf")
    scenario.tick(2.0)
    assert steps == [2.0]
