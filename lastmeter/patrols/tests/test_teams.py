"""Patrol teams managed in the app: the community's officer makes a team and adds, changes and
removes members with skills and availability; refusals — another community's officer, a member
who does not manage, someone outside the community's network, bad times of day, a duplicate —
on the pages, the API and the services."""

from __future__ import annotations

import json

import pytest
from django.http import Http404
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.choices import Role
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.patrols import teams as team_services
from lastmeter.patrols.models import PatrolTeam, TeamMember
from lastmeter.patrols.tests.conftest import new_person

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def _api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")


def _json(client: Client, method: str, url: str, body: dict):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_officer_makes_a_team_and_manages_its_members_on_the_pages(world, teams) -> None:
    aux = new_person("辅警马", "aux_a", Role.GRID_MEMBER, grid=world.grid_a)
    c = _client("officer_a")
    assert 'data-testid="new-team"' in c.get("/patrols/").content.decode()
    r = c.post(
        "/patrols/teams/new/",
        {"community": world.community_a.pk, "name": "福州路夜巡队", "kind": "auxiliaries"},
    )
    team = PatrolTeam.objects.get(name="福州路夜巡队")
    assert r.status_code == 302 and r["Location"] == f"/patrols/teams/{team.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert aux.name in page and teams.other.name not in page, "only community A's network is offered"
    c.post(
        f"/patrols/teams/{team.pk}/members/",
        {"person": aux.pk, "skills": "巡逻，交通疏导", "bands": ["evening", "night"]},
    )
    member = TeamMember.objects.get(team=team, person=aux)
    assert (member.skills, member.available_bands) == ("巡逻,交通疏导", ["night", "evening"])
    c.post(
        f"/patrols/teams/{team.pk}/members/{member.pk}/",
        {f"m{member.pk}-skills": "急救", f"m{member.pk}-bands": ["morning"]},
    )
    member.refresh_from_db()
    assert (member.skills, member.available_bands) == ("急救", ["morning"])
    c.post(f"/patrols/teams/{team.pk}/members/{member.pk}/remove/")
    assert not TeamMember.objects.filter(pk=member.pk).exists()


def test_it_refuses_another_communitys_officer_a_member_and_outsiders(world, teams) -> None:
    b = _client("officer_b")
    assert b.get(f"/patrols/teams/{teams.a.pk}/").status_code == 404
    member = teams.a.members.get(person=teams.volunteer)
    assert b.post(f"/patrols/teams/{teams.a.pk}/members/{member.pk}/remove/").status_code == 404
    r = b.post(
        "/patrols/teams/new/", {"community": world.community_a.pk, "name": "越权队", "kind": "volunteers"}
    )
    assert r.status_code == 400 and not PatrolTeam.objects.filter(name="越权队").exists()
    # The building head is on team A: they see it, and may not change it.
    head = _client("head_a")
    page = head.get(f"/patrols/teams/{teams.a.pk}/").content.decode()
    assert teams.volunteer.name in page and 'data-testid="add-member"' not in page
    r = head.post(f"/patrols/teams/{teams.a.pk}/members/{member.pk}/remove/", follow=True)
    assert "只有派出所工作人员和本社区民警" in r.content.decode()
    assert TeamMember.objects.filter(pk=member.pk).exists()
    # Community B's volunteer cannot join A's team; nor can someone twice.
    officer = world.scope(world.grid_officer)
    with pytest.raises(ServiceError, match="本社区的志愿者"):
        team_services.do_add_member(officer, teams.a.pk, teams.other, team_services.Availability())
    with pytest.raises(ServiceError, match="已是"):
        team_services.do_add_member(officer, teams.a.pk, teams.volunteer, team_services.Availability())
    with pytest.raises(ServiceError, match="未知时段"):
        team_services.do_update_member(
            officer, teams.a.pk, member.pk, team_services.Availability(bands=["lunch"])
        )
    with pytest.raises(NotAllowed):
        team_services.do_remove_member(world.scope(world.building_head), teams.a.pk, member.pk)
    with pytest.raises(Http404):
        team_services.do_remove_member(officer, teams.a.pk, teams.b.members.get().pk)
    with pytest.raises(ServiceError, match="已有名为"):
        team_services.do_create_team(
            officer, name=teams.a.name, kind="volunteers", community=world.community_a
        )


def test_the_api_makes_a_team_and_adds_changes_and_removes_members(world, teams) -> None:
    api = _api(world.grid_officer)
    r = _json(
        api,
        "post",
        "/api/v1/patrols/teams",
        {"community": world.community_a.pk, "name": "楼组长队", "kind": "building_heads"},
    )
    assert r.status_code == 201, r.content
    team_id = r.json()["id"]
    r = _json(
        api,
        "post",
        f"/api/v1/patrols/teams/{team_id}/members",
        {"person": world.building_head.pk, "skills": "熟悉楼栋", "bands": ["evening"]},
    )
    assert r.status_code == 201 and r.json()["members"][0]["bands"] == ["evening"]
    member_id = r.json()["members"][0]["id"]
    r = _json(
        api, "put", f"/api/v1/patrols/teams/{team_id}/members/{member_id}", {"skills": "消防", "bands": []}
    )
    assert r.status_code == 200 and r.json()["members"][0]["skills"] == "消防"
    bad = _json(api, "put", f"/api/v1/patrols/teams/{team_id}/members/{member_id}", {"bands": ["noon"]})
    assert bad.status_code == 400 and "noon" in bad.json()["detail"]
    outsider = _json(api, "post", f"/api/v1/patrols/teams/{team_id}/members", {"person": teams.other.pk})
    assert outsider.status_code == 400 and teams.other.name in outsider.json()["detail"]
    other = _api(world.other_officer)
    assert (
        _json(
            other,
            "post",
            "/api/v1/patrols/teams",
            {"community": world.community_a.pk, "name": "x", "kind": "volunteers"},
        ).status_code
        == 404
    )
    assert other.get(f"/api/v1/patrols/teams/{team_id}").status_code == 404
    assert other.delete(f"/api/v1/patrols/teams/{team_id}/members/{member_id}").status_code == 404
    r = api.delete(f"/api/v1/patrols/teams/{team_id}/members/{member_id}")
    assert r.status_code == 200 and r.json()["members"] == []
