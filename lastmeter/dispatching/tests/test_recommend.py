"""Recommendation on the tiny hand-made network (see conftest): ETAs, routes, filters, explanations."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from lastmeter.dispatching import services
from lastmeter.dispatching.models import Unit
from lastmeter.dispatching.recommend import RecommendError, recommend_units
from lastmeter.dispatching.tests.conftest import NODES, make_unit


def codes(rows, recommended=True):
    return [r["code"] for r in rows if r["recommended"] is recommended]


def test_it_ranks_units_by_road_time_not_by_distance(fleet, scene_incident):
    rows = recommend_units(scene_incident, k=3)
    assert codes(rows) == ["P1", "F1", "P2"]
    assert [r["eta_s"] for r in rows[:3]] == pytest.approx([20.0, 25.0, 40.0], abs=0.01)
    p1 = rows[0]
    assert p1["id"] == p1["unit_id"] == fleet.p1.pk and p1["agency"] == "police"
    assert p1["route"] == [list(NODES["B"]), list(NODES["C"])]
    assert p1["distance_m"] == pytest.approx(190.3, abs=0.5)
    assert p1["streets"] == ["福州路"]
    assert p1["reason"] is None and p1["faster"] == [] and p1["detour_ratio"] is None
    with translation.override("zh-hans"):
        [zh] = [r for r in recommend_units(scene_incident, k=3) if r["code"] == "P1"]
    assert zh["explanation"] == "车程 20 秒（0.2 公里，经福州路）；直线距离排第 2（190 米）。"
    with translation.override("en"):
        [en] = [r for r in recommend_units(scene_incident, k=3) if r["code"] == "P1"]
    assert (
        en["explanation"] == "20 s by road (0.2 km via 福州路); number 2 by straight-line distance (190 m)."
    )


def test_it_explains_why_the_nearest_unit_as_the_crow_flies_is_passed_over(fleet, scene_incident):
    rows = recommend_units(scene_incident, k=3)
    [p3] = [r for r in rows if not r["recommended"]]
    assert p3["code"] == "P3" and p3["crow_rank"] == 1
    assert p3["reason"] == "one_way"
    assert p3["eta_s"] == pytest.approx(90.0, abs=0.01)
    assert p3["distance_m"] == pytest.approx(789.9, abs=0.5) and p3["crow_m"] == pytest.approx(173.4, abs=0.5)
    assert p3["detour_ratio"] == pytest.approx(789.9 / 173.4, abs=0.01)
    assert p3["average_kmh"] == pytest.approx(789.9 / 90 * 3.6, abs=0.1)
    assert p3["faster"] == [{"id": fleet.p2.pk, "code": "P2", "eta_s": 40.0}]
    assert p3["compared_with"] is None and p3["search_limit_s"] is None
    with translation.override("zh-hans"):
        [zh] = [r for r in recommend_units(scene_incident, k=3) if not r["recommended"]]
    assert zh["explanation"] == (
        "单位 P3 直线距离 173 米，但车程 1 分 30 秒：它在单行道上，行驶方向背离现场（路线 0.8 公里）。"
        "车程更短的单位：P2（40 秒）。"
    )
    with translation.override("en"):
        [en] = [r for r in recommend_units(scene_incident, k=3) if not r["recommended"]]
    assert en["explanation"] == (
        "Unit P3 is 173 m away as the crow flies but 1 min 30 s by road: it is on a one-way street heading "
        "away from the scene (0.8 km route). Faster by road: P2 (40 s)."
    )


def test_it_filters_by_agency_and_unit_type(fleet, scene_incident):
    assert codes(recommend_units(scene_incident, k=5, agency="fire")) == ["F1"]
    rows = recommend_units(scene_incident, k=5, agency=["police"], unit_type="motorbike")
    assert codes(rows) == ["P3"] and rows[0]["eta_s"] == pytest.approx(90.0, abs=0.01)
    assert codes(recommend_units(scene_incident, k=2, agency="police", unit_type="patrol_car")) == [
        "P1",
        "P2",
    ]


def test_it_leaves_out_busy_and_off_duty_units_but_keeps_returning_ones(fleet, scene_incident, world):
    services.do_set_unit_status(fleet.f1, "off_duty", world.dispatcher)
    other = services.do_create_incident(
        title="x", lat=NODES["A"][0], lon=NODES["A"][1], actor=world.dispatcher
    )
    services.do_dispatch(other, [fleet.p1.pk], world.dispatcher)
    assert codes(recommend_units(scene_incident, k=5)) == ["P2", "P3"]
    services.do_mark_arrived(fleet.p1, world.grid_officer)
    services.do_clear(fleet.p1, world.grid_officer)  # now returning
    assert Unit.objects.get(pk=fleet.p1.pk).status == "returning"
    assert codes(recommend_units(scene_incident, k=5))[0] == "P1"


def test_it_sees_positions_changed_elsewhere_and_flags_stale_ones(fleet, scene_incident, settings):
    assert codes(recommend_units(scene_incident, k=1)) == ["P1"]
    # Another process moved P2 next to the scene: only the database knows.
    Unit.objects.filter(pk=fleet.p2.pk).update(
        lat=NODES["C"][0], lon=NODES["C"][1] - 0.0002, updated_at=timezone.now()
    )
    rows = recommend_units(scene_incident, k=1)
    assert codes(rows) == ["P2"] and rows[0]["eta_s"] == pytest.approx(2.0, abs=0.01)
    assert rows[0]["stale"] is False
    settings.LASTMETER_STALE_POSITION_S = 0
    Unit.objects.filter(pk=fleet.p2.pk).update(position_at=timezone.now() - timezone.timedelta(minutes=5))
    rows = recommend_units(scene_incident, k=1)
    assert rows[0]["stale"] is True
    with translation.override("zh-hans"):
        assert recommend_units(scene_incident, k=1)[0]["explanation"].endswith(
            "；注意：该定位已过去 5 分钟。"
        )


def test_it_forgets_units_without_position_or_off_the_map(fleet, scene_incident):
    make_unit("X1", "police", "foot", None)
    Unit.objects.filter(pk=fleet.p1.pk).update(lat=30.0, lon=120.0, updated_at=timezone.now())  # 200 km away
    assert "P1" not in codes(recommend_units(scene_incident, k=5))
    assert "X1" not in codes(recommend_units(scene_incident, k=5))


def test_it_refuses_an_incident_far_from_any_road(fleet, world):
    far = services.do_create_incident(title="far", lat=31.30, lon=121.50, actor=world.dispatcher)
    with translation.override("zh-hans"), pytest.raises(RecommendError) as refused:
        recommend_units(far)
    assert (
        str(refused.value)
        == "事件地点距地图上任何道路都超过 500 米：请把定位点移到街道上，然后重新获取推荐。"
    )


def test_it_answers_with_no_units_when_none_is_available(world, scene_incident):
    assert recommend_units(scene_incident) == []


def test_it_ranks_foot_patrols_by_walking_time(world, fleet, scene_incident):
    make_unit("W1", "police", "foot", (31.2305, NODES["C"][1]))  # 55.6 m north of the scene
    rows = recommend_units(scene_incident, k=4)
    assert codes(rows) == ["P1", "F1", "P2", "W1"]
    walker = rows[3]
    assert walker["eta_s"] == pytest.approx(55.6 * 1.3 / 1.4, abs=0.5)
    assert walker["explanation"] == "步行 52 秒（约 0.1 公里；直线 56 米）。"
    assert codes(recommend_units(scene_incident, k=5, unit_type="foot")) == ["W1"]
    assert "W1" not in codes(recommend_units(scene_incident, k=5, unit_type="patrol_car"))
    [a] = services.do_dispatch(scene_incident, [walker["id"]], world.dispatcher)
    assert a.eta_s == walker["eta_s"] and len(a.route["coordinates"]) == 2
