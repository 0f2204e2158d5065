"""The officer concerned's own statement: they read what the complaint is about without the
complainant's details, submit once per round while it is under review, and the reviewer sees it
as evidence on the timeline; anyone else is refused (404), as are empty, second and late ones."""

from __future__ import annotations

import json

import pytest
from django.http import Http404
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.appeals.models import OutboxMessage
from lastmeter.complaints import services
from lastmeter.complaints.statements import do_submit_statement, redact_contacts
from lastmeter.lib.errors import NotAllowed, ServiceError

pytestmark = pytest.mark.django_db

TEXT_WITH_CONTACT = "我在福州路卸货被贴罚单，请联系我 139-1234-0000 或 qian@example.com。"


def _login(username: str) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    assert client.login(username=username, password="pass-" + username)
    return client


def _api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")


@pytest.fixture
def in_review(world, new_complaint):
    complaint = new_complaint(text=TEXT_WITH_CONTACT, complainant_email="qian@example.com")
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    return complaint


def test_it_takes_the_officers_own_statement_and_shows_it_to_the_reviewer(world, in_review) -> None:
    officer = _login("officer_a")
    listing = officer.get("/complaints/statements/").content.decode()
    assert in_review.reference in listing and "钱" not in listing
    page = officer.get(f"/complaints/{in_review.pk}/statement/").content.decode()
    assert "卸货被贴罚单" in page
    for secret in ("钱先生", "13912340000", "139-1234-0000", "qian@example.com"):
        assert secret not in page, secret
    r = officer.post(f"/complaints/{in_review.pk}/statement/", {"text": "当时车辆停在禁停区，已提醒两次。"})
    assert r.status_code == 302
    item = in_review.evidence.get(kind="officer_statement")
    assert (item.added_by, item.round, item.description) == (
        world.grid_officer,
        1,
        "当时车辆停在禁停区，已提醒两次。",
    )
    event = in_review.events.get(kind="evidence")
    assert event.actor == world.grid_officer and event.data["by_officer_concerned"] is True
    assert OutboxMessage.objects.filter(key__startswith=f"complaint:{in_review.pk}:statement:").count() == 1
    reviewer_page = _login("legal").get(f"/complaints/{in_review.pk}/").content.decode()
    assert "已提醒两次" in reviewer_page
    # The officer still never opens the complaint itself.
    assert officer.get(f"/complaints/{in_review.pk}/").status_code == 404


def test_it_refuses_anyone_else_and_a_second_empty_or_late_statement(world, in_review, new_complaint) -> None:
    for username in ("officer_b", "legal", "leader", "head_a"):
        assert _login(username).get(f"/complaints/{in_review.pk}/statement/").status_code == 404
        assert (
            _login(username).post(f"/complaints/{in_review.pk}/statement/", {"text": "x"}).status_code == 404
        )
    assert not in_review.evidence.exists()
    officer = world.scope(world.grid_officer)
    with pytest.raises(ServiceError, match="请填写陈述"):
        do_submit_statement(officer, in_review.pk, text="   ")
    with pytest.raises(Http404):
        do_submit_statement(world.scope(world.legal_reviewer), in_review.pk, text="代写")
    do_submit_statement(officer, in_review.pk, text="第一次陈述")
    second = _login("officer_a").post(f"/complaints/{in_review.pk}/statement/", {"text": "再补充"})
    assert second.status_code == 403 and "已就投诉" in second.content.decode()
    with pytest.raises(NotAllowed, match="已就投诉"):
        do_submit_statement(officer, in_review.pk, text="再补充")
    services.do_decide(
        world.scope(world.legal_reviewer), in_review.pk, kind="uphold", reasons="处罚事实清楚，证据确实充分。"
    )
    with pytest.raises(NotAllowed, match="只在审查期间"):
        do_submit_statement(officer, in_review.pk, text="迟到的陈述")
    assert in_review.evidence.filter(kind="officer_statement").count() == 1


def test_the_api_takes_the_statement_from_the_officer_only(world, in_review) -> None:
    api = _api(world.grid_officer)
    mine = api.get("/api/v1/complaints/about-me").json()
    assert [c["reference"] for c in mine] == [in_review.reference]
    assert "139-1234-0000" not in mine[0]["text"] and "qian@example.com" not in mine[0]["text"]
    url = f"/api/v1/complaints/{in_review.pk}/statement"
    other = _api(world.other_officer).post(
        url, data=json.dumps({"text": "x"}), content_type="application/json"
    )
    assert other.status_code == 404
    empty = api.post(url, data=json.dumps({"text": ""}), content_type="application/json")
    assert empty.status_code == 400 and "陈述" in empty.json()["detail"]
    done = api.post(url, data=json.dumps({"text": "我方陈述"}), content_type="application/json")
    assert done.status_code == 201 and done.json()["statement"] == "我方陈述"
    again = api.post(url, data=json.dumps({"text": "再次"}), content_type="application/json")
    assert again.status_code == 403
    assert _api(world.other_officer).get("/api/v1/complaints/about-me").json() == []


def test_it_takes_phone_numbers_and_emails_out_of_the_text() -> None:
    assert (
        redact_contacts("电话13912340000，邮箱a.b@c.cn，罚单号沪A01")
        == "电话【联系方式已隐去】，邮箱【联系方式已隐去】，罚单号沪A01"
    )
