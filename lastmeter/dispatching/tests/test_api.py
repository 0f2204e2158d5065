"""The dispatching API: the board, positions from devices, incidents, dispatch, arrival, groups,
SOS — and scoping: an officer sees their unit, their incidents and their groups; others get 404."""

from __future__ import annotations

import pytest

from lastmeter.dispatching import services
from lastmeter.dispatching.tests.conftest import NODES, SCENE, send


@pytest.fixture
def dispatched(world, fleet, scene_incident):
    """P1 (grid officer) dispatched to the scene, with the command group open."""
    services.do_dispatch(scene_incident, [fleet.p1.pk], world.dispatcher)
    group = services.do_open_command_group(scene_incident, world.dispatcher)
    return scene_incident, group


def test_it_requires_authentication(world, client):
    for url in ["/api/v1/units", "/api/v1/incidents", "/api/v1/command-groups", "/api/v1/sos"]:
        assert client.get(url).status_code == 401


def test_it_shows_the_board_to_the_command_centre_and_only_their_unit_to_an_officer(
    world, fleet, api, settings
):
    settings.LASTMETER_STALE_POSITION_S = 120
    rows = api(world.dispatcher).get("/api/v1/units").json()
    assert [r["code"] for r in rows] == ["F1", "P1", "P2", "P3"]
    p1 = next(r for r in rows if r["code"] == "P1")
    assert p1["lat"] == NODES["B"][0] and p1["stale"] is False and p1["person"]["id"] == world.grid_officer.pk
    assert [r["code"] for r in api(world.dispatcher).get("/api/v1/units?agency=fire").json()] == ["F1"]
    officer = api(world.grid_officer)
    assert [r["code"] for r in officer.get("/api/v1/units").json()] == ["P1"]
    assert officer.get(f"/api/v1/units/{fleet.p2.pk}").status_code == 404
    assert api(world.building_head).get("/api/v1/units").json() == []


def test_it_takes_positions_only_from_the_units_own_officer(world, fleet, api):
    officer = api(world.grid_officer)
    r = send(
        officer,
        "post",
        f"/api/v1/units/{fleet.p1.pk}/positions",
        {"lat": 31.2301, "lon": 121.4699, "accuracy_m": 5},
    )
    assert r.status_code == 200 and r.json()["unit"]["lat"] == 31.2301
    assert (
        send(
            officer, "post", f"/api/v1/units/{fleet.p2.pk}/positions", {"lat": 31.23, "lon": 121.47}
        ).status_code
        == 404
    )
    r = send(
        api(world.dispatcher), "post", f"/api/v1/units/{fleet.p1.pk}/positions", {"lat": 31.23, "lon": 121.47}
    )
    assert r.status_code == 403
    r = send(officer, "post", "/api/v1/positions", {"lat": 31.2302, "lon": 121.4702})
    assert r.status_code == 200 and r.json()["unit"]["code"] == "P1"
    assert send(officer, "post", "/api/v1/positions", {"lat": 91, "lon": 121.47}).status_code == 400
    assert send(officer, "post", "/api/v1/positions", {"lat": "here"}).status_code == 422


def test_it_runs_an_incident_from_creation_to_arrival(world, fleet, api):
    d = api(world.dispatcher)
    r = send(
        d,
        "post",
        "/api/v1/incidents",
        {"title": "群众报警：有人打架", "lat": SCENE[0], "lon": SCENE[1], "priority": 4},
    )
    assert r.status_code == 201, r.content
    inc = r.json()
    assert inc["status"] == "open" and inc["reference"].startswith("JQ")
    recs = d.get(f"/api/v1/incidents/{inc['id']}/recommendations?k=2&agency=police").json()
    assert [x["code"] for x in recs if x["recommended"]] == ["P1", "P2"]
    assert recs[0]["route"][0] == list(NODES["B"]) and recs[0]["eta_s"] == pytest.approx(20.0, abs=0.01)
    r = send(d, "post", f"/api/v1/incidents/{inc['id']}/dispatch", {"unit_ids": [recs[0]["id"]]})
    assert r.status_code == 200 and r.json()["status"] == "dispatched"
    assert r.json()["assignments"][0]["eta_s"] == pytest.approx(20.0, abs=0.01)
    assert (
        send(d, "post", f"/api/v1/incidents/{inc['id']}/dispatch", {"unit_ids": [recs[0]["id"]]}).status_code
        == 409
    )
    officer = api(world.grid_officer)
    assert officer.get(f"/api/v1/incidents/{inc['id']}").status_code == 200  # now theirs
    assert send(officer, "post", f"/api/v1/incidents/{inc['id']}/en-route", {}).status_code == 200
    r = send(officer, "post", f"/api/v1/incidents/{inc['id']}/arrival", {})
    assert r.status_code == 200 and r.json()["status"] == "on_scene" and r.json()["response_s"] >= 0
    r = send(officer, "patch", f"/api/v1/units/{fleet.p1.pk}/status", {"status": "returning"})
    assert r.status_code == 200 and r.json()["status"] == "returning"
    r = send(officer, "patch", f"/api/v1/units/{fleet.p1.pk}/status", {"status": "flying"})
    assert r.status_code == 400
    assert (
        send(d, "post", f"/api/v1/incidents/{inc['id']}/close", {"note": "ok"}).json()["status"] == "closed"
    )


def test_it_refuses_what_an_officer_may_not_do(world, fleet, api, dispatched):
    inc, _ = dispatched
    officer, other = api(world.grid_officer), api(world.other_officer)
    assert officer.get(f"/api/v1/incidents/{inc.pk}/recommendations").status_code == 403
    assert (
        send(
            officer, "post", "/api/v1/incidents", {"title": "x", "lat": SCENE[0], "lon": SCENE[1]}
        ).status_code
        == 403
    )
    assert (
        send(officer, "post", f"/api/v1/incidents/{inc.pk}/dispatch", {"unit_ids": [fleet.p2.pk]}).status_code
        == 403
    )
    assert send(officer, "post", f"/api/v1/incidents/{inc.pk}/close", {}).status_code == 403
    # the other officer was not sent: the incident does not exist for them
    assert other.get(f"/api/v1/incidents/{inc.pk}").status_code == 404
    assert other.get("/api/v1/incidents").json() == []
    assert (
        send(other, "post", f"/api/v1/incidents/{inc.pk}/arrival", {"unit_id": fleet.p1.pk}).status_code
        == 404
    )
    assert (
        send(other, "patch", f"/api/v1/units/{fleet.p1.pk}/status", {"status": "off_duty"}).status_code == 404
    )
    assert api(world.dispatcher).get("/api/v1/incidents/999999").status_code == 404


def test_it_opens_the_group_once_and_keeps_its_talk_to_members(world, fleet, api, dispatched):
    inc, group = dispatched
    d = api(world.dispatcher)
    again = send(d, "post", f"/api/v1/incidents/{inc.pk}/command-group")
    assert again.status_code == 200 and again.json()["id"] == group.pk
    assert {m["id"] for m in again.json()["members"]} == {world.dispatcher.pk, world.grid_officer.pk}
    officer, other = api(world.grid_officer), api(world.other_officer)
    assert [g["id"] for g in officer.get("/api/v1/command-groups").json()] == [group.pk]
    r = send(officer, "post", f"/api/v1/command-groups/{group.pk}/messages", {"text": "收到，马上到"})
    assert r.status_code == 201
    msgs = officer.get(f"/api/v1/command-groups/{group.pk}/messages").json()
    assert msgs[-1]["text"] == "收到，马上到" and msgs[-1]["author"]["id"] == world.grid_officer.pk
    newer = officer.get(f"/api/v1/command-groups/{group.pk}/messages?after={msgs[-1]['id']}").json()
    assert newer == []
    # an outsider: no such group, for reading and for writing
    assert other.get("/api/v1/command-groups").json() == []
    assert other.get(f"/api/v1/command-groups/{group.pk}").status_code == 404
    assert other.get(f"/api/v1/command-groups/{group.pk}/messages").status_code == 404
    assert (
        send(other, "post", f"/api/v1/command-groups/{group.pk}/messages", {"text": "hi"}).status_code == 404
    )
    # staff read and write any group
    assert d.get(f"/api/v1/command-groups/{group.pk}/messages").status_code == 200
    assert (
        send(d, "post", f"/api/v1/command-groups/{group.pk}/messages", {"text": "注意安全"}).status_code
        == 201
    )


def test_it_raises_and_acknowledges_an_sos(world, fleet, api, dispatched):
    _, _group = dispatched
    officer = api(world.grid_officer)
    r = send(officer, "post", "/api/v1/sos", {"lat": SCENE[0], "lon": SCENE[1]})
    assert r.status_code == 201
    alarm = r.json()
    assert alarm["status"] == "raised" and alarm["unit"]["code"] == "P1"
    assert [a["id"] for a in api(world.dispatcher).get("/api/v1/sos").json()] == [alarm["id"]]
    other = api(world.other_officer)
    assert other.get("/api/v1/sos").json() == []
    assert send(other, "post", f"/api/v1/sos/{alarm['id']}/ack").status_code == 404
    r = send(api(world.dispatcher), "post", f"/api/v1/sos/{alarm['id']}/ack")
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    assert send(api(world.dispatcher), "post", f"/api/v1/sos/{alarm['id']}/ack").status_code == 409
    r = send(officer, "post", f"/api/v1/sos/{alarm['id']}/resolve", {"note": "安全了"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert api(world.dispatcher).get("/api/v1/sos").json() == []


def test_it_creates_an_incident_from_an_appeal_the_caller_can_see(world, api, new_appeal):
    appeal = new_appeal()
    r = send(api(world.dispatcher), "post", "/api/v1/incidents", {"appeal_id": appeal.pk})
    assert r.status_code == 201 and r.json()["appeal"] == appeal.pk
    r = send(api(world.dispatcher), "post", "/api/v1/incidents", {"appeal_id": 999999})
    assert r.status_code == 404
