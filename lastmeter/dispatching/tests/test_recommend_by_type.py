"""Who goes first: a fire to the fire service, a traffic accident to the traffic police — with why.

On the tiny hand-made network of conftest (P1 police car 20 s from the scene, F1 fire engine 25 s,
P2 police car 40 s, P3 police motorbike 90 s) plus a traffic-police car T1 at A (40 s), and on the
real Shanghai extract.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from lastmeter.accounts.models import Department
from lastmeter.appeals.models import Category
from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching import services
from lastmeter.dispatching.choices import IncidentType
from lastmeter.dispatching.models import Unit
from lastmeter.dispatching.recommend import incident_type_for, incident_type_of, recommend_units
from lastmeter.dispatching.tests.conftest import NODES, SCENE, make_unit
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.network import RoadNetwork


def codes(rows, recommended=True):
    return [r["code"] for r in rows if r["recommended"] is recommended]


def incident(world, title, **extra):
    return services.do_create_incident(
        title=title, lat=SCENE[0], lon=SCENE[1], address="福州路", actor=world.dispatcher, **extra
    )


@pytest.fixture
def traffic_car(fleet):
    return make_unit("T1", "traffic_police", "patrol_car", NODES["A"])


def test_it_sends_the_fire_service_first_to_a_fire_and_says_why(world, fleet, traffic_car):
    fire = incident(world, "电动车起火冒烟")
    with translation.override("zh-hans"):
        rows = recommend_units(fire, k=3)
    assert codes(rows) == ["F1", "P1", "P2"]  # P1 is 5 s faster than F1, but a fire is the fire service's
    f1, p1 = rows[0], rows[1]
    assert f1["incident_type"] == "fire" and f1["preferred"] is True and p1["preferred"] is False
    assert f1["eta_s"] == pytest.approx(25.0, abs=0.01) and p1["eta_s"] == pytest.approx(20.0, abs=0.01)
    assert f1["priority_note"] == "火警：消防救援优先。"
    # Why the fire service goes first, then its road time, in one Chinese text.
    assert (
        f1["explanation"]
        == "火警：消防救援优先。车程 25 秒（0.2 公里，经福州路）；直线距离排第 1（238 米）。"
    )
    assert p1["explanation"].startswith("火警：协助消防救援。车程 20 秒")
    assert p1["priority_note"] == "火警：协助消防救援。"
    with translation.override("en"):
        rows = recommend_units(fire, k=3)
    assert rows[0]["priority_note"] == "Fire: Fire and rescue go first."
    assert rows[0]["explanation"].startswith("Fire: Fire and rescue go first. 25 s by road (0.2 km")


def test_it_sends_the_traffic_police_first_to_a_traffic_accident(world, fleet, traffic_car):
    crash = incident(world, "福州路两车追尾，有人受伤")
    with translation.override("zh-hans"):
        rows = recommend_units(crash, k=3)
    assert codes(rows) == ["T1", "P1", "F1"]  # T1 (40 s) before the faster P1 (20 s) and F1 (25 s)
    assert (
        rows[0]["incident_type"] == "traffic_accident" and rows[0]["priority_note"] == "交通事故：交警优先。"
    )
    assert rows[1]["priority_note"] == "交通事故：协助交警。"
    # Units passed over are still explained, once, and never also recommended.
    rows = recommend_units(crash, k=2)
    assert codes(rows) == ["T1", "P1"]
    over = codes(rows, recommended=False)
    assert len(over) == len(set(over)) and not set(over) & {"T1", "P1"}


def test_it_sends_the_fastest_others_when_the_preferred_service_has_no_unit(world, fleet):
    services.do_set_unit_status(fleet.f1, "off_duty", world.dispatcher)
    fire = incident(world, "居民楼厨房着火")
    with translation.override("zh-hans"):
        rows = recommend_units(fire, k=2)
    assert codes(rows) == ["P1", "P2"]
    assert all(r["preferred"] is False for r in rows if r["recommended"])
    assert rows[0]["priority_note"] == "火警：暂无可用的消防救援单位，推荐最快到达的其他单位。"


def test_it_reads_the_type_from_the_appeal_behind_the_incident(world, fleet, traffic_car, new_appeal):
    fire_service = Department.objects.create(code="fire", name="消防救援支队")
    hazard = Category.objects.create(code="fire_hazard", name="消防隐患", department=fire_service)
    appeal = new_appeal(text="楼道里堆满纸箱，安全出口被锁", category=hazard)
    from_hazard = services.do_create_incident(appeal=appeal, actor=world.dispatcher)
    assert incident_type_for(from_hazard) == "fire"  # no fire word: the fire department's category
    assert codes(recommend_units(from_hazard, k=1)) == ["F1"]
    parking = new_appeal(text="小区出口被车堵住了", category=world.police_category)  # 违章停车
    from_parking = services.do_create_incident(appeal=parking, actor=world.dispatcher)
    assert incident_type_for(from_parking) == "traffic"
    assert codes(recommend_units(from_parking, k=2)) == ["T1", "P1"]


def test_it_keeps_plain_eta_order_without_a_preference_or_when_the_caller_chooses(world, fleet, traffic_car):
    help_call = incident(world, "路口有位老人需要帮助")
    rows = recommend_units(help_call, k=3)
    assert codes(rows)[:2] == ["P1", "F1"] and codes(rows)[2] in {"P2", "T1"}  # P2 and T1 tie at 40 s
    assert all(r["preferred"] is None and r["priority_note"] == "" for r in rows if r["recommended"])
    assert not rows[0]["explanation"].startswith("Other")
    fire = incident(world, "垃圾房起火")
    # The caller's agency filter wins: police only, no preference among them.
    assert codes(recommend_units(fire, k=2, agency="police")) == ["P1", "P2"]
    # The caller may name the type.
    rows = recommend_units(help_call, k=2, incident_type=IncidentType.TRAFFIC_ACCIDENT)
    assert codes(rows) == ["T1", "P1"] and rows[0]["incident_type"] == "traffic_accident"


def test_it_tells_incident_types_apart_by_their_words():
    assert incident_type_of(["电动车停放处起火冒烟"]) == "fire"
    assert incident_type_of(["火锅店门口有人打架"]) == "public_order"  # 火 alone is no fire
    assert incident_type_of(["停车场里有人斗殴"]) == "public_order"
    assert incident_type_of(["A man with a firearm near the metro"]) == "public_order"  # not "fire"
    assert incident_type_of(["Car crash at the junction"]) == "traffic_accident"
    assert incident_type_of(["电瓶车被汽车撞倒"]) == "traffic_accident"
    assert incident_type_of(["路口严重拥堵"]) == "traffic"
    assert incident_type_of(["地铁口流动摊贩占道"]) == "city"
    assert incident_type_of(["", "走失老人，穿灰色外套"]) == "other"
    assert incident_type_of(["楼道堆物"], department="fire") == "fire"


@pytest.fixture(scope="module")
def shanghai():
    source = roads.source_path()
    if not source.exists():
        pytest.skip(f"{source} is not in this checkout")
    return RoadNetwork(roads.read_graph(source, roads.cache_path_for(source)), source=source)


def test_it_prefers_the_fire_engine_on_the_real_roads(world, shanghai):
    fleet_index.reset()
    with roads.use_network(shanghai):
        scene = (31.2349, 121.4806)  # 福州路山东中路口
        g = shanghai.graph
        d2 = (g.lat - scene[0]) ** 2 + (g.lon - scene[1]) ** 2
        order = d2.argsort()
        near = (float(g.lat[order[5]]), float(g.lon[order[5]]))
        far = (float(g.lat[order[400]]), float(g.lon[order[400]]))
        make_unit("PC", "police", "patrol_car", near)
        make_unit("TC", "traffic_police", "patrol_car", far)
        make_unit("FE", "fire", "fire_engine", far)
        fire = services.do_create_incident(
            title="电动车停放处起火冒烟", lat=scene[0], lon=scene[1], actor=world.dispatcher
        )
        with translation.override("zh-hans"):
            rows = recommend_units(fire, k=3, passed_over=False)
        assert codes(rows) == ["FE", "PC", "TC"]
        assert rows[0]["eta_s"] > rows[1]["eta_s"] and rows[0]["streets"]
        assert rows[0]["explanation"].startswith("火警：消防救援优先。")
        crash = services.do_create_incident(
            title="两车相撞", lat=scene[0], lon=scene[1], actor=world.dispatcher
        )
        assert codes(recommend_units(crash, k=2, passed_over=False)) == ["TC", "PC"]
        assert Unit.objects.count() == 3
    fleet_index.reset()
