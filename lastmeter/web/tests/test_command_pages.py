"""The command centre and the officer's phone: who may open them, what state they start with,
today's KPIs, and the PWA files."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lastmeter.appeals import services
from lastmeter.appeals.choices import ClockKind, ClockState
from lastmeter.appeals.models import Appeal, Clock
from lastmeter.dispatching.models import Assignment, CommandGroup, Incident, SosAlarm, Unit
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B
from lastmeter.web.command_selectors import day_start, today_kpis


def _client(person, lang: str | None = None) -> Client:
    client = Client()
    client.force_login(person.user)
    if lang:
        client.cookies["django_language"] = lang
    return client


def _state(response, block: str = "lm-state") -> dict:
    html = response.content.decode()
    start = html.index(f'id="{block}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def board(world):
    """Two units (one crewed by the grid officer), an incident with an assignment, an SOS."""
    car = Unit.objects.create(
        code="P-01",
        name="巡逻车1",
        agency="police",
        unit_type="patrol_car",
        person=world.grid_officer,
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        position_at=timezone.now(),
        status="dispatched",
    )
    van = Unit.objects.create(
        code="U-01", name="城管车", agency="urban_management", unit_type="enforcement_van", lat=POINT_IN_B[0]
    )
    incident = Incident.objects.create(
        title="路口斗殴", lat=POINT_IN_A[0] + 0.001, lon=POINT_IN_A[1], status="dispatched", address="福州路"
    )
    Assignment.objects.create(
        incident=incident,
        unit=car,
        eta_s=180,
        route={"type": "LineString", "coordinates": [[121.47, 31.23], [121.47, 31.231]]},
    )
    group = CommandGroup.objects.create(incident=incident, name="路口斗殴指挥群")
    sos = SosAlarm.objects.create(person=world.grid_officer, unit=car, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    return {"car": car, "van": van, "incident": incident, "group": group, "sos": sos}


def test_it_shows_the_command_centre_to_the_dispatcher_with_its_initial_state(world, board, new_appeal):
    new_appeal()
    response = _client(world.dispatcher).get("/command/")
    assert response.status_code == 200
    state = _state(response)
    assert {u["code"] for u in state["units"]} == {"P-01", "U-01"}
    [incident] = state["incidents"]
    assert incident["command_group"] == board["group"].pk
    assert incident["units"] == [board["car"].pk]
    assert len(state["appeals"]) == 1 and state["appeals"][0]["due_at"]
    assert {f["properties"]["code"] for f in state["grids"]["features"]} == {"grid-a", "grid-b"}
    assert [s["id"] for s in state["sos"]] == [board["sos"].pk]
    assert state["kpis"]["appeals_received"] == 1
    # Everything after this arrives over the websocket; the page says where.
    assert '"ws": "/ws/live/"' in response.content.decode()


def test_it_reads_the_board_in_a_bounded_number_of_queries(
    world, board, new_appeal, django_assert_max_num_queries
):
    for _ in range(5):
        new_appeal()
    for k in range(5):
        Incident.objects.create(title=f"事件{k}", lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    client = _client(world.dispatcher)
    client.get("/command/")  # warm the session and translations
    with django_assert_max_num_queries(40):
        assert client.get("/command/").status_code == 200


def test_it_speaks_chinese_by_default_and_english_on_request(world, board):
    zh = _client(world.dispatcher).get("/command/")
    assert "指挥中心" in zh.content.decode()
    assert _state(zh, "lm-config")["strings"]["dispatch"] == "派警"  # the scripts' strings too
    en = _client(world.dispatcher, lang="en").get("/command/")
    assert "Command centre" in en.content.decode() and "指挥中心" not in en.content.decode()
    assert _state(en, "lm-config")["strings"]["dispatch"] == "Dispatch"


def test_it_sends_officers_to_their_phone_page_and_strangers_to_the_login(world, board):
    response = _client(world.grid_officer).get("/command/")
    assert response.status_code == 302 and response["Location"] == "/phone/"
    assert Client().get("/command/")["Location"].startswith("/accounts/login/")
    assert Client().get("/phone/")["Location"].startswith("/accounts/login/")
    assert _client(world.grid_officer).get("/command/kpis.json").status_code == 403


def test_it_gives_the_officer_their_unit_orders_and_appeals(world, board, new_appeal):
    mine = new_appeal()
    services.do_assign(
        world.scope(world.dispatcher),
        new_appeal(lat=POINT_IN_B[0], lon=POINT_IN_B[1]).pk,
        person=world.other_officer,
    )
    response = _client(world.grid_officer).get("/phone/")
    assert response.status_code == 200
    state = _state(response)
    assert state["unit"]["code"] == "P-01"
    [order] = state["orders"]
    assert order["incident"] == board["incident"].pk
    assert order["route"] == [[31.23, 121.47], [31.231, 121.47]]  # [lat, lon] for Leaflet
    assert order["group"] == board["group"].pk
    assert [a["id"] for a in state["appeals"]] == [mine.pk]
    assert 'rel="manifest"' in response.content.decode()


def test_it_tells_an_officer_without_a_unit_so(world):
    response = _client(world.other_officer, lang="en").get("/phone/")
    assert response.status_code == 200
    assert _state(response)["unit"] is None
    assert "not assigned to a unit" in response.content.decode()


def test_it_counts_todays_figures(world, new_appeal):
    now = timezone.now()
    start = day_start(now)
    today = [new_appeal() for _ in range(3)]
    old = new_appeal()
    Appeal.objects.filter(pk=old.pk).update(created_at=start - timedelta(hours=2))
    Clock.objects.filter(appeal=today[0], kind=ClockKind.LAND).update(state=ClockState.MET, met_at=now)
    Clock.objects.filter(appeal=today[1], kind=ClockKind.LAND).update(state=ClockState.MET_LATE, met_at=now)
    Clock.objects.filter(appeal=today[2]).update(state=ClockState.BREACHED)
    for response_s in (240.0, 600.0, 420.0):
        Incident.objects.create(title="x", lat=0, lon=0, alarm_at=now, response_s=response_s, status="closed")
    Incident.objects.create(title="y", lat=0, lon=0, alarm_at=now)
    Incident.objects.create(title="yesterday", lat=0, lon=0, alarm_at=start - timedelta(minutes=1))

    k = today_kpis(now)
    assert k["appeals_received"] == 3
    assert (k["landed_on_time"], k["landed_late"]) == (1, 1)
    assert k["overdue"] == 1
    assert (k["incidents"], k["incidents_open"]) == (4, 1)
    assert k["response_median_s"] == 420 and k["response_max_s"] == 600
    assert k["response_times_s"] == [240, 420, 600]
    assert sum(k["appeals_by_hour"]) == 3 and sum(k["incidents_by_hour"]) == 4


def test_it_serves_the_kpis_to_the_board(world):
    data = _client(world.dispatcher).get("/command/kpis.json").json()
    assert data["appeals_received"] == 0 and data["response_median_s"] is None


def test_it_serves_an_installable_web_app(world):
    manifest = Client().get("/phone/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == "/phone/" and data["display"] == "standalone"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    sw = Client().get("/phone/sw.js")
    assert sw["Content-Type"].startswith("application/javascript")
    body = sw.content.decode()
    assert "/static/web/phone/phone.js" in body and "caches.open" in body
