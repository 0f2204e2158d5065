"""Rating and contesting: only the reporter, once per resolution, contests limited and recorded.

The tracking link is posted in group chats, so it is not enough: a one-time code goes privately
to the reporter (SMS to their phone, else e-mail; never the chat) and must come back with the
rating or the contest. The refusals below are each what someone in the group with only the link,
or a reporter trying twice, would meet.
"""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from lastmeter.appeals import feedback, services
from lastmeter.appeals.choices import AppealState, EventKind
from lastmeter.appeals.models import FeedbackCode, OutboxMessage, Rating
from lastmeter.testing.world import POINT_IN_A

ENGLISH = {"accept-language": "en"}


@pytest.fixture
def resolved(world, new_appeal):
    """Factory: an appeal landed and resolved by the grid officer."""

    def make(**overrides):
        appeal = new_appeal(**overrides)
        officer = world.scope(world.grid_officer)
        services.do_acknowledge(officer, appeal.pk)
        services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
        services.do_resolve(officer, appeal.pk, resolution="已劝离")
        appeal.refresh_from_db()
        return appeal

    return make


def reresolve(world, appeal):
    officer = world.scope(world.grid_officer)
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="再次处理")


def sms_code(appeal) -> str:
    """The reporter reads the newest code from the SMS the outbox holds for their phone."""
    sms = (
        OutboxMessage.objects.filter(appeal=appeal, key__startswith="feedback-code:").order_by("-id").first()
    )
    assert sms is not None and sms.transport == "sms" and sms.recipient == {"phone": "13912345678"}
    return re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]


def test_it_refuses_someone_with_only_the_group_chat_link(world, resolved):
    appeal = resolved(channel="telegram", channel_ref={"chat_id": -100123, "message_id": 7})
    group_member = Client()  # has the link from the chat reply, nothing else
    token = appeal.tracking_token
    r = group_member.post(
        f"/api/v1/track/{token}/rate", {"score": 1}, content_type="application/json", headers=ENGLISH
    )
    assert r.status_code == 400 and "Ask for a code first" in r.json()["detail"]
    r = group_member.post(
        f"/api/v1/track/{token}/contest",
        {"reason": "瞎说", "code": "000000"},
        content_type="application/json",
    )
    assert r.status_code == 400
    group_member.post(f"/t/{token}/feedback/", {"score": "1", "code": "123456"})
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED and not Rating.objects.filter(appeal=appeal).exists()
    # Asking for a code sends it to the reporter's phone, never to the chat group.
    r = group_member.post(f"/api/v1/track/{token}/code")
    assert r.status_code == 200 and r.json()["sent_to"].endswith("139****5678")
    code_messages = OutboxMessage.objects.filter(appeal=appeal, key__startswith="feedback-code:")
    assert [m.transport for m in code_messages] == ["sms"]
    assert not any(
        re.search(r"\b\d{6}\b", m.body)
        for m in OutboxMessage.objects.filter(transport__startswith="channel:")
    )
    # Guessing is bounded: after five wrong codes even the right one is refused.
    for _ in range(5):
        group_member.post(
            f"/api/v1/track/{token}/rate", {"score": 1, "code": "999999"}, content_type="application/json"
        )
    assert FeedbackCode.objects.get(appeal=appeal).attempts == 5
    r = group_member.post(
        f"/api/v1/track/{token}/rate", {"score": 1, "code": sms_code(appeal)}, content_type="application/json"
    )
    assert r.status_code == 400
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED


def test_it_lets_the_reporter_rate_once_and_shows_it_on_the_timeline(world, resolved, client):
    appeal = resolved()
    token = appeal.tracking_token
    client.post(f"/t/{token}/code/")
    r = client.post(f"/t/{token}/feedback/", {"score": "4", "comment": "还算及时", "code": sms_code(appeal)})
    assert r.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.CLOSED
    assert Rating.objects.get(appeal=appeal).score == 4
    assert appeal.events.filter(kind=EventKind.RATED, data__score=4).exists()
    page = client.get(f"/t/{token}/").content.decode()
    assert "还算及时" in page and ("4 of 5" in page or "4 分" in page)
    data = client.get(f"/api/v1/track/{token}").json()
    assert any(e["kind"] == "rated" for e in data["events"]) and data["can_rate"] is False
    # A second rating of the same resolution is refused, even with a fresh code (a code may still
    # be asked for: the reporter may contest a resolution they rated).
    with time_machine.travel(appeal.closed_at.timestamp() + 120):
        code = feedback.issue_feedback_code(token).code
        with translation.override("en"), pytest.raises(services.ServiceError, match="already rated"):
            services.do_rate(token, code=code, score=5)
    assert FeedbackCode.objects.filter(appeal=appeal, used_at__isnull=True).count() == 1
    assert Rating.objects.filter(appeal=appeal, contested=False).count() == 1


@pytest.mark.parametrize("score", [0, 6, "abc", "", "4.5", -1, None, True])
def test_it_refuses_an_invalid_rating_with_a_message(world, resolved, client, score):
    appeal = resolved()
    code = feedback.issue_feedback_code(appeal.tracking_token).code
    r = client.post(
        f"/api/v1/track/{appeal.tracking_token}/rate",
        {"score": score, "code": code},
        content_type="application/json",
        headers=ENGLISH,
    )
    assert r.status_code == 400 and "whole number from 1 to 5" in r.json()["detail"]
    page = client.post(
        f"/t/{appeal.tracking_token}/feedback/",
        {"score": "" if score is None else str(score), "code": code},
        headers=ENGLISH,
        follow=True,
    )
    assert "whole number from 1 to 5" in page.content.decode()
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED and not Rating.objects.exists()
    assert FeedbackCode.objects.get(appeal=appeal).used_at is None  # the code is still good


def test_it_limits_contests_to_two_and_records_each(world, resolved, settings):
    settings.LASTMETER_FEEDBACK_CODE_INTERVAL_S = 0
    appeal = resolved()
    token = appeal.tracking_token
    for n, reason in enumerate(["车又停回来了", "还是有车"], start=1):
        services.do_contest(token, code=feedback.issue_feedback_code(token).code, reason=reason)
        appeal.refresh_from_db()
        assert appeal.state == AppealState.REOPENED
        assert appeal.events.filter(
            kind=EventKind.STATE, to_state="reopened", data__contest=n, note=reason
        ).exists()
        reresolve(world, appeal)
    assert list(Rating.objects.filter(appeal=appeal, contested=True).values_list("comment", flat=True)) == [
        "车又停回来了",
        "还是有车",
    ]
    # The third contest is refused, even with a good code, and the page no longer offers it.
    code = feedback.issue_feedback_code(token).code
    with (
        translation.override("en"),
        pytest.raises(services.ServiceError, match="already been contested 2 times"),
    ):
        services.do_contest(token, code=code, reason="第三次")
    assert 'data-testid="contest-form"' not in Client().get(f"/t/{token}/").content.decode()
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED
    data = Client().get(f"/api/v1/track/{token}").json()
    assert data["can_contest"] is False and data["contests_left"] == 0 and data["can_rate"] is True
    # Rating is still possible after the last contest's resolution (the unused code still works).
    services.do_rate(token, code=code, score=2)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.CLOSED


def test_it_refuses_a_code_that_expired_or_was_used(world, resolved, settings):
    settings.LASTMETER_FEEDBACK_CODE_INTERVAL_S = 0
    appeal = resolved()
    token = appeal.tracking_token
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        code = feedback.issue_feedback_code(token).code
        t.shift(16 * 60)
        with translation.override("en"), pytest.raises(services.ServiceError, match="Ask for a code"):
            services.do_rate(token, code=code, score=5)
        code = feedback.issue_feedback_code(token).code
        services.do_contest(token, code=code, reason="没解决")
        reresolve(world, appeal)
        with translation.override("en"), pytest.raises(services.ServiceError, match="Ask for a code"):
            services.do_rate(token, code=code, score=5)  # used up by the contest


def test_it_does_not_let_the_link_flood_the_reporter_with_codes(world, resolved):
    appeal = resolved()
    token = appeal.tracking_token
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        feedback.issue_feedback_code(token)
        with translation.override("en"), pytest.raises(services.ServiceError, match="less than a minute"):
            feedback.issue_feedback_code(token)
        for _ in range(4):
            t.shift(61)
            feedback.issue_feedback_code(token)
        t.shift(61)
        with translation.override("en"), pytest.raises(services.ServiceError, match="Too many codes"):
            feedback.issue_feedback_code(token)
    assert FeedbackCode.objects.filter(appeal=appeal).count() == 5


def test_it_says_so_when_the_reporter_left_no_private_contact(world, resolved, client):
    appeal = resolved(reporter_phone="", channel="telegram", channel_ref={"chat_id": -100123})
    page = client.post(f"/t/{appeal.tracking_token}/code/", headers=ENGLISH, follow=True).content.decode()
    assert "no phone number or e-mail" in page
    assert not FeedbackCode.objects.exists()


def test_it_sends_the_code_by_email_when_there_is_no_phone(world, resolved):
    appeal = resolved(reporter_phone="", reporter_email="liu@example.com")
    issued = feedback.issue_feedback_code(appeal.tracking_token)
    mail = OutboxMessage.objects.get(appeal=appeal, key__startswith="feedback-code:")
    assert mail.transport == "email" and mail.recipient == {"email": "liu@example.com"}
    assert issued.code in mail.body and appeal.tracking_token in mail.body
    assert "l***@example.com" in issued.destination
