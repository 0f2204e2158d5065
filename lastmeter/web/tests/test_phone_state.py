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
from lastmeter.testing.world import POINT_IN_A


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
