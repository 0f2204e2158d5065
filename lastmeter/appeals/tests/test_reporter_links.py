"""Every message to a reporter carries their tracking link; a subscriber's carries their own.

One appeal goes through every kind of reporter message (received, on site, transferred, the
department's outcome, resolved, reopened, closed, merged, the one-time code), with a merged duplicate and
a chat subscriber following it; every message in the outbox is checked for the right link.
"""

from __future__ import annotations

from django.test import override_settings

from lastmeter.appeals import feedback, services, transfers
from lastmeter.appeals.models import OutboxMessage, Subscription
from lastmeter.appeals.notify.reporter import (
    REPORTER_MESSAGE_KINDS,
    follow_link,
    reporter_message,
    tracking_link,
)
from lastmeter.testing.world import POINT_IN_A

BASE = "https://lastmeter.example.gov.cn"


@override_settings(LASTMETER_PUBLIC_BASE_URL=BASE + "/", LASTMETER_FEEDBACK_CODE_INTERVAL_S=0)
def test_it_puts_the_tracking_link_in_every_reporter_message(world, new_appeal):
    appeal = new_appeal()
    twin = new_appeal(text="同一辆车还停在那里", reporter_phone="13700001111")
    officer = world.scope(world.grid_officer)
    dispatcher = world.scope(world.dispatcher)
    services.do_merge(dispatcher, twin.pk, into_id=appeal.pk)  # "merged", to the twin's reporter
    chat_follower = Subscription.objects.create(appeal=appeal, phone="13600002222", channel="telegram")
    services.do_acknowledge(officer, appeal.pk)
    transfers.do_transfer(dispatcher, appeal.pk, department=world.department)
    transfers.do_accept_transfer(world.scope(world.liaison), appeal.pk)
    transfers.do_complete_transfer(world.scope(world.liaison), appeal.pk, outcome="已清理占道摊位")
    services.do_contest(
        appeal.tracking_token, code=feedback.issue_feedback_code(appeal.tracking_token).code, reason="又来了"
    )
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="已处理")
    services.do_close(dispatcher, appeal.pk, reason="问题已解决，诉求人无异议")

    own = tracking_link(appeal)
    assert own == f"{BASE}/t/{appeal.tracking_token}/"
    links = {
        "13912345678": own,
        "13700001111": tracking_link(twin),
        "13600002222": follow_link(chat_follower),
    }
    kinds = set()
    messages = [m for m in OutboxMessage.objects.filter(transport="sms") if "person" not in m.recipient]
    for message in messages:
        phone = message.recipient["phone"]
        assert links[phone] in message.body, (message.key, message.body)
        others = {link for p, link in links.items() if p != phone}
        assert not any(link in message.body for link in others), message.body
        kinds.add(message.key.split(":")[2] if message.key.startswith("appeal:") else "code")
    assert kinds == {*REPORTER_MESSAGE_KINDS, "code"}
    # The subscriber's follow link is not the reporter's: it cannot rate, and shows no text.
    assert follow_link(chat_follower) != own and "/f/" in follow_link(chat_follower)


def test_it_renders_each_message_kind_with_the_link_in_zh_hans_and_english(world, new_appeal, settings):
    appeal = new_appeal()
    link = tracking_link(appeal)
    for language in ("zh-hans", "en"):
        settings.LANGUAGE_CODE = language
        for kind in REPORTER_MESSAGE_KINDS:
            for follower in (False, True):
                body = reporter_message(appeal, kind, "城管执法局", link=link, follower=follower)
                assert body.rstrip().endswith(link), (language, kind, body)
