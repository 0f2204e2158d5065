"""Calling the reporter: the full number goes only to the officer assigned to the appeal or the
grid's responsible officer, each reveal writes one AccessLog row, and everyone else is refused
with nothing revealed and nothing logged."""

from __future__ import annotations

import json

import pytest
from django.http import Http404
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.models import AccessLog
from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals import services
from lastmeter.appeals.reveal import do_reveal_reporter_phone
from lastmeter.lib.errors import NotAllowed, ServiceError

WHY = "致电诉求人核实地点"


def test_it_reveals_the_number_to_the_assigned_officer_and_logs_who_what_when_why(world, new_appeal):
    appeal = new_appeal()
    assert appeal.assignee == world.grid_officer
    revealed = do_reveal_reporter_phone(world.scope(world.grid_officer), appeal.pk, WHY)
    assert revealed.phone == "13912345678" and revealed.tel == "tel:13912345678"
    [log] = AccessLog.objects.filter(what="reporter phone")
    assert log.person == world.grid_officer and log.user == world.grid_officer.user
    assert log.what == "reporter phone" and log.why == WHY and log.at is not None
    assert (log.object_type, log.object_id) == ("appeals.appeal", str(appeal.pk))


def test_it_reveals_the_number_to_an_assigned_grid_member_and_to_the_grids_responsible_officer(
    world, new_appeal
):
    appeal = new_appeal()
    services.do_assign(world.scope(world.dispatcher), appeal.pk, person=world.grid_member)
    assert do_reveal_reporter_phone(world.scope(world.grid_member), appeal.pk, WHY).phone == "13912345678"
    # No longer the assignee, but responsible for grid A: may still call.
    assert do_reveal_reporter_phone(world.scope(world.grid_officer), appeal.pk, WHY).phone == "13912345678"
    assert AccessLog.objects.filter(what="reporter phone").count() == 2


def test_it_refuses_every_other_viewer_and_logs_nothing(world, new_appeal):
    appeal = new_appeal()
    # Another grid's officer, and a resident without an account, do not even see the appeal.
    for outsider in (world.scope(world.other_officer), scope_for(None)):
        with pytest.raises(Http404):
            do_reveal_reporter_phone(outsider, appeal.pk, WHY)
    # A grid member who is not assigned, the dispatcher and the leader see it, but may not call.
    for viewer in (world.grid_member, world.dispatcher, world.leader):
        with pytest.raises(NotAllowed):
            do_reveal_reporter_phone(world.scope(viewer), appeal.pk, WHY)
    assert not AccessLog.objects.exists()


def test_it_refuses_the_department_liaison_of_a_transferred_appeal(world, new_appeal):
    appeal = new_appeal(category=world.department_category)  # transferred to the liaison's department
    with pytest.raises(NotAllowed, match="只有承办此诉求的人员"):
        do_reveal_reporter_phone(world.scope(world.liaison), appeal.pk, WHY)
    with pytest.raises(Http404):
        do_reveal_reporter_phone(world.scope(world.other_liaison), appeal.pk, WHY)
    assert not AccessLog.objects.exists()


def test_it_asks_why_and_refuses_a_closed_appeal_or_one_without_a_number(world, new_appeal):
    officer = world.scope(world.grid_officer)
    appeal = new_appeal()
    with pytest.raises(ServiceError, match="请说明"):
        do_reveal_reporter_phone(officer, appeal.pk, "  ")
    no_number = new_appeal(reporter_phone="")
    with pytest.raises(ServiceError, match="没有留下电话"):
        do_reveal_reporter_phone(officer, no_number.pk, WHY)
    services.do_close(world.scope(world.dispatcher), appeal.pk, reason="重复报送")
    with pytest.raises(NotAllowed):
        do_reveal_reporter_phone(officer, appeal.pk, WHY)
    assert not AccessLog.objects.exists()


@pytest.fixture
def api(world):
    def client_for(person, lang: str = "zh-hans"):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")
        client.cookies["django_language"] = lang
        return client

    return client_for


def _reveal(client, appeal_id: int, reason: str = WHY):
    return client.post(
        f"/api/v1/appeals/{appeal_id}/reporter-phone",
        data=json.dumps({"reason": reason}),
        content_type="application/json",
    )


def test_it_serves_the_reveal_through_the_api_uncached_and_says_who_may_call(world, new_appeal, api):
    appeal = new_appeal()
    officer = api(world.grid_officer)
    detail = officer.get(f"/api/v1/appeals/{appeal.pk}").json()
    assert detail["can_call_reporter"] is True and detail["reporter"] == "刘** 139****5678"
    assert "13912345678" not in json.dumps(officer.get("/api/v1/appeals").json())  # lists stay masked

    r = _reveal(officer, appeal.pk)
    assert r.status_code == 200, r.content
    assert r.json() == {"appeal": appeal.pk, "phone": "13912345678", "tel": "tel:13912345678"}
    assert "no-store" in r["Cache-Control"]
    assert AccessLog.objects.get(what="reporter phone").why == WHY

    dispatcher = api(world.dispatcher)
    assert dispatcher.get(f"/api/v1/appeals/{appeal.pk}").json()["can_call_reporter"] is False
    refused = _reveal(dispatcher, appeal.pk)
    assert refused.status_code == 403 and "13912345678" not in refused.content.decode()
    assert "调度员" in refused.json()["detail"]  # says what to do
    assert _reveal(api(world.other_officer), appeal.pk).status_code == 404
    assert _reveal(api(world.liaison), appeal.pk).status_code == 404
    assert _reveal(officer, appeal.pk, reason="").status_code == 400
    assert AccessLog.objects.filter(what="reporter phone").count() == 1
