"""The one-statement position report (``position_sql``, PostgreSQL) does what the ORM path
(``do_report_position``) does: the same unit row, the same history, the same answer and live event;
it steps aside (None, nothing written) for another's unit and for an officer with an SOS open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from lastmeter.dispatching import services
from lastmeter.dispatching.models import PositionReport, SosAlarm, Unit
from lastmeter.dispatching.tests.conftest import NODES

on_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="one statement on PostgreSQL")

COMPARED = ("lat", "lon", "accuracy_m", "heading", "position_at", "node", "reports_count")


def _state(unit: Unit) -> dict:
    unit.refresh_from_db()
    history = list(
        PositionReport.objects.filter(unit=unit)
        .order_by("at", "pk")
        .values_list("lat", "lon", "accuracy_m", "heading", "at")
    )
    return {**{f: getattr(unit, f) for f in COMPARED}, "history": history}


def _strip(answer: dict) -> dict:
    row = dict(answer["unit"])
    for key in ("id", "code", "name", "status_changed_at", "person"):
        row.pop(key)
    return {**answer, "unit": row}


@on_postgres
def test_it_leaves_the_unit_and_its_history_as_the_orm_path_does(
    world, fleet, django_capture_on_commit_callbacks
):
    # Two officers' units, put at the same place, get the same reports: one through each path.
    twin = fleet.p2
    start = {"lat": NODES["B"][0], "lon": NODES["B"][1], "accuracy_m": None, "heading": None}
    Unit.objects.filter(pk__in=[twin.pk, fleet.p1.pk]).update(
        **start, position_at=None, node=1, reports_count=0
    )
    now = timezone.now()
    reports = [
        (NODES["C"], 8.0, 90.0, now - timedelta(seconds=20)),
        (NODES["D"], None, None, now - timedelta(seconds=10)),
        (NODES["A"], 5.0, 180.0, now - timedelta(seconds=40)),  # late: kept, does not move the unit
        ((31.2301, 121.4699), 3.0, 0.0, now),
    ]
    for (lat, lon), accuracy, heading, at in reports:
        with django_capture_on_commit_callbacks(execute=True) as fast_events:
            fast = services.report_own_unit_position(
                world.other_officer, twin.pk, lat, lon, accuracy, heading=heading, at=at
            )
        with django_capture_on_commit_callbacks(execute=True) as orm_events:
            orm = services.do_report_position(
                fleet.p1, lat, lon, accuracy, heading=heading, at=at, actor=world.grid_officer
            )
        assert fast is not None
        assert _strip(fast) == _strip(orm)
        assert len(fast_events) == len(orm_events)  # the live event and the fleet index, when it moved
        assert _state(twin) == _state(fleet.p1)
    assert _state(twin)["node"] == 2  # snapped to C's road node, as the ORM path snaps


@on_postgres
def test_it_writes_nothing_for_another_officers_unit(world, fleet):
    before = _state(fleet.p1)
    assert services.report_own_unit_position(world.other_officer, fleet.p1.pk, *NODES["C"]) is None
    assert _state(fleet.p1) == before


@on_postgres
def test_it_steps_aside_while_the_officer_has_an_sos_open(world, fleet):
    services.do_raise_sos(world.grid_officer, *NODES["B"], actor=world.grid_officer)
    before = _state(fleet.p1)
    assert services.report_own_unit_position(world.grid_officer, fleet.p1.pk, *NODES["C"]) is None
    assert _state(fleet.p1) == before
    # … and the general path moves both the unit and the alarm.
    result = services.do_report_position(fleet.p1, *NODES["C"], actor=world.grid_officer)
    alarm = SosAlarm.objects.get(person=world.grid_officer)
    assert result["sos"] == alarm.pk and (alarm.last_lat, alarm.last_lon) == NODES["C"]


@on_postgres
def test_it_refuses_bad_input_before_writing(world, fleet):
    before = _state(fleet.p1)
    with pytest.raises(services.ServiceError):
        services.report_own_unit_position(world.grid_officer, fleet.p1.pk, 91.0, 121.47)
    with pytest.raises(services.ServiceError):
        services.report_own_unit_position(
            world.grid_officer, fleet.p1.pk, *NODES["C"], at=timezone.now() + timedelta(minutes=5)
        )
    assert _state(fleet.p1) == before


def test_elsewhere_than_postgresql_it_leaves_every_report_to_the_orm_path(world, fleet):
    if connection.vendor == "postgresql":
        pytest.skip("this is about the other databases")
    assert services.report_own_unit_position(world.grid_officer, fleet.p1.pk, *NODES["C"]) is None
    assert PositionReport.objects.filter(unit=fleet.p1).count() == 0
