"""Saved audiences: named once, picked for later broadcasts and alerts (each gets its own copy),
edited in place; scoped to the officer's grids and community, with the refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lastmeter.broadcasts import alerts, services
from lastmeter.broadcasts.models import Audience, Broadcast
from lastmeter.broadcasts.selectors import audience_community_ids, destinations, visible_audiences
from lastmeter.broadcasts.tests.conftest import audience
from lastmeter.broadcasts.tests.test_alerts import media, new_alert  # noqa: F401 - fixture
from lastmeter.lib.errors import NotAllowed, ServiceError

pytestmark = pytest.mark.django_db


def spec(world, **kw) -> services.AudienceSpec:
    data: dict[str, Any] = dict(
        name="福州路楼组长", communities=[], grids=[world.grid_a], groups=[], departments=[]
    )
    data.update(building_heads=True, area_groups=False)
    data.update(kw)
    return services.AudienceSpec(**data)


def api(person) -> Client:
    c = Client()
    c.force_login(person.user)
    return c


def test_a_saved_audience_is_picked_for_a_broadcast_which_keeps_its_own_copy(world, groups):
    officer = world.scope(world.grid_officer)
    saved = services.do_save_audience(officer, spec(world))
    b = services.do_compose(
        officer,
        {
            "title": "防汛提醒",
            "template": "今晚有暴雨，请楼组长提醒住户。",
            "variables": {},
            "kind": "notice",
            "repeat": "once",
            "send_at": None,
            "times": [],
            "until": None,
            "saved_audience": saved,
        },
    )
    copy = b.audience
    assert copy.pk != saved.pk and copy.copied_from == saved and not copy.saved
    assert [d.label for d in destinations(copy) if not d.skip] == [
        d.label for d in destinations(saved) if not d.skip
    ]
    assert any(world.building_head.name in d.label for d in destinations(copy))
    # editing the saved audience later does not change the broadcast already written
    services.do_edit_audience(officer, saved, spec(world, name="福州路全体", grid_members=True))
    saved.refresh_from_db()
    copy.refresh_from_db()
    assert saved.name == "福州路全体" and saved.grid_members and not copy.grid_members
    assert list(visible_audiences(officer)) == [saved]  # copies are not listed for reuse


def test_an_alert_also_tells_a_picked_saved_audience(world, groups, media):  # noqa: F811
    officer = world.scope(world.grid_officer)
    wecom = groups["wecom"]
    saved = services.do_save_audience(officer, spec(world, groups=[wecom], grids=[], sms_residents=True))
    alert = new_alert(world, audience=saved)
    b = alerts.alert_broadcast(alert)
    assert b.audience.copied_from == saved and wecom in b.audience.groups.all()
    assert b.audience.sms_residents and b.audience.grid_members  # the alert's own people stay


def test_an_officer_sees_and_picks_only_the_audiences_of_their_area(world, groups):
    officer, other = world.scope(world.grid_officer), world.scope(world.other_officer)
    mine = services.do_save_audience(officer, spec(world))
    theirs = services.do_save_audience(other, spec(world, name="云南中路", grids=[world.grid_b]))
    assert list(visible_audiences(officer)) == [mine]
    assert list(visible_audiences(other)) == [theirs]
    assert set(visible_audiences(world.scope(world.leader))) == {mine, theirs}
    with pytest.raises(NotAllowed, match="云南中路社区"):
        services.do_save_audience(officer, spec(world, grids=[world.grid_a, world.grid_b]))
    with pytest.raises(NotAllowed, match="云南中路社区"):
        services.do_edit_audience(officer, mine, spec(world, grids=[world.grid_b]))
    with pytest.raises(ServiceError, match="名称"):
        services.do_save_audience(officer, spec(world, name="  "))
    with pytest.raises(ServiceError, match="受众为空"):
        services.do_save_audience(officer, spec(world, grids=[]))
    with pytest.raises(ServiceError, match="已保存"):
        services.do_edit_audience(officer, audience(world), spec(world))
    mine.refresh_from_db()
    assert audience_community_ids(mine) == {world.community_a.pk} and mine.name == "福州路楼组长"


def test_the_api_saves_edits_and_picks_audiences_within_scope(world, groups):
    c = api(world.grid_officer)
    r = c.post(
        "/api/v1/broadcasts/audiences",
        {"name": "福州路楼组长", "grids": [world.grid_a.pk], "building_heads": True},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    saved_id = r.json()["id"]
    r = c.put(
        f"/api/v1/broadcasts/audiences/{saved_id}",
        {
            "name": "福州路楼组长和网格员",
            "grids": [world.grid_a.pk],
            "building_heads": True,
            "grid_members": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["grid_members"] is True
    r = c.post(
        "/api/v1/broadcasts",
        {"title": "停水通知", "template": "明天9点到12点停水。", "audience": saved_id},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    b = Broadcast.objects.get(pk=r.json()["id"])
    assert b.audience.copied_from_id == saved_id and b.audience.grid_members

    # refusals: another community's officer sees nothing of it, and cannot pick or edit it
    other = api(world.other_officer)
    assert other.get("/api/v1/broadcasts/audiences").json() == []
    assert other.get(f"/api/v1/broadcasts/audiences/{saved_id}").status_code == 404
    r = other.put(
        f"/api/v1/broadcasts/audiences/{saved_id}",
        {"name": "改名", "grids": [world.grid_b.pk]},
        content_type="application/json",
    )
    assert r.status_code == 404
    before = Broadcast.objects.count()
    r = other.post(
        "/api/v1/broadcasts",
        {"title": "x", "template": "y", "audience": saved_id},
        content_type="application/json",
    )
    assert r.status_code == 404 and Broadcast.objects.count() == before
    r = c.post(
        "/api/v1/broadcasts/audiences",
        {"name": "越界", "grids": [world.grid_b.pk]},
        content_type="application/json",
    )
    assert r.status_code == 403 and "云南中路社区" in r.json()["detail"]
    r = c.post("/api/v1/broadcasts/audiences", {"name": "空"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["detail"]
    # a department liaison (not a writer of broadcasts) saves nothing
    r = api(world.liaison).post(
        "/api/v1/broadcasts/audiences",
        {"name": "x", "grids": [world.grid_a.pk]},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert Audience.objects.filter(saved=True).count() == 1


def test_the_pages_list_save_and_edit_saved_audiences(world, groups):
    c = api(world.grid_officer)
    r = c.post(
        reverse("broadcasts:audiences"),
        {"name": "福州路各群", "grids": [world.grid_a.pk], "area_groups": "on"},
        follow=True,
    )
    assert r.status_code == 200 and "福州路各群" in r.content.decode()
    saved = Audience.objects.get(saved=True)
    page = c.get(reverse("broadcasts:audience_edit", args=[saved.pk])).content.decode()
    assert "福州路各群" in page and "已保存的受众" in page
    r = c.post(
        reverse("broadcasts:audience_edit", args=[saved.pk]),
        {
            "name": "福州路各群和楼组长",
            "grids": [world.grid_a.pk],
            "area_groups": "on",
            "building_heads": "on",
        },
    )
    assert r.status_code == 302
    saved.refresh_from_db()
    assert saved.name == "福州路各群和楼组长" and saved.building_heads
    compose = c.get(reverse("broadcasts:compose")).content.decode()
    assert "福州路各群和楼组长" in compose  # offered on the compose form
    assert (
        api(world.other_officer).get(reverse("broadcasts:audience_edit", args=[saved.pk])).status_code == 404
    )
    r = api(world.other_officer).post(
        reverse("broadcasts:audience_edit", args=[saved.pk]), {"name": "改名", "grids": [world.grid_b.pk]}
    )
    assert r.status_code == 404
    saved.refresh_from_db()
    assert saved.name == "福州路各群和楼组长"
