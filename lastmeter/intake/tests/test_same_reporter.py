""" "The same reporter" is the same phone number when one is known, found through the number's
keyed hash: however the number is written, whatever sender id the gateway gives, and without
the number ever appearing in a query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lastmeter.appeals.models import Appeal
from lastmeter.intake import services
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.lib.fieldcrypt import phone_hash

pytestmark = pytest.mark.django_db

FIRST = "汉口路路灯坏了，晚上很黑"
FOLLOW_UP = "补充：是汉口路200号门口那盏"


def sms(text: str, phone: str, *, sender: str) -> InboundMessage:
    return InboundMessage(channel="sms", text=text, phone=phone, sender_id=sender, sender_name="居民")


def file(msg: InboundMessage, key: str):
    return services.submit(msg, key=key, body=msg.text.encode())[0]


def test_a_follow_up_from_the_same_number_written_otherwise_updates_the_reporters_appeal(world):
    first = file(sms(FIRST, "13912345678", sender="gw-a"), "s1")
    appeal = Appeal.objects.get(reporter_phone_hash=phone_hash("+86 139 1234 5678"))
    assert first.appeal == appeal
    with CaptureQueriesContext(connection) as seen:
        item = file(sms(FOLLOW_UP, "+86 139-1234-5678", sender="gw-b"), "s2")
    assert item.decision == "update" and item.appeal == appeal and Appeal.objects.count() == 1
    reads = [q["sql"] for q in seen.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert any(phone_hash("13912345678") in sql for sql in reads)  # looked up by its hash
    for sql in reads:
        assert "12345678" not in sql  # and never by the number, in any spelling


def test_one_gateway_sender_id_for_two_numbers_is_two_reporters(world):
    file(sms(FIRST, "13912345678", sender="gateway"), "s3")
    item = file(sms(FOLLOW_UP, "13787654321", sender="gateway"), "s4")
    # By the sender id alone this would have been an update to the first number's appeal.
    assert item.decision != "update" and item.appeal is None


def test_without_a_number_the_platforms_sender_id_still_tells_the_reporter(world):
    chat = dict(channel="chat_import", chat_id="g1", is_group=True)
    file(InboundMessage(text=FIRST, sender_id="u1", message_id="a", **chat), "c1")
    item = file(InboundMessage(text=FOLLOW_UP, sender_id="u1", message_id="b", **chat), "c2")
    assert item.decision == "update" and Appeal.objects.count() == 1
