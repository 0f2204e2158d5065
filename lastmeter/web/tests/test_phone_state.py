"""What the officer's phone starts with: each appeal with exactly the actions the server would
accept from this viewer now, the reporter masked, and the SOS wording (acknowledged is not resolved)."""

from __future__ import annotations

import json
import re

from django.test import Client
from django.utils import translation

from lastmeter.appeals import services, transfers
from lastmeter.appeals.selectors import available_actions
from lastmeter.dispatching.choices import SosStatus
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B


def _phone(person, lang: str = "zh-hans"):
    client = Client()
    client.force_login(person.user)
    client.cookies["django_language"] = lang
    response = client.get("/phone/")
    assert response.status_code == 200
    return response


def _block(response, name: str) -> dict:
    html = response.content.decode()
    start = html.index(">", html.index(f'id="{name}"')) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_it_offers_each_appeal_exactly_the_actions_its_state_allows(world, new_appeal):
    officer = world.scope(world.grid_officer)
    received = new_appeal()
    landed = new_appeal(text="九江路有车堵住出口")
    services.do_acknowledge(officer, landed.pk)
    services.do_land(officer, landed.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    accepted = new_appeal(text="小区门口有人摆摊占道", category=world.department_category)
    transfers.do_accept_transfer(world.scope(world.liaison), accepted.pk)

    rows = {row["id"]: row for row in _block(_phone(world.grid_officer), "lm-state")["appeals"]}
    assert set(rows) == {received.pk, landed.pk, accepted.pk}
    for appeal in (received, landed, accepted):
        appeal.refresh_from_db()
        assert rows[appeal.pk]["actions"] == available_actions(officer, appeal)  # the server's own list
    assert {"acknowledge"} <= set(rows[received.pk]["actions"])
    assert not {"contact", "land"} & set(rows[received.pk]["actions"])
    assert "resolve" in rows[landed.pk]["actions"]
    assert not {"acknowledge", "contact", "land"} & set(rows[landed.pk]["actions"])
    assert not {"acknowledge", "contact", "land", "resolve"} & set(rows[accepted.pk]["actions"])
    assert all(row["can_call_reporter"] for row in rows.values())


def test_it_shows_the_reporter_masked_and_never_the_full_number(world, new_appeal):
    appeal = new_appeal()
    response = _phone(world.grid_officer)
    [row] = _block(response, "lm-state")["appeals"]
    assert row["id"] == appeal.pk and row["reporter"] == "刘** 139****5678"
    assert "13912345678" not in response.content.decode()


def test_it_lets_only_the_assignee_or_the_grids_officer_call(world, new_appeal):
    appeal = new_appeal()
    services.do_assign(world.scope(world.dispatcher), appeal.pk, person=world.grid_member)
    [row] = _block(_phone(world.grid_member), "lm-state")["appeals"]
    assert row["can_call_reporter"] is True
    # The other grid's officer has nothing of grid A on their phone.
    assert _block(_phone(world.other_officer), "lm-state")["appeals"] == []


def test_it_shows_the_officer_the_open_appeals_of_their_grid_not_only_their_own(world, new_appeal):
    dispatcher = world.scope(world.dispatcher)
    held_by_member = new_appeal(text="福州路口路灯不亮")
    held_by_member = services.do_assign(dispatcher, held_by_member.pk, person=world.grid_member)
    mine = new_appeal(text="九江路有车堵住出口")
    in_b = new_appeal(text="云南中路有人占道", lat=POINT_IN_B[0], lon=POINT_IN_B[1])
    assert in_b.grid == world.grid_b and held_by_member.assignee == world.grid_member

    # Grid A's officer acts on every appeal of grid A (the member's too), never on grid B's.
    rows = {row["id"]: row for row in _block(_phone(world.grid_officer), "lm-state")["appeals"]}
    assert set(rows) == {held_by_member.pk, mine.pk}
    assert "acknowledge" in rows[held_by_member.pk]["actions"]
    # Grid B's officer sees grid B's appeal only.
    rows_b = _block(_phone(world.other_officer), "lm-state")["appeals"]
    assert [row["id"] for row in rows_b] == [in_b.pk]
    # The grid member sees the appeals of their grid they may act on.
    member_rows = {row["id"] for row in _block(_phone(world.grid_member), "lm-state")["appeals"]}
    assert member_rows == {held_by_member.pk, mine.pk}


def test_it_refuses_an_officer_acting_on_another_grids_appeal_from_the_phone(world, new_appeal):
    in_b = new_appeal(text="云南中路有人占道", lat=POINT_IN_B[0], lon=POINT_IN_B[1])
    client = Client()
    client.force_login(world.grid_officer.user)
    response = client.post(
        f"/api/v1/appeals/{in_b.pk}/actions/acknowledge", {}, content_type="application/json"
    )
    assert response.status_code == 404  # another grid's appeal: not there, as if missing
    in_b.refresh_from_db()
    assert in_b.state == "received"
    # A resolved appeal of the officer's own grid leaves the phone: nothing left to do on it.
    done = new_appeal()
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, done.pk)
    services.do_land(officer, done.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, done.pk, resolution="已处理")
    assert _block(_phone(world.grid_officer), "lm-state")["appeals"] == []


def test_it_reads_the_phone_in_a_bounded_number_of_queries(world, new_appeal, django_assert_max_num_queries):
    for n in range(8):
        new_appeal(text=f"第{n}个诉求：路口有车违停")
    with django_assert_max_num_queries(45):
        _phone(world.grid_officer)


def test_it_says_an_acknowledged_sos_is_being_handled_not_resolved(world):
    strings = _block(_phone(world.grid_officer), "lm-config")["strings"]
    assert strings["sos.acknowledged"] == "已确认/处置中"
    assert strings["sos.raised"] == "求助中"
    assert "已解决" not in {strings["sos.acknowledged"], strings["sos.resolved"]}
    with translation.override("zh-hans"):
        assert str(SosStatus.ACKNOWLEDGED.label) == "已确认/处置中"
    with translation.override("en"):
        assert str(SosStatus.ACKNOWLEDGED.label) == "Acknowledged, being handled"
    english = _block(_phone(world.grid_officer, lang="en"), "lm-config")["strings"]
    assert english["mark_landed"] == "Confirm arrival on site" and english["call"] == "Call the reporter"


def test_it_versions_the_offline_cache_by_the_assets_it_holds(world):
    body = Client().get("/phone/sw.js").content.decode()
    assert re.search(r'const CACHE = "lastmeter-phone-[0-9a-f]{12}";', body)
