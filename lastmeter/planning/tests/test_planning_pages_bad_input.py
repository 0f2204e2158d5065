"""Bad input on the planning pages: a clear Chinese message that names the field, HTTP 400, and the
form shown again with what the planner typed (nothing is lost). The pages read their input through
planning/forms.py."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from lastmeter.planning.models import GridPlan, Platform
from lastmeter.planning.services import PlanParams, do_create_plan, do_preview_plan
from lastmeter.planning.tests.planning_helpers import make_blocks
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.services import use_network
from lastmeter.testing.roads import comb, latlon


@pytest.fixture
def leader(world) -> Client:
    client = Client()
    client.force_login(world.leader.user)
    client.cookies["django_language"] = "zh-hans"
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


NEW_PLAN = {"name": "秋季网格方案", "k": "2", "method": "exact", "tolerance_pct": "5", "w_accidents": "1"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"k": "两个"}, "网格数量（K）须为整数。"),
        ({"k": "0"}, "网格数量（K）须在 1 到 500 之间。"),
        ({"k": ""}, "请填写网格数量（K）。"),
        ({"tolerance_pct": "百分之五"}, "均衡容差（%）须为数字。"),
        ({"w_accidents": "-1"}, "交通事故权重不能小于 0。"),
        ({"method": "magic"}, "请从列表中选择求解方法。"),
        ({"name": ""}, "请为方案命名。"),
    ],
)
def test_it_refuses_a_bad_new_plan_and_keeps_what_was_typed(world, leader, changes, message):
    sent = {**NEW_PLAN, **changes}
    r = leader.post("/planning/plans/new/", sent)
    assert r.status_code == 400
    assert messages_of(r) == [message]
    page = text(r)
    assert message in page
    for field in ("name", "k", "tolerance_pct", "w_accidents"):
        if sent[field]:
            assert f'name="{field}"' in page and f'value="{sent[field]}"' in page, field
    assert not GridPlan.objects.exists()


def test_it_still_creates_a_plan_from_good_input(world, leader):
    r = leader.post("/planning/plans/new/", NEW_PLAN)
    assert r.status_code == 302
    plan = GridPlan.objects.get()
    assert (plan.name, plan.k, plan.method, plan.tolerance) == ("秋季网格方案", 2, "exact", 0.05)
    assert plan.weights["accidents"] == 1.0


@pytest.fixture
def previewed(world):
    make_blocks()
    return do_preview_plan(do_create_plan(PlanParams(name="p", k=2), world.leader).pk)


def test_it_refuses_a_bad_move_and_keeps_the_unit_typed(leader, previewed):
    url = f"/planning/plans/{previewed.pk}/act/move/"
    r = leader.post(url, {"unit": "b01", "to_grid": "第二"})
    assert r.status_code == 400 and messages_of(r) == ["目标网格编号须为整数。"]
    assert 'value="b01"' in text(r) and 'value="第二"' in text(r)
    r = leader.post(url, {"unit": "", "to_grid": "2"})
    assert r.status_code == 400 and messages_of(r) == ["请输入要调整的基本单元编号。"]
    # The service refuses too (no grid 9 in a plan of 2): the form is kept as well.
    r = leader.post(url, {"unit": "b01", "to_grid": "9"})
    assert r.status_code == 400 and 'value="9"' in text(r) and len(messages_of(r)) == 1
    assert "9" in messages_of(r)[0]


def test_it_refuses_bad_parameter_changes_and_opens_the_form_again(leader, previewed):
    r = leader.post(f"/planning/plans/{previewed.pk}/act/update/", {"k": "3", "auxiliaries": "-2"})
    assert r.status_code == 400
    assert messages_of(r) == ["待分配辅警数（N）须在 0 到 100000 之间。"]
    page = text(r)
    assert "<details open>" in page and 'value="-2"' in page and 'value="3"' in page
    previewed.refresh_from_db()
    assert previewed.k == 2 and previewed.state == "previewed"


def test_it_refuses_a_bad_grid_edit(leader, previewed):
    r = leader.post(
        f"/planning/plans/{previewed.pk}/act/grid/", {"number": "1", "name": "新名", "officer": "张警官"}
    )
    assert r.status_code == 400 and messages_of(r) == ["责任民警须为整数。"]
    assert 'value="新名"' in text(r)


def test_it_reports_a_bad_analysis_value_and_answers_the_rest(world, leader):
    with use_network(RoadNetwork(comb(), warm=False)):
        r = leader.get("/planning/service-areas/?speed_kmh=快&target_min=10")
        assert r.status_code == 200
        assert messages_of(r) == ["行驶速度（公里/小时）须为数字。"]
        page = text(r)
        assert 'value="快"' in page and 'value="10"' in page
        r = leader.get("/planning/service-areas/?exits=31.23,121.47%0A东出口")
        assert messages_of(r) == ["每行一个出口，格式为“纬度,经度”或道路节点编号；“东出口”两者都不是。"]
        assert "31.23,121.47\n东出口" in text(r)  # the textarea keeps both lines
        r = leader.get("/planning/service-areas/?add_k=99")
        assert messages_of(r) == ["新增平台数须在 1 到 50 之间。"]


def test_it_refuses_a_bad_platform_and_keeps_what_was_typed(world, leader):
    with use_network(RoadNetwork(comb(), warm=False)):
        lat, lon = latlon(0, 0)
        sent = {"code": "pt-1", "name": "东平台", "lat": "北纬31度", "lon": str(lon), "kind": "station"}
        r = leader.post("/planning/platforms/", sent)
        assert r.status_code == 400 and messages_of(r) == ["纬度须为数字。"]
        page = text(r)
        assert 'value="pt-1"' in page and 'value="东平台"' in page and 'value="北纬31度"' in page
        assert '<option value="station" selected>' in page
        r = leader.post("/planning/platforms/", {**sent, "lat": str(lat), "code": "坏 编号"})
        assert r.status_code == 400 and messages_of(r) == ["平台编号为 1 到 60 个字母、数字、“-”或“_”。"]
        assert not Platform.objects.exists()
        r = leader.post("/planning/platforms/", {**sent, "lat": str(lat)})
        assert r.status_code == 302 and Platform.objects.get().kind == "station"
