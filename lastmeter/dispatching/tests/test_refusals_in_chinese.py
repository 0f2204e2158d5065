"""Every refusal of the dispatching services and API reads in the viewer's language and says why and
what to do: a grid officer asking for recommendations, another grid's officer acting on a unit, a
status the table does not allow (with the step that leads there), a closed incident, an SOS
acknowledged by someone with no group in common."""

from __future__ import annotations

import pytest
from django.utils import translation

from lastmeter.dispatching import services
from lastmeter.dispatching.models import Unit
from lastmeter.dispatching.tests.conftest import SCENE, send


def detail(response) -> str:
    return response.json()["detail"]


def test_it_refuses_an_officer_the_command_centres_work_in_chinese(world, fleet, api, scene_incident):
    services.do_dispatch(scene_incident, [fleet.p1.pk], world.dispatcher)  # the officer's car: they see it
    officer = api(world.grid_officer)
    r = officer.get(f"/api/v1/incidents/{scene_incident.pk}/recommendations")
    assert r.status_code == 403 and detail(r) == "只有指挥中心可以获取派警推荐。"
    r = send(officer, "post", "/api/v1/incidents", {"title": "路口斗殴", "lat": SCENE[0], "lon": SCENE[1]})
    assert r.status_code == 403
    assert detail(r) == "只有指挥中心（调度员、所领导）可以新建警情：请联系值班调度员。"
    r = send(officer, "post", f"/api/v1/incidents/{scene_incident.pk}/dispatch", {"unit_ids": [fleet.p2.pk]})
    assert (
        r.status_code == 403 and detail(r) == "只有指挥中心（调度员、所领导）可以派出单位：请联系值班调度员。"
    )
    r = api(world.dispatcher).get(f"/api/v1/incidents/{scene_incident.pk}/recommendations?k=99")
    assert r.status_code == 400 and detail(r) == "推荐数量须在 1 到 50 之间。"


def test_it_hides_another_officers_unit_in_chinese(world, fleet, api):
    r = send(api(world.other_officer), "patch", f"/api/v1/units/{fleet.p1.pk}/status", {"status": "off_duty"})
    assert r.status_code == 404 and detail(r) == "没有这个单位，或您无权查看。"
    with pytest.raises(services.NotAllowed) as refused:
        services.do_set_unit_status(fleet.p1, "off_duty", world.other_officer)
    assert str(refused.value) == "只有指挥中心或该单位的持机民警可以更改该单位的状态。"
    assert Unit.objects.get(pk=fleet.p1.pk).status == "available"


def test_it_says_which_step_leads_to_a_refused_status(world, fleet, scene_incident):
    services.do_dispatch(scene_incident, [fleet.p1.pk], world.dispatcher)
    services.do_set_unit_status(fleet.p2, "off_duty", world.dispatcher)
    with pytest.raises(services.TransitionError) as refused:
        services.do_dispatch(scene_incident, [fleet.p2.pk], world.dispatcher)
    assert str(refused.value) == "单位 P2 当前为「下班」，不能直接改为「已派出」；请先改为「空闲」。"
    with translation.override("en"), pytest.raises(services.TransitionError) as refused:
        services.do_dispatch(scene_incident, [fleet.p2.pk], world.dispatcher)
    assert str(refused.value) == (
        "unit P2 is “Off duty”: it cannot become “Dispatched” directly; first make it “Available”."
    )


def test_it_refuses_units_for_a_closed_incident_and_an_archived_group(world, fleet, api, scene_incident):
    services.do_dispatch(scene_incident, [fleet.p1.pk], world.dispatcher)
    group = services.do_open_command_group(scene_incident, world.dispatcher)
    services.do_close_incident(scene_incident, world.dispatcher)
    dispatcher = api(world.dispatcher)
    r = send(
        dispatcher, "post", f"/api/v1/incidents/{scene_incident.pk}/dispatch", {"unit_ids": [fleet.p2.pk]}
    )
    assert r.status_code == 409
    assert detail(r) == f"警情 {scene_incident.reference} 已结束：不能再派出单位。如仍需支援，请新建警情。"
    r = send(dispatcher, "post", f"/api/v1/incidents/{scene_incident.pk}/close", {})
    assert r.status_code == 409
    assert detail(r) == f"警情 {scene_incident.reference} 当前为「已办结」，这是最终状态，不能再更改。"
    r = send(dispatcher, "post", f"/api/v1/command-groups/{group.pk}/messages", {"text": "收到"})
    assert r.status_code == 400 and detail(r) == "该指挥群已归档（警情已结束）：只能查看。"


def test_it_refuses_an_sos_acknowledgement_from_outside_the_officers_groups(world, fleet, api):
    alarm = services.do_raise_sos(world.grid_officer, SCENE[0], SCENE[1], actor=world.grid_officer)
    r = send(api(world.other_officer), "post", f"/api/v1/sos/{alarm.pk}/ack", {})
    assert r.status_code in (403, 404)
    with pytest.raises(services.NotAllowed) as refused:
        services.do_ack_sos(alarm, world.other_officer)
    assert str(refused.value) == "只有指挥中心或与该民警同在一个指挥群的成员可以确认此求助。"
    with pytest.raises(services.NotAllowed) as refused:
        services.do_raise_sos(world.grid_officer, SCENE[0], SCENE[1], actor=world.other_officer)
    assert str(refused.value) == "一键求助只能由遇险本人用自己的手机发起。"
    services.do_resolve_sos(alarm, world.grid_officer)
    with pytest.raises(services.TransitionError) as refused:
        services.do_ack_sos(alarm, world.dispatcher)
    assert str(refused.value) == "此求助 当前为「已解除（人员安全）」，这是最终状态，不能再更改。"
