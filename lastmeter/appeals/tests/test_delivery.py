"""Outbox honesty: "sent" only when a real provider accepted the message.

The console backends' rows say "logged, not delivered"; a real HTTP SMS gateway (a JSON API on
loopback) and a real SMTP server (a small one on loopback) make rows "sent". Staff see the state
on the appeal's page.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest
from django.test import Client

from lastmeter.appeals import services
from lastmeter.appeals.choices import OutboxState
from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify import outbox
from lastmeter.intake.tests.fakes import FakeApi

HTTP_SMS = "lastmeter.appeals.notify.backends.HttpJsonSmsBackend"
CONSOLE = "lastmeter.appeals.notify.backends.ConsoleBackend"


@pytest.fixture
def gateway() -> Iterator[FakeApi]:
    api = FakeApi().start()
    yield api
    api.stop()


def acknowledged(world, new_appeal, **kw) -> OutboxMessage:
    appeal = new_appeal(**kw)
    services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
    return OutboxMessage.objects.get(appeal=appeal, key__contains=":acknowledged:")


def test_it_marks_console_messages_logged_not_delivered_and_shows_staff(world, new_appeal, settings):
    settings.LASTMETER_SMS_BACKEND = CONSOLE
    msg = acknowledged(world, new_appeal)
    counts = outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.state == OutboxState.LOGGED and counts["logged"] >= 1 and counts["sent"] == 0
    c = Client()
    assert c.login(username="officer_a", password="pass-officer_a")
    page = c.get(f"/appeals/{msg.appeal_id}/", headers={"accept-language": "en"}).content.decode()
    assert "Logged, not delivered" in page


def test_it_marks_a_message_sent_when_the_http_sms_gateway_accepts_it(world, new_appeal, settings, gateway):
    gateway.route("/sms", answer={"id": "gw-1"})
    settings.LASTMETER_SMS_BACKEND = HTTP_SMS
    settings.LASTMETER_SMS_HTTP_URL = gateway.base + "/sms"
    settings.LASTMETER_SMS_HTTP_TOKEN = "s3cret"
    settings.LASTMETER_SMS_HTTP_SENDER = "派出所"
    msg = acknowledged(world, new_appeal)
    assert outbox.deliver_due()["sent"] >= 1
    msg.refresh_from_db()
    assert msg.state == OutboxState.SENT and msg.sent_at is not None
    call = next(c for c in gateway.calls("/sms") if c.body["key"] == msg.key)
    assert call.headers["Authorization"] == "Bearer s3cret" and call.headers["Idempotency-Key"] == msg.key
    assert call.body["to"] == "13912345678" and call.body["sender"] == "派出所"
    assert call.body["text"] == msg.body and f"/t/{msg.appeal.tracking_token}/" in call.body["text"]


def test_it_retries_when_the_gateway_refuses_and_never_says_sent(world, new_appeal, settings, gateway):
    gateway.route("/sms", status=503, answer={"error": "busy"})
    settings.LASTMETER_SMS_BACKEND = HTTP_SMS
    settings.LASTMETER_SMS_HTTP_URL = gateway.base + "/sms"
    msg = acknowledged(world, new_appeal)
    counts = outbox.deliver_due()
    msg.refresh_from_db()
    assert counts["sent"] == 0 and msg.state == OutboxState.PENDING and "HTTP 503" in msg.last_error
    settings.LASTMETER_SMS_HTTP_URL = ""
    msg.next_attempt_at = msg.created_at
    msg.save(update_fields=["next_attempt_at"])
    outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.state == OutboxState.PENDING and "not set" in msg.last_error


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's smtp backend: greet, say 250, take DATA."""

    received: list[bytes] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                _Smtp.received.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[int]:
    _Smtp.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_it_sends_email_through_smtp_and_only_then_says_sent(world, new_appeal, settings, smtp_server):
    # locmem (pytest's default) keeps mail in memory: logged, not delivered.
    msg = acknowledged(world, new_appeal, reporter_phone="", reporter_email="liu@example.com")
    outbox.deliver_due()
    msg.refresh_from_db()
    assert msg.transport == "email" and msg.state == OutboxState.LOGGED
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server
    second = acknowledged(
        world, new_appeal, reporter_phone="", reporter_email="wang@example.com", text="另一处违停"
    )
    outbox.deliver_due()
    second.refresh_from_db()
    assert second.state == OutboxState.SENT
    assert any(b"wang@example.com" in m and second.key.encode() in m for m in _Smtp.received)
