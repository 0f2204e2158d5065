"""Dispatch → en route → on scene → clear → close: assignments, ETA and route, response times,
the officer's notification and the events that reach the command centre and the officer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lastmeter.appeals.models import OutboxMessage
from lastmeter.dispatching import services
from lastmeter.dispatching.models import Assignment, Incident
from lastmeter.dispatching.tests.conftest import NODES, SCENE
from lastmeter.realtime.events import COMMAND_GROUP, person_group


def test_it_records_eta_and_route_and_tells_the_officer(
    world, fleet, scene_incident, layer, django_capture_on_commit_callbacks
):
    officer_ch = layer.listen(person_group(world.grid_officer.pk))
    command_ch = layer.listen(COMMAND_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        [a] = services.do_dispatch(scene_incident, [fleet.p1.pk], world.dispatcher)
    assert a.eta_s == pytest.approx(20.0, abs=0.01) and a.distance_m == pytest.approx(190.3, abs=0.5)
    assert a.route["type"] == "LineString"
    assert a.route["coordinates"] == [[NODES["B"][1], NODES["B"][0]], [NODES["C"][1], NODES["C"][0]]]
    mine = dict(layer.received(officer_ch))
    assert mine["incident.dispatched"]["route"] == [list(NODES["B"]), list(NODES["C"])]
    assert mine["incident.dispatched"]["eta_s"] == pytest.approx(20.0, abs=0.01)
    assert mine["unit.status"]["status"] == "dispatched"
    events = [e for e, _ in layer.received(command_ch)]
    assert {"incident.dispatched", "unit.status", "incident.updated"} <= set(events)
    sms = OutboxMessage.objects.get(key=f"dispatch:{a.pk}")
    assert sms.transport == "sms" and scene_incident.reference in sms.body


def test_it_measures_response_time_from_the_alarm_to_the_first_arrival(world, fleet):
    alarm = timezone.now() - timedelta(minutes=10)
    inc = services.do_create_incident(
        title="走失儿童", lat=SCENE[0], lon=SCENE[1], alarm_at=alarm, actor=world.dispatcher
    )
    services.do_dispatch(inc, [fleet.p1.pk, fleet.p2.pk], world.dispatcher)
    services.do_mark_en_route(fleet.p1, world.grid_officer)
    first = alarm + timedelta(minutes=7)
    services.do_mark_arrived(fleet.p2, world.other_officer, at=first)
    services.do_mark_arrived(fleet.p1, world.grid_officer, at=alarm + timedelta(minutes=9))
    inc.refresh_from_db()
    assert inc.first_arrival_at == first and inc.response_s == 420.0
    by_unit = {a.unit_id: a for a in Assignment.objects.filter(incident=inc)}
    assert by_unit[fleet.p2.pk].response_s == 420.0
    assert by_unit[fleet.p1.pk].response_s == 540.0 and by_unit[fleet.p1.pk].en_route_at is not None


def test_it_creates_an_incident_from_an_appeal_with_the_appeals_alarm_time(world, new_appeal):
    appeal = new_appeal()
    inc = services.do_create_incident(appeal=appeal, actor=world.dispatcher)
    assert (inc.lat, inc.lon, inc.alarm_at, inc.appeal_id) == (
        appeal.lat,
        appeal.lon,
        appeal.created_at,
        appeal.pk,
    )
    assert inc.reference.startswith("JQ") and inc.description == appeal.text
    again = services.do_create_incident(appeal=appeal, actor=world.dispatcher)
    assert again.pk == inc.pk  # a double click does not open a second incident


def test_it_refuses_incidents_without_title_or_place(world):
    with pytest.raises(services.ServiceError):
        services.do_create_incident(title=" ", lat=SCENE[0], lon=SCENE[1], actor=world.dispatcher)
    with pytest.raises(services.ServiceError):
        services.do_create_incident(title="x", actor=world.dispatcher)
    with pytest.raises(services.ServiceError):
        services.do_create_incident(title="x", lat=SCENE[0], lon=SCENE[1], priority=9, actor=world.dispatcher)


def test_it_dispatches_a_unit_without_position_without_eta(world, fleet, scene_incident):
    from lastmeter.dispatching.tests.conftest import make_unit

    foot = make_unit("W1", "police", "foot", None)
    [a] = services.do_dispatch(scene_incident, [foot.pk], world.dispatcher)
    assert a.eta_s is None and a.route is None


def test_it_clears_units_and_archives_the_group_when_closing(world, fleet, scene_incident):
    d = world.dispatcher
    services.do_dispatch(scene_incident, [fleet.p1.pk], d)
    group = services.do_open_command_group(scene_incident, d)
    services.do_mark_arrived(fleet.p1, world.grid_officer)
    services.do_close_incident(scene_incident, d, note="处置完毕")
    group.refresh_from_db()
    assert group.archived_at is not None
    assert group.messages.filter(kind="system", data__archived=True).exists()
    a = Assignment.objects.get(incident=scene_incident)
    assert a.cleared_at is not None and a.cleared_reason == "incident closed"
    inc = Incident.objects.get(pk=scene_incident.pk)
    assert inc.closing_note == "处置完毕"
    with pytest.raises(services.ServiceError, match="该指挥群已归档（警情已结束）：只能查看。"):
        services.do_post_group_message(group, d, "still there?")


def test_it_lets_the_commander_close_their_incident(world, fleet, scene_incident):
    services.do_update_incident(scene_incident, world.dispatcher, commander=world.leader)
    services.do_close_incident(scene_incident, world.leader)
    scene_incident.refresh_from_db()
    assert scene_incident.status == "closed"
