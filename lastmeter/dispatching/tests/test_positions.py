"""Position reports: the unit moves (row, road node, fleet index), history stays bounded, old
reports never move a unit back, only the unit's own officer may report."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching import services
from lastmeter.dispatching.models import PositionReport, Unit
from lastmeter.dispatching.recommend import recommend_units
from lastmeter.dispatching.tests.conftest import NODES


def test_it_moves_the_unit_and_snaps_it_to_the_nearest_road_node(world, fleet, django_assert_max_num_queries):
    scope = world.scope(world.grid_officer)  # the API has the caller's scope already
    # lock + insert + update + open-SOS lookup, and the savepoint pair
    with django_assert_max_num_queries(6):
        result = services.do_report_position(fleet.p1, 31.23002, 121.46998, 8.0, heading=90, actor=scope)
    assert result["moved"] is True and result["sos"] is None
    unit = Unit.objects.get(pk=fleet.p1.pk)
    assert (unit.lat, unit.lon, unit.accuracy_m, unit.heading) == (31.23002, 121.46998, 8.0, 90)
    assert unit.node == 2  # C
    assert PositionReport.objects.filter(unit=unit).count() == 1


def test_it_updates_the_fleet_index_right_after_commit(
    world, fleet, scene_incident, django_capture_on_commit_callbacks
):
    index = fleet_index.get_index()
    assert index.fleet.snap_of(fleet.p2.pk).u == 0  # at A
    with django_capture_on_commit_callbacks(execute=True):
        services.do_report_position(fleet.p2, 31.2300, 121.4698, actor=world.other_officer)
    snap = fleet_index.get_index(sync=False).fleet.snap_of(fleet.p2.pk)
    assert {snap.u, snap.v} == {1, 2}  # on B–C now
    rows = recommend_units(scene_incident, k=1)
    assert rows[0]["code"] == "P2" and rows[0]["eta_s"] == pytest.approx(2.0, abs=0.1)


def test_it_keeps_late_reports_in_the_history_without_moving_the_unit(world, fleet):
    now = timezone.now()
    services.do_report_position(fleet.p1, *NODES["C"], at=now, actor=world.grid_officer)
    late = services.do_report_position(
        fleet.p1, *NODES["A"], at=now - timedelta(seconds=30), actor=world.grid_officer
    )
    assert late["moved"] is False
    unit = Unit.objects.get(pk=fleet.p1.pk)
    assert (unit.lat, unit.lon) == NODES["C"]
    assert PositionReport.objects.filter(unit=unit).count() == 2


def test_it_bounds_the_history_per_unit(world, fleet, monkeypatch):
    monkeypatch.setattr(services, "HISTORY_PER_UNIT", 5)
    monkeypatch.setattr(services, "TRIM_EVERY", 4)
    start = timezone.now() - timedelta(minutes=5)
    for i in range(12):
        services.do_report_position(
            fleet.p1, 31.23, 121.466 + i * 0.0001, at=start + timedelta(seconds=i), actor=None
        )
    kept = PositionReport.objects.filter(unit=fleet.p1).count()
    assert 5 <= kept < 5 + 4  # trimmed to 5 at the 12th report; at most TRIM_EVERY-1 more in between
    newest = PositionReport.objects.filter(unit=fleet.p1).order_by("-at").first()
    assert newest.lon == pytest.approx(121.466 + 11 * 0.0001)


def test_it_lets_only_the_units_own_officer_report(world, fleet):
    with pytest.raises(services.NotAllowed):
        services.do_report_position(fleet.p1, *NODES["C"], actor=world.other_officer)
    with pytest.raises(services.NotAllowed):
        services.do_report_position(fleet.p1, *NODES["C"], actor=world.dispatcher)
    # the officer's phone: the person is enough to find their unit
    services.do_report_position(world.grid_officer, *NODES["C"], actor=world.grid_officer)
    assert Unit.objects.get(pk=fleet.p1.pk).lon == NODES["C"][1]


def test_it_rejects_bad_positions_with_clear_errors(world, fleet):
    for lat, lon, acc, says in [
        (95.0, 121.0, None, "纬度 95.0 超出"),
        (31.0, float("nan"), None, "坐标"),
        (31.0, 121.0, -1.0, "定位精度（accuracy_m）须为不小于 0 的米数。"),
    ]:
        with pytest.raises(services.ServiceError, match=re.escape(says)):
            services.do_report_position(fleet.p1, lat, lon, acc, actor=world.grid_officer)
    with pytest.raises(services.ServiceError, match="定位时间晚于当前时间：请检查手机时钟。"):
        services.do_report_position(
            fleet.p1, 31.23, 121.47, at=timezone.now() + timedelta(hours=1), actor=world.grid_officer
        )
    with pytest.raises(services.ServiceError, match="您名下没有分配单位，也没有进行中的求助"):
        services.do_report_position(world.leader, 31.23, 121.47, actor=world.leader)


def test_it_records_a_position_off_the_map_without_a_road_node(world, fleet):
    services.do_report_position(fleet.p1, 31.40, 121.60, actor=world.grid_officer)
    unit = Unit.objects.get(pk=fleet.p1.pk)
    assert unit.lat == 31.40 and unit.node is None
