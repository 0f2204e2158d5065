"""Notifications through the outbox: retries with back-off, parking, crash safety, no doubles."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from lastmeter.appeals import services
from lastmeter.appeals.choices import OutboxState
from lastmeter.appeals.models import DeliveryReceipt, OutboxMessage
from lastmeter.appeals.notify import outbox
from lastmeter.appeals.notify.backends import DeliveryError, NotYet, Undeliverable

calls: list[str] = []


class FlakySms:
    """Fails the first two attempts of every message, like a provider having a bad minute."""

    failures: dict[str, int] = {}

    def send(self, message):
        n = FlakySms.failures.get(message.key, 0)
        if n < 2:
            FlakySms.failures[message.key] = n + 1
            raise DeliveryError("provider timeout")
        calls.append(message.key)


class DeadSms:
    def send(self, message):
        raise DeliveryError("provider down")


class GoneSms:
    def send(self, message):
        raise Undeliverable("number does not exist")


class PacedSms:
    """Says "not yet" until the clock reaches 09:00:30, then takes the message."""

    turn = datetime(2026, 3, 2, 9, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))

    def send(self, message):
        if timezone.now() < self.turn:
            raise NotYet(self.turn)
        calls.append(message.key)


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    FlakySms.failures = {}


def test_it_notifies_the_reporter_at_acknowledgement_landing_and_resolution(world, new_appeal):
    from lastmeter.testing.world import POINT_IN_A

    appeal = new_appeal()
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, appeal.pk)
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="已处理")
    kinds = [
        m.key.split(":")[2]
        for m in OutboxMessage.objects.filter(appeal=appeal, transport="sms")
        if m.recipient.get("phone") == "13912345678"  # encrypted at rest: compared once read
    ]
    assert kinds == ["acknowledged", "landed", "resolved"]


def test_it_retries_with_backoff_until_the_provider_takes_it(world, new_appeal, settings):
    settings.LASTMETER_SMS_BACKEND = "lastmeter.appeals.tests.test_outbox.FlakySms"
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        appeal = new_appeal()
        services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
        msg = OutboxMessage.objects.get(appeal=appeal, key__contains=":acknowledged:")
        assert outbox.deliver_due()["retried"] >= 1
        msg.refresh_from_db()
        assert msg.state == OutboxState.PENDING and msg.attempts == 1 and "timeout" in msg.last_error
        assert outbox.deliver_due()["sent"] == 0  # not due yet: backing off
        t.shift(settings.LASTMETER_OUTBOX_BACKOFF_S + 1)
        outbox.deliver_due()
        t.shift(2 * settings.LASTMETER_OUTBOX_BACKOFF_S + 1)
        outbox.deliver_due()
        msg.refresh_from_db()
        assert msg.state == OutboxState.SENT and msg.attempts == 3
        assert calls.count(msg.key) == 1


def test_it_parks_a_message_after_the_last_attempt_and_staff_can_retry(world, new_appeal, settings):
    settings.LASTMETER_SMS_BACKEND = "lastmeter.appeals.tests.test_outbox.DeadSms"
    settings.LASTMETER_OUTBOX_MAX_ATTEMPTS = 2
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        appeal = new_appeal()
        services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
        msg = OutboxMessage.objects.get(appeal=appeal, key__contains=":acknowledged:")
        for _ in range(3):
            outbox.deliver_due()
            t.shift(3600)
        msg.refresh_from_db()
        assert msg.state == OutboxState.FAILED and msg.attempts == 2
        assert outbox.retry_failed(msg.pk) is True
        msg.refresh_from_db()
        assert msg.state == OutboxState.PENDING


def test_an_undeliverable_message_is_parked_at_once(world, new_appeal, settings):
    settings.LASTMETER_SMS_BACKEND = "lastmeter.appeals.tests.test_outbox.GoneSms"
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False):
        appeal = new_appeal()
        services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
        msg = OutboxMessage.objects.get(appeal=appeal, key__contains=":acknowledged:")
        assert outbox.deliver_one(msg.pk) == "failed"
    msg.refresh_from_db()
    assert msg.state == OutboxState.FAILED and msg.attempts == 1 and "does not exist" in msg.last_error


def test_a_paced_message_waits_for_its_turn_without_spending_an_attempt(world, new_appeal, settings):
    settings.LASTMETER_SMS_BACKEND = "lastmeter.appeals.tests.test_outbox.PacedSms"
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        appeal = new_appeal()
        services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
        msg = OutboxMessage.objects.get(appeal=appeal, key__contains=":acknowledged:")
        assert outbox.deliver_one(msg.pk) == "paced"
        msg.refresh_from_db()
        assert msg.state == OutboxState.PENDING and msg.attempts == 0 and msg.last_error == ""
        assert msg.next_attempt_at.isoformat() == "2026-03-02T01:00:30+00:00"
        assert outbox.deliver_one(msg.pk) == "not-due"
        t.shift(30)
        assert outbox.deliver_one(msg.pk) == "sent"
    msg.refresh_from_db()
    assert msg.state == OutboxState.SENT and msg.attempts == 1 and calls == [msg.key]


def test_it_rolls_back_the_message_with_the_change(world, new_appeal):
    """No change, no message: a failure inside the service's transaction leaves neither."""
    appeal = new_appeal()
    before = OutboxMessage.objects.count()
    with pytest.raises(services.ServiceError):
        services.do_resolve(world.scope(world.grid_officer), appeal.pk, resolution="")
    assert OutboxMessage.objects.count() == before


def test_it_resends_after_a_crash_mid_lease_without_delivering_twice(world, new_appeal, settings):
    """A worker claims a message and dies before recording the result. After the lease the next
    worker takes it again; the console backend's receipt makes the second delivery a no-op."""
    settings.LASTMETER_SMS_BACKEND = "lastmeter.appeals.notify.backends.ConsoleBackend"
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        appeal = new_appeal()
        services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
        msg = OutboxMessage.objects.get(appeal=appeal, key__contains=":acknowledged:")
        from django.utils import timezone

        # The crashed worker: it claimed the row and delivered, but never marked it sent.
        assert outbox._claim(msg.pk, OutboxState.PENDING, 0, timezone.now())
        outbox.backend_for("sms").send(OutboxMessage.objects.get(pk=msg.pk))
        outbox.deliver_due()
        msg.refresh_from_db()
        assert msg.state == OutboxState.SENDING  # lease still held: nobody else touches it
        t.shift(outbox.lease().total_seconds() + 1)
        outbox.deliver_due()
        msg.refresh_from_db()
        # The console backend only logs: the row says so, and never "sent".
        assert msg.state == OutboxState.LOGGED
        assert DeliveryReceipt.objects.filter(key=msg.key).count() == 1


def test_it_does_not_enqueue_the_same_key_twice(world, new_appeal):
    appeal = new_appeal()
    first = outbox.enqueue(key="k1", transport="console", recipient={}, body="a", appeal=appeal)
    second = outbox.enqueue(key="k1", transport="console", recipient={}, body="a", appeal=appeal)
    assert first is not None and second is None


def test_it_answers_on_the_chat_channel_when_it_can(world, new_appeal):
    sent = []

    class FakeChat:
        def send(self, message):
            sent.append((message.recipient, message.body))

    previous = outbox._channel_backends.get("telegram")
    outbox.register_channel_backend("telegram", FakeChat)
    try:
        appeal = new_appeal(channel="telegram", channel_ref={"chat_id": -100123, "message_id": 7})
        services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
        assert outbox.deliver_due()["sent"] >= 1
    finally:
        # Put back the real Telegram sender that lastmeter.intake registered for other tests.
        if previous is None:
            outbox._channel_backends.pop("telegram", None)
        else:
            outbox._channel_backends["telegram"] = previous
    assert sent and sent[0][0] == {"chat_id": -100123, "message_id": 7}
