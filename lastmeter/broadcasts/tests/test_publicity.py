"""Publicity drafts from the system's own figures: rush-hour reminders per road (firing on
working days, not on a holiday), the accident-season draft, the anti-fraud draft (no names)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lastmeter.appeals.models import Category
from lastmeter.broadcasts import figures, publicity, services
from lastmeter.dispatching.models import Incident
from lastmeter.lib.errors import ServiceError
from lastmeter.planning.models import AccidentRecord
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FAR_IN_B = (31.230, 121.484)  # 850 m from grid A: beyond a road reminder's reach


def accident(n: int, street: str, when: datetime, point=POINT_IN_A, **kw) -> None:
    AccidentRecord.objects.create(
        source="test",
        external_id=f"{street}-{n}-{when:%Y%m%d%H}",
        lat=point[0],
        lon=point[1],
        occurred_at=when,
        street=street,
        **kw,
    )


@pytest.fixture
def fuzhou_road_accidents(world):
    # working days in April 2026: 5 at 17:xx, 3 at 08:xx on 福州路 (grid A); 4 on 云南中路 (grid B)
    for i, day in enumerate((7, 8, 9, 10, 13)):
        accident(i, "福州路", datetime(2026, 4, day, 17, 20, tzinfo=SH))
    for i, day in enumerate((14, 15, 16)):
        accident(10 + i, "福州路", datetime(2026, 4, day, 8, 5, tzinfo=SH))
    for i in range(6):  # Qingming (4–6 April) is a holiday: those accidents do not count
        accident(20 + i, "福州路", datetime(2026, 4, 5, 7 + i, 0, tzinfo=SH))
    for i, day in enumerate((7, 8, 9, 10)):
        accident(30 + i, "云南中路", datetime(2026, 4, day, 17, 40, tzinfo=SH), point=FAR_IN_B)


def test_a_rush_hour_reminder_per_road_fires_on_working_days_with_its_figures(
    world, groups, fuzhou_road_accidents
):
    scope = world.scope(world.grid_officer)
    with time_machine.travel(datetime(2026, 4, 30, 6, 0, tzinfo=SH), tick=False) as clock:
        drafts = publicity.rush_hour_drafts(scope)
        assert [d.title for d in drafts] == [
            "高峰出行提醒：福州路"
        ]  # 云南中路 is grid B's: not this officer's
        b = drafts[0]
        assert b.state == "draft" and b.repeat == "working_days" and b.times == ["07:15", "16:15"]
        assert [s["value"] for s in b.sources] == [
            "8 条",
            "3 条",
            "5 条",
            "周二（2）、周三（2）",
        ]  # Tue, Wed, Thu 2 each: the first two
        assert all(s["url"] == "/stats/hotspots/?kind=accidents" for s in b.sources)
        assert "事故记录" in b.sources[0]["label"] and "08:00–08:59" in b.sources[1]["label"]
        with pytest.raises(ServiceError, match=r"\{detour\}"):
            services.do_submit(scope, b.pk)  # nobody named the detour yet
        services.do_edit(scope, b.pk, template=b.template, variables={**b.variables, "detour": "广东路"})
        services.do_submit(scope, b.pk)
        while datetime.now(SH) < datetime(2026, 5, 6, 12, 0, tzinfo=SH):
            services.fire_due()
            clock.shift(timedelta(minutes=30))
    runs = list(b.runs.order_by("fired_at"))
    assert [r.slot for r in runs] == ["2026-04-30T07:15", "2026-04-30T16:15", "2026-05-06T07:15"]
    assert "福州路" in runs[0].text and "广东路" in runs[0].text and "拥堵和事故8起" in runs[0].text


def test_congestion_appeals_and_traffic_incidents_make_a_place_congestion_prone(world, groups, new_appeal):
    """The system's own congestion records count with the accidents: appeals in a congestion
    category and incidents of accident/traffic type, by intersection, hour and weekday; each
    record once, holidays and other kinds left out; the draft names each figure with its link."""
    congestion = Category.objects.create(code="pol.traffic.congestion", name="交通拥堵")
    corner = "广东路与河南中路路口"
    appeals = []
    for day, minute in ((7, 10), (14, 20), (8, 30), (21, 40)):  # Tue, Tue, Wed, Tue at 08:xx
        with time_machine.travel(datetime(2026, 4, day, 8, minute, tzinfo=SH), tick=False):
            appeals.append(new_appeal(text="路口堵死了", category=congestion, address=corner))
    with time_machine.travel(datetime(2026, 4, 5, 8, 0, tzinfo=SH), tick=False):  # Qingming
        new_appeal(text="节日也堵", category=congestion, address=corner)
    with time_machine.travel(datetime(2026, 4, 7, 8, 0, tzinfo=SH), tick=False):
        new_appeal(text="有车违停", address=corner)  # not a congestion category
    lat, lon = POINT_IN_A

    def incident(day: int, hour: int, kind: str, **kw) -> Incident:
        return Incident.objects.create(
            title="拥堵",
            incident_type=kind,
            lat=lat,
            lon=lon,
            address="河南中路广东路口",
            alarm_at=datetime(2026, 4, day, hour, 15, tzinfo=SH),
            **kw,
        )

    incident(9, 8, "traffic")  # Thu
    incident(28, 8, "traffic_accident")  # Tue
    incident(22, 8, "fire")  # not about traffic
    incident(15, 8, "traffic", appeal=appeals[0])  # the same jam as a counted appeal: once only
    record = incident(16, 8, "traffic_accident")
    accident(99, "天津路", datetime(2026, 4, 16, 8, 15, tzinfo=SH))  # counted on its own street
    AccidentRecord.objects.filter(street="天津路").update(incident=record)

    places = {
        p.place: p
        for p in figures.congestion_by_place(
            datetime(2026, 2, 1, tzinfo=SH), datetime(2026, 4, 30, tzinfo=SH)
        )
    }
    jam = places["广东路 / 河南中路"]
    assert jam.total == 6 and dict(jam.by_source) == {"appeals": 4, "incidents": 2}
    assert jam.peak_hour(range(6, 10)) == (8, 6) and jam.busiest_weekdays() == [("周二", 4), ("周三", 1)]
    assert places["天津路"].total == 1 and dict(places["天津路"].by_source) == {"accidents": 1}

    scope = world.scope(world.grid_officer)
    with time_machine.travel(datetime(2026, 4, 30, 6, 0, tzinfo=SH), tick=False):
        drafts = publicity.rush_hour_drafts(scope)
    b = next(d for d in drafts if d.variables["road"] == "广东路 / 河南中路")
    assert b.times == ["07:15"] and b.variables["weekdays"] == "周二、周三" and b.variables["count"] == "6"
    by_label = {s["label"]: (s["value"], s["url"]) for s in b.sources}
    assert by_label["广东路 / 河南中路：近 12 周工作日高峰时段的拥堵诉求"] == (
        "4 条",
        "/stats/hotspots/?kind=appeals&category=pol.traffic.congestion",
    )
    assert by_label["广东路 / 河南中路：近 12 周工作日高峰时段的交通警情"] == (
        "2 条",
        "/stats/hotspots/?kind=incidents",
    )
    assert by_label["广东路 / 河南中路：工作日 08:00–08:59 的记录"][0] == "6 条"
    text = services.preview_text(b.template, {**b.variables, "detour": "北京东路"})
    assert "易拥堵" in text and "周二、周三尤甚" in text and "拥堵和事故6起" in text


def test_the_accident_season_draft_uses_the_same_month_last_year(world, groups):
    for i in range(4):
        accident(i, "福州路", datetime(2025, 5, 3 + i, 18, 0, tzinfo=SH), accident_type="追尾", weather="雨")
    accident(9, "广东路", datetime(2025, 5, 20, 9, 0, tzinfo=SH), accident_type="刮擦", weather="晴")
    accident(10, "福州路", datetime(2025, 6, 1, 9, 0, tzinfo=SH), accident_type="追尾")  # June: not counted
    scope = world.scope(world.grid_officer)
    with time_machine.travel(datetime(2026, 5, 2, 9, 0, tzinfo=SH), tick=False):
        b = publicity.accident_season_draft(scope, [world.community_a])
        text = services.render(b)
    assert (
        "5" in b.variables["count"] and "追尾（4）" in text and "福州路（4）" in text and "18时（4）" in text
    )
    assert "雨（4）" in text and b.sources[0]["value"] == "5"
    with (
        time_machine.travel(datetime(2026, 9, 2, 9, 0, tzinfo=SH), tick=False),
        pytest.raises(ServiceError, match="2025-09"),
    ):
        publicity.accident_season_draft(scope, [world.community_a])


def test_the_anti_fraud_draft_names_kinds_and_amounts_never_people(world, groups, new_appeal):
    fraud = Category.objects.create(code="pol.order.fraud", name="电信诈骗")
    texts = [
        "我是刘秀英，接到冒充客服的电话说要退款，被骗了3000元",
        "王建国在网上刷单返利被骗2万元",
        "有人冒充公检法让我往安全账户转账，我没转",
    ]
    for text in texts:
        new_appeal(text=text, category=fraud, reporter_name="刘秀英")
    new_appeal(text="福州路上有车辆违停")  # not fraud
    b = publicity.anti_fraud_draft(world.scope(world.grid_officer))
    text = services.render(b)
    assert (
        "3 起" not in text
        and "冒充客服退款（1起）" in text
        and "刷单返利（1起）" in text
        and "23,000" in text
    )
    assert "刘秀英" not in text + str(b.sources) and "王建国" not in text + str(b.sources)
    assert b.sources[0]["value"] == "3" and "category=pol.order.fraud" in b.sources[0]["url"]
    assert list(b.audience.communities.all()) == [world.community_a] and b.audience.sms_residents
    with pytest.raises(ServiceError, match="诈骗"):
        publicity.anti_fraud_draft(world.scope(world.other_officer))  # none in community B
