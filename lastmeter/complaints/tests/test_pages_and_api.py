"""The complaint pages and API: filing on the web, who may open what, masked and logged
contact details, the letter download, and the API's refusals."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.models import AccessLog
from lastmeter.complaints import services
from lastmeter.complaints.models import Complaint

pytestmark = pytest.mark.django_db


def _login(username: str) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    assert client.login(username=username, password="pass-" + username)
    return client


def _api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")


def test_it_takes_a_complaint_from_a_resident_on_the_web(world):
    response = Client().post(
        "/complaints/new/",
        {
            "subject_kind": "penalty_decision",
            "decision_number": "沪公（黄）行罚决字〔2026〕1234号",
            "text": "我没有在该路段逆行，请调取监控核实。",
            "complainant_name": "孙女士",
            "complainant_phone": "13700001111",
            "officer_description": "警号 031234",
        },
    )
    complaint = Complaint.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/complaints/t/{complaint.tracking_token}/"
    )
    assert complaint.channel == "web" and complaint.filed_by is None and complaint.officer is None
    page = Client().get(response["Location"]).content.decode()
    assert complaint.reference in page and "已受理" not in page


def test_it_refuses_a_web_complaint_without_a_way_to_reply(world):
    response = Client().post(
        "/complaints/new/",
        {"subject_kind": "conduct", "text": "态度恶劣", "complainant_name": "某人"},
    )
    assert response.status_code == 200 and "答复" in response.content.decode()
    assert not Complaint.objects.exists()


def test_it_gives_the_officer_concerned_404_on_the_page_the_letter_and_the_api(world, new_complaint):
    complaint = new_complaint()
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    services.do_decide(
        world.scope(world.legal_reviewer), complaint.pk, kind="uphold", reasons="处罚事实清楚，证据确实充分。"
    )
    officer = _login("officer_a")
    assert officer.get(f"/complaints/{complaint.pk}/").status_code == 404
    assert officer.get(f"/complaints/{complaint.pk}/letters/1/").status_code == 404
    assert officer.get("/stats/complaints/").status_code == 404
    assert complaint.reference not in officer.get("/complaints/").content.decode()
    api = _api(world.grid_officer)
    assert api.get(f"/api/v1/complaints/{complaint.pk}").status_code == 404
    assert api.get("/api/v1/complaints").json() == []


def test_it_masks_the_contact_for_the_leader_and_logs_the_reviewers_view(world, new_complaint):
    complaint = new_complaint()
    leader_page = _login("leader").get(f"/complaints/{complaint.pk}/").content.decode()
    assert "139****0000" in leader_page and "13912340000" not in leader_page
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    page = _login("legal").get(f"/complaints/{complaint.pk}/").content.decode()
    assert "13912340000" in page
    log = AccessLog.objects.get(object_type="complaints.complaint", person=world.legal_reviewer)
    assert log.what == "complainant contact"


def test_it_walks_the_workflow_through_the_page_forms(world, new_complaint):
    complaint = new_complaint()
    leader = _login("leader")
    url = f"/complaints/{complaint.pk}/act/"
    leader.post(url + "assign/", {"assign-reviewer": world.leader.pk})  # not a legal reviewer
    complaint.refresh_from_db()
    assert complaint.state == "received"
    leader.post(url + "assign/", {"assign-reviewer": world.legal_reviewer.pk})
    legal = _login("legal")
    legal.post(
        url + "add_evidence/", {"add_evidence-kind": "photo", "add_evidence-description": "现场卸货标志照片"}
    )
    legal.post(url + "decide/", {"decide-kind": "revoke", "decide-reasons": "现场有卸货标志，撤销罚单。"})
    complaint.refresh_from_db()
    assert complaint.state == "decided" and complaint.evidence.count() == 1
    letter = legal.get(f"/complaints/{complaint.pk}/letters/1/")
    assert letter.status_code == 200 and letter["Content-Type"].startswith("application/vnd.openxml")
    track = Client().get(f"/complaints/t/{complaint.tracking_token}/letters/1/")
    assert track.status_code == 200
    leader.post(url + "close/", {"close-reason": "答复已送达"})
    complaint.refresh_from_db()
    assert complaint.state == "closed"


def test_it_files_and_acts_through_the_api(world):
    api = _api(world.dispatcher)
    created = api.post(
        "/api/v1/complaints",
        data=json.dumps(
            {
                "channel": "hotline",
                "subject_kind": "conduct",
                "text": "执勤民警出言不逊",
                "complainant_name": "周先生",
                "complainant_phone": "13600002222",
                "officer": world.grid_officer.pk,
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert created.json()["phone"] == "13600002222"  # the dispatcher took the call
    refused = api.post(
        f"/api/v1/complaints/{cid}/actions/assign",
        data=json.dumps({"reviewer": world.leader.pk}),
        content_type="application/json",
    )
    assert refused.status_code == 403 and "法制" in refused.json()["detail"]
    ok = api.post(
        f"/api/v1/complaints/{cid}/actions/assign",
        data=json.dumps({"reviewer": world.legal_reviewer.pk}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["state"] == "in_review"
    resident_side = _api(world.building_head)
    assert resident_side.get(f"/api/v1/complaints/{cid}").status_code == 404
    assert resident_side.post(
        "/api/v1/complaints", data="{}", content_type="application/json"
    ).status_code in (403, 422)
    figures = _api(world.leader).get("/api/v1/complaints/figures").json()
    assert figures["per_officer"][0]["label"] == "张警官" and figures["replies"]["replies_due"] == 0
