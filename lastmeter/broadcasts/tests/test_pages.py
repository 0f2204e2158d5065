"""Pages and /api/v1/broadcasts: compose with previews, act, report; scope and role refusals."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lastmeter.accounts.auth import issue_token
from lastmeter.appeals.models import OutboxMessage
from lastmeter.broadcasts import services
from lastmeter.broadcasts.models import Broadcast
from lastmeter.broadcasts.tests.conftest import audience, draft

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def compose_data(world, **kw):
    data = {
        "title": "晚高峰提醒",
        "kind": "rush_hour",
        "template": "{road}{hour}点前后车多，请绕行{detour}。",
        "variables": "road=福州路\nhour=17\ndetour：广东路",
        "communities": [world.community_a.pk],
        "area_groups": "on",
        "repeat": "once",
        "times": "",
    }
    data.update(kw)
    return data


def test_it_previews_composes_sends_and_reports_on_the_pages(world, groups, subscribers):
    c = login("officer_a")
    page = c.post(
        reverse("broadcasts:compose"), compose_data(world, sms_residents="on", preview="1")
    ).content.decode()
    assert "福州路17点前后车多，请绕行广东路。" in page and "1 条短信" in page and "UCS-2" in page
    assert not Broadcast.objects.exists()
    r = c.post(reverse("broadcasts:compose"), compose_data(world, sms_residents="on", save="1"))
    b = Broadcast.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("broadcasts:detail", args=[b.pk])
    c.post(reverse("broadcasts:act", args=[b.pk]), {"action": "submit"})
    page = c.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert "已发送" in page and "送达报告" in page and OutboxMessage.objects.count() == 7
    assert "已排队 7 条，跳过 0 条" in page


def test_the_compose_page_says_what_is_wrong(world, groups):
    c = login("officer_a")
    page = c.post(
        reverse("broadcasts:compose"), compose_data(world, variables="road=福州路", preview="1")
    ).content.decode()
    assert "这些模板变量没有值：{hour}, {detour}" in page
    page = c.post(
        reverse("broadcasts:compose"), compose_data(world, variables="福州路", preview="1")
    ).content.decode()
    assert "第 1 行不是" in page
    # community B is not offered to grid A's officer, and a forged choice is refused by the form
    page = c.post(
        reverse("broadcasts:compose"), compose_data(world, communities=[world.community_b.pk], save="1")
    ).content.decode()
    assert not Broadcast.objects.exists() and "有效的选项" in page


def test_other_roles_get_no_page(world, groups):
    b = services.do_create_broadcast(world.scope(world.grid_officer), draft(audience(world)))
    url = reverse("broadcasts:detail", args=[b.pk])
    assert Client().get(url).status_code == 302  # to the login
    for username in ("officer_b", "member_a", "head_a", "liaison"):
        assert login(username).get(url).status_code == 404, username
    assert (
        login("officer_b").post(reverse("broadcasts:act", args=[b.pk]), {"action": "cancel"}).status_code
        == 404
    )
    b.refresh_from_db()
    assert b.state == "draft"
    assert login("leader").get(url).status_code == 200


def api(world, person):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(person, 'test')}"}


def test_the_api_composes_previews_submits_and_reports(world, groups):
    c = Client()
    h = api(world, world.grid_officer)
    body = {
        "title": "提醒",
        "template": "{road}车多",
        "variables": {"road": "福州路"},
        "communities": [world.community_a.pk],
    }
    r = c.post("/api/v1/broadcasts/preview", body, content_type="application/json", **h)
    assert r.status_code == 200 and r.json()[0]["body"] == "提醒\n福州路车多"
    r = c.post("/api/v1/broadcasts", body, content_type="application/json", **h)
    assert r.status_code == 201, r.content
    bid = r.json()["id"]
    r = c.post(f"/api/v1/broadcasts/{bid}/submit", content_type="application/json", **h)
    assert r.status_code == 200 and r.json()["state"] == "done"
    report = c.get(f"/api/v1/broadcasts/{bid}/report", **h).json()
    assert report[0]["counts"] == {"pending": 4}
    # scope and roles
    h_b = api(world, world.other_officer)
    assert c.get(f"/api/v1/broadcasts/{bid}", **h_b).status_code == 404
    forged = dict(body, communities=[world.community_b.pk])
    assert c.post("/api/v1/broadcasts", forged, content_type="application/json", **h).status_code == 403
    h_m = api(world, world.grid_member)
    assert c.post("/api/v1/broadcasts", body, content_type="application/json", **h_m).status_code == 403
    assert c.get("/api/v1/broadcasts", **h_m).json() == []
    assert (
        c.post("/api/v1/broadcasts", {"title": "x"}, content_type="application/json", **h).status_code == 422
    )


def test_the_api_keeps_the_two_person_rule(world, groups):
    c = Client()
    h = api(world, world.leader)
    body = {
        "title": "提醒",
        "template": "注意安全",
        "communities": [world.community_a.pk, world.community_b.pk],
    }
    bid = c.post("/api/v1/broadcasts", body, content_type="application/json", **h).json()["id"]
    assert c.post(f"/api/v1/broadcasts/{bid}/submit", **h).json()["state"] == "awaiting_approval"
    r = c.post(f"/api/v1/broadcasts/{bid}/approve", **h)
    assert r.status_code == 403 and "撰写人" in r.json()["detail"]
    r = c.post(f"/api/v1/broadcasts/{bid}/approve", **api(world, world.dispatcher))
    assert r.status_code == 403 and "领导" in r.json()["detail"]
    assert not OutboxMessage.objects.exists()


def test_the_index_makes_publicity_drafts_and_the_author_edits_one(world, groups, new_appeal):
    from lastmeter.appeals.models import Category

    fraud = Category.objects.create(code="pol.order.fraud", name="电信诈骗")
    new_appeal(text="接到冒充客服电话，被骗了5000元", category=fraud)
    c = login("officer_a")
    r = c.post(reverse("broadcasts:drafts"), {"kind": "anti_fraud"})
    b = Broadcast.objects.get(kind="anti_fraud")
    assert r["Location"] == reverse("broadcasts:detail", args=[b.pk])
    page = c.get(r["Location"]).content.decode()
    assert "所用数据" in page and "冒充客服退款（1起）" in page
    c.post(
        reverse("broadcasts:edit", args=[b.pk]),
        {"template": "{kinds}，请提高警惕。", "variables": "kinds=冒充客服"},
    )
    b.refresh_from_db()
    assert b.template == "{kinds}，请提高警惕。" and b.variables == {"kinds": "冒充客服"}
    assert login("leader").post(reverse("broadcasts:edit", args=[b.pk]), {"template": "x"}).status_code == 302
    b.refresh_from_db()
    assert b.template == "{kinds}，请提高警惕。"  # only the author edits
    page = c.post(reverse("broadcasts:drafts"), {"kind": "rush_hour"}, follow=True).content.decode()
    assert "没有高峰时段事故足够多的道路" in page


def test_the_alert_api_keeps_the_two_person_rule_and_the_scope(world, groups, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = Client()
    officer, leader = api(world, world.grid_officer), api(world, world.leader)
    body = {
        "kind": "lost_child",
        "headline": "寻找走失儿童",
        "description": "男孩，6岁，红色上衣。",
        "last_seen_at": "2026-12-07T09:00:00+08:00",
        "last_seen_place": "福州路",
        "lat": 31.230,
        "lon": 121.470,
        "radius_m": 300,
    }
    r = c.post("/api/v1/broadcasts/alerts", body, content_type="application/json", **officer)
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    assert c.post(f"/api/v1/broadcasts/alerts/{aid}/submit", **officer).json()["state"] == "awaiting_approval"
    assert c.post(f"/api/v1/broadcasts/alerts/{aid}/approve", **officer).status_code == 403
    assert c.get(f"/api/v1/broadcasts/alerts/{aid}", **api(world, world.other_officer)).status_code == 404
    r = c.post(f"/api/v1/broadcasts/alerts/{aid}/approve", **leader)
    assert r.json()["state"] == "active" and r.json()["approved_by"] == "王所长"
    r = c.post(
        f"/api/v1/broadcasts/alerts/{aid}/close",
        {"outcome": "已找到"},
        content_type="application/json",
        **officer,
    )
    assert r.json()["state"] == "closed"
    wide = dict(body, radius_m=2000)  # reaches grid B: not grid A's officer's to alert
    assert (
        c.post("/api/v1/broadcasts/alerts", wide, content_type="application/json", **officer).status_code
        == 403
    )
    bad = dict(body, kind="ufo")
    assert (
        c.post("/api/v1/broadcasts/alerts", bad, content_type="application/json", **officer).status_code
        == 400
    )
