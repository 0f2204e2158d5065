"""The mediation pages and API: opening a case from an appeal on the page, the refusals shown on
the page, the other grid's officer refused, the API's actions."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.models import AccessLog
from lastmeter.mediation.models import MediationCase

pytestmark = pytest.mark.django_db


def _login(username: str) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    assert client.login(username=username, password="pass-" + username)
    return client


def _api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")


def _post(client: Client, url: str, data: dict):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_it_opens_a_case_from_an_appeal_on_the_page(world, new_appeal):
    appeal = new_appeal(text="邻居家的狗整夜叫，沟通无果", address="福州路1号楼")
    officer = _login("officer_a")
    response = officer.post(
        "/mediation/new/",
        {
            "appeal_reference": appeal.reference,
            "dispute_type": "neighbour",
            "summary": "犬只夜间吠叫引发邻里矛盾",
            "mediator": world.grid_officer.pk,
            "mediator_kind": "community_police",
            "respondent_name": "王先生",
            "respondent_phone": "13822223333",
        },
    )
    case = MediationCase.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/mediation/{case.pk}/"
    assert case.appeal == appeal and case.community == world.community_a
    page = officer.get(response["Location"]).content.decode()
    assert "王先生" in page and "刘女士" in page and "尚未同意调解" in page
    assert AccessLog.objects.filter(object_type="mediation.mediationcase", person=world.grid_officer).exists()
    # The other grid's officer can neither open the page nor find the appeal to open a case.
    other = _login("officer_b")
    assert other.get(f"/mediation/{case.pk}/").status_code == 404
    refused = other.post(
        "/mediation/new/",
        {
            "appeal_reference": appeal.reference,
            "dispute_type": "neighbour",
            "summary": "x",
            "mediator": world.other_officer.pk,
            "mediator_kind": "community_police",
        },
    )
    assert refused.status_code == 200 and MediationCase.objects.count() == 1
    assert _login("head_a").get("/mediation/new/").status_code == 404


def test_it_shows_the_refusal_of_a_session_without_consent_on_the_page(world, open_case):
    case = open_case()
    officer = _login("officer_a")
    response = officer.post(
        f"/mediation/{case.pk}/act/session/",
        {
            "session-held_at": "2026-03-02T10:00",
            "session-place": "调解室",
            "session-attendees": "双方",
            "session-notes": "陈述",
        },
        follow=True,
    )
    assert "调解须自愿" in response.content.decode()
    assert not case.sessions.exists()


def test_it_walks_a_case_through_the_api_and_refuses_a_one_sided_agreement(world, open_case):
    case = open_case()
    api = _api(world.grid_officer)
    url = f"/api/v1/mediation/cases/{case.pk}/actions/"
    parties = [p["id"] for p in api.get(f"/api/v1/mediation/cases/{case.pk}").json()["parties"]]
    for pid in parties:
        assert _post(api, url + "consent", {"party": pid, "how": "签字"}).status_code == 200
    assert (
        _post(api, url + "session", {"place": "调解室", "attendees": "双方", "notes": "陈述"}).status_code
        == 200
    )
    assert _post(api, url + "draft_agreement", {"text": "和解", "terms": "互相道歉"}).status_code == 200
    assert _post(api, url + "confirm", {"party": parties[0], "how": "签字"}).status_code == 200
    refused = _post(api, url + "conclude", {})
    assert refused.status_code == 403 and "双方当事人确认" in refused.json()["detail"]
    assert _post(api, url + "confirm", {"party": parties[1], "how": "签字"}).status_code == 200
    done = _post(api, url + "conclude", {})
    assert (
        done.status_code == 200 and done.json()["state"] == "agreed" and len(done.json()["follow_ups"]) == 3
    )
    assert _api(world.other_officer).get(f"/api/v1/mediation/cases/{case.pk}").status_code == 404
    figures = _api(world.leader).get("/api/v1/mediation/figures").json()
    assert figures["success"] == {"concluded": 1, "agreed": 1, "partial": 0, "failed": 0, "success_rate": 1.0}
    assert _api(world.building_head).get("/api/v1/mediation/figures").status_code == 403
