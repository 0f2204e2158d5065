"""The weekly/monthly report: its figures on the hand-computed month (stats/tests/fixture.py), the
scope refusals per role, bad input in words, and a bounded number of queries."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client

from lastmeter.planning.models import AccidentRecord
from lastmeter.stats.report_map import svg_map
from lastmeter.stats.reports import build_report, check_period
from lastmeter.stats.rollups import rebuild
from lastmeter.stats.tests.fixture import SH, at, build_month
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 3, 20, 12, 0, tzinfo=SH)  # a Wednesday: the week of 4 March is long over
WEEK = "/stats/report/{level}/?period=week&start=2024-03-04"


@pytest.fixture
def month(world):
    m = build_month(world)
    AccidentRecord.objects.create(
        source="test",
        external_id="1",
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        occurred_at=at(6, 8),
        street="福州路",
        victims=2,
        injured_serious=1,
    )
    AccidentRecord.objects.create(
        source="test",
        external_id="2",
        lat=POINT_IN_B[0],
        lon=POINT_IN_B[1],
        occurred_at=at(7, 18),
        street="云南中路",
        victims=1,
    )
    rebuild()
    return m


def _client(username: str) -> Client:
    c = Client(headers={"accept-language": "zh-hans"})
    assert c.login(username=username, password="pass-" + username)
    return c


def figures(report) -> dict[str, tuple]:
    return {f.key: (f.value, f.previous, f.year_ago) for f in report.figures}


def test_it_picks_the_week_or_month_holding_a_day_and_refuses_the_future():
    today = date(2024, 3, 20)
    week = check_period("week", date(2024, 3, 6), today)
    assert (week.start, week.end, week.through, week.partial) == (
        date(2024, 3, 4),
        date(2024, 3, 10),
        date(2024, 3, 10),
        False,
    )
    running = check_period("month", None, date(2024, 3, 1))  # default: the last complete month
    assert (running.start, running.end) == (date(2024, 2, 1), date(2024, 2, 29))
    this_month = check_period("month", date(2024, 3, 1), today)
    assert this_month.partial and this_month.through == today and this_month.days == 20
    assert check_period("week", None, today).start == date(2024, 3, 11)  # last complete week
    for kind, start in (("week", date(2024, 3, 25)), ("month", date(2024, 4, 1)), ("year", date(2024, 1, 1))):
        with pytest.raises(Exception) as refused:
            check_period(kind, start, today)
        assert getattr(refused.value, "args", None)


def test_it_measures_the_leaders_week(world, month):
    r = build_report(world.scope(world.leader), "leadership", None, "week", date(2024, 3, 4), now=NOW)
    f = figures(r)
    # Week of 4 March: A1–A5; the week before: A7 (28 February); a year earlier: nothing.
    assert f["received"] == (5, 1, 0)
    # 4–8 March and 26 February – 1 March are five working days each.
    assert r.working_days == 7 - 2 and f["per_working_day"] == (1.0, 0.2, 0.0)
    # Landing: A1, A2, A5 met; A4 breached; A3 cancelled. Contact of A5 paused: undecided.
    assert f["landed"][0] == 3 and f["landed_rate"][0] == 0.75
    # Every clock: met A1×2, A2 land, A4 accept×2 + contact + outcome, A5 land = 8; breached A2
    # contact (late), A4 land = 2.
    assert f["on_time_rate"][0] == 0.8 and f["breaches"][0] == 2
    assert f["satisfied"][0] == round(2 / 3, 4) and f["mean_score"][0] == 4.0
    assert [(c.label, c.received, c.share, c.previous) for c in r.categories] == [("违章停车", 5, 1.0, 1)]
    assert [(g.label, g.received) for g in r.grids] == [("A网格", 4), ("B网格", 1)]
    assert [(t["label"], t["transfers"], t["returned"]) for t in r.transfers] == [("城管执法局", 2, 1)]
    # A4's landing clock was breached on 6 March at 10:00 and is still not met: overdue since then.
    assert [(o.number, o.grid, o.category, o.hours_overdue) for o in r.overdue] == [
        (f"#{month.a4.pk}", "B网格", "违章停车", 14 * 24 + 2.0)
    ]
    assert r.accidents is not None and r.accidents.accidents.value == 2 and r.accidents.victims.value == 3
    assert r.hotspot_map is not None and {s.title for s in r.hotspot_map.grids} == {"A网格", "B网格"}


def test_it_keeps_a_community_officers_report_to_their_community(world, month):
    officer = world.scope(world.grid_officer)
    r = build_report(officer, "community", None, "month", date(2024, 3, 1), now=NOW)
    # March up to the 20th (the month runs): A1, A2, A3, A5 and A6 of grid A.
    assert r.period.partial and r.target_name == "福州路社区" and figures(r)["received"][0] == 5
    assert [g.label for g in r.grids] == ["A网格"]
    assert r.overdue == [] and r.overdue_total == 0  # A6's landing clock was due on 21 March: not yet
    assert r.accidents is not None and r.accidents.accidents.value == 1  # the one in grid A
    assert r.hotspot_map is not None and [s.title for s in r.hotspot_map.grids] == ["A网格"]


def test_it_gives_a_department_its_transfers(world, month):
    r = build_report(world.scope(world.liaison), "department", None, "week", date(2024, 3, 4), now=NOW)
    f = figures(r)
    assert r.target_name == "城管执法局" and f["transfers"] == (2, 0, 0)
    assert f["returned_rate"][0] == 0.5 and f["accept_rate"][0] == 1.0 and f["outcome_rate"][0] == 1.0
    assert f["acceptance_p50"][0] == 4.0  # the accepted transfer: 4 h
    assert [(c.label, c.received) for c in r.categories] == [("违章停车", 2)]
    assert r.hotspot_map is None and r.accidents is None


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        # A community officer: not the jurisdiction's report, not another community or grid.
        ("officer_a", WEEK.format(level="leadership"), 403),
        ("officer_a", WEEK.format(level="community") + "&target=yunnan", 404),
        ("officer_a", WEEK.format(level="grid") + "&target=grid-b", 404),
        ("officer_a", WEEK.format(level="department"), 403),
        ("officer_b", WEEK.format(level="community") + "&target=fuzhou", 404),
        # A grid member: their grid only.
        ("member_a", WEEK.format(level="community") + "&target=fuzhou", 404),
        ("member_a", WEEK.format(level="grid") + "&target=grid-b", 404),
        # A liaison: their department's transfers only.
        ("liaison", WEEK.format(level="leadership"), 403),
        ("liaison", WEEK.format(level="grid") + "&target=grid-a", 403),
        ("liaison", WEEK.format(level="department") + "&target=greening", 404),
        ("other_liaison", WEEK.format(level="department") + "&target=urban_management", 404),
        # No figures at all.
        ("head_a", WEEK.format(level="grid") + "&target=grid-a", 403),
        ("legal", WEEK.format(level="leadership"), 403),
        # Bad input, in words.
        ("leader", WEEK.format(level="city"), 404),
        ("leader", WEEK.format(level="grid") + "&target=no-such-grid", 404),
        ("leader", "/stats/report/leadership/?period=week&start=2024-03-25", 400),
        ("leader", "/stats/report/leadership/?period=year", 400),
        ("leader", "/stats/report/leadership/?start=4.3.2024", 400),
        ("leader", "/stats/report/grid/", 400),  # two grids: say which
    ],
)
def test_it_refuses_as_the_rest_of_the_figures(world, month, username, url, status):
    with time_machine.travel(NOW, tick=False):
        r = _client(username).get(url)
    assert r.status_code == status, (username, url, r.content[:300])
    error = r.content.decode()
    assert 'data-testid="report-error"' in error and 'data-testid="report"' not in error


def test_it_sends_a_resident_to_the_login(world):
    assert Client().get(WEEK.format(level="leadership")).status_code == 302


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("officer_a", WEEK.format(level="grid") + "&target=grid-a"),
        ("member_a", WEEK.format(level="grid")),  # their only grid is the default
        ("liaison", WEEK.format(level="department")),
        ("leader", WEEK.format(level="community") + "&target=yunnan"),
        ("dispatcher", WEEK.format(level="department") + "&target=greening"),
    ],
)
def test_it_opens_the_levels_each_role_may_see(world, month, username, url):
    with time_machine.travel(NOW, tick=False):
        assert _client(username).get(url).status_code == 200


def test_it_prints_the_leaders_week_in_chinese_with_a_flat_query_count(
    world, month, django_assert_max_num_queries
):
    leader = _client("leader")
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(30) as queries:
        r = leader.get(WEEK.format(level="leadership"))
    assert r.status_code == 200, r.content[:500]
    page = r.content.decode()
    for heading in (
        "全辖区 周报",
        "核心指标",
        "热点分布",
        "主要诉求类别",
        "网格",
        "转办部门",
        "超时未办结",
        "交通事故",
        "打印",
    ):
        assert heading in page, heading
    assert 'data-figure="received"' in page and "<svg" in page and "<polygon" in page
    # Five more appeals and a third of the clocks: the same number of queries.
    build_month(world)
    rebuild()
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(len(queries)):
        assert leader.get(WEEK.format(level="leadership")).status_code == 200


@pytest.mark.parametrize(
    ("username", "level"),
    [("leader", "leadership"), ("officer_a", "community"), ("member_a", "grid"), ("liaison", "department")],
)
def test_it_links_each_role_to_the_report_of_its_level(world, username, level):
    page = _client(username).get("/appeals/").content.decode()
    assert f'href="/stats/report/{level}/"' in page and "统计报表" in page


def test_it_shows_no_report_link_to_a_building_head(world):
    assert "/stats/report/" not in _client("head_a").get("/appeals/").content.decode()


def test_it_draws_hot_and_cold_cells_on_the_grid_outlines():
    square = {
        "type": "Polygon",
        "coordinates": [[(121.0, 31.0), (121.01, 31.0), (121.01, 31.01), (121.0, 31.01), (121.0, 31.0)]],
    }
    cell = [(121.0, 31.0), (121.005, 31.0), (121.005, 31.005), (121.0, 31.005), (121.0, 31.0)]
    m = svg_map(
        [("A网格", square)],
        [(cell, "hot", 3.5, 9), (cell, "hot", 2.1, 4), (cell, "cold", -2.5, 0), (cell, "", 0.3, 1)],
        width=220,
        max_height=400,
        pad=10,
    )
    assert m is not None and (m.hot, m.cold) == (2, 1)
    assert [s.css for s in m.cells] == ["hot-strong", "hot", "cold"]  # the insignificant cell is not drawn
    # 0.01° of longitude at 31° N is 0.01·cos 31° wide: 200 px across, so 200 / cos 31° px tall.
    scale = 200 / (0.01 * math.cos(math.radians(31.005)))
    assert m.width == 220 and m.height == round(0.01 * scale + 20)
    assert m.grids[0].points.split()[0] == f"10.0,{10 + 0.01 * scale:.1f}"  # the south-west corner
    assert m.labels[0].text == "A网格" and m.cells[0].title == "9 · z=3.50"
    assert m.labels[0].x == 110.0 and m.labels[0].y == pytest.approx(10 + 0.005 * scale)  # the middle
    # The grid is 954 m wide: a 100 m bar (the round length under a fifth of it).
    assert m.scale_m == 100 and m.scale_px == pytest.approx(100 / 111_320 * scale)
    assert svg_map([], []) is None
