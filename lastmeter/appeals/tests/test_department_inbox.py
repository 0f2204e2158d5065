"""Departments (issue 11 §5): the liaison is told of a transfer, hears it live, works a queue with
deadlines (acceptance, then outcome), accepts, returns with a reason or reports the outcome; the
reporter is told with the tracking link. Returned appeals and accepted transfers get clocks that
warn, breach and escalate through the one sweeper."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from lastmeter.accounts.models import Department
from lastmeter.appeals import services, transfers
from lastmeter.appeals.choices import AppealState, ClockKind, ClockState, ClockUnit, EventKind, TransferState
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import AppealEvent, ClockPolicy, OutboxMessage
from lastmeter.realtime.consumers import LiveConsumer
from lastmeter.testing.world import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = "2026-03-02 09:00 +0800"  # a Monday
INBOX = "/departments/inbox/"


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def test_it_tells_the_liaison_of_a_new_transfer_on_their_channel(world, new_appeal, settings):
    settings.LASTMETER_PUBLIC_BASE_URL = "https://lastmeter.example.cn"
    appeal = new_appeal(category=world.department_category, text="人行道上有人摆摊卖水果")
    transfer = appeal.transfers.get()
    [message] = OutboxMessage.objects.filter(key__startswith=f"transfer:{transfer.pk}:new:")
    assert message.transport == "sms" and message.recipient["person"] == world.liaison.pk
    assert appeal.reference in message.body and "城管执法局" in message.body
    assert "https://lastmeter.example.cn/departments/inbox/" in message.body
    # The reporter is told too, with the tracking link.
    told = OutboxMessage.objects.get(appeal=appeal, key__contains=":transferred:")
    assert f"/t/{appeal.tracking_token}/" in told.body


def test_it_tells_a_department_without_a_liaison_at_its_address(world, new_appeal):
    parks = Department.objects.create(code="parks", name="公园管理处", email="duty@parks.example.cn")
    appeal = new_appeal()
    transfers.do_transfer(world.scope(world.dispatcher), appeal.pk, department=parks, note="公园内事项")
    [message] = OutboxMessage.objects.filter(key__startswith="transfer:", key__contains=":new:")
    assert message.transport == "email" and message.recipient["email"] == "duty@parks.example.cn"


def test_it_shows_the_liaison_their_queue_with_the_deadline(world, new_appeal):
    with time_machine.travel(START, tick=False):
        appeal = new_appeal(category=world.department_category, text="人行道上有人摆摊卖水果")
        page = login("liaison").get(INBOX)
    html = page.content.decode()
    assert page.status_code == 200 and "部门收件箱" in html and "城管执法局" in html
    assert appeal.reference in html and "部门签收或退回" in html
    assert 'data-due="2026-03-02T13:00:00+08:00"' in html  # four hours to accept
    assert f"/appeals/{appeal.pk}/act/accept_transfer/" in html
    assert f"/appeals/{appeal.pk}/act/return_transfer/" in html
    assert "139****5678" in html and "13912345678" not in html


def test_it_refuses_the_liaison_of_another_department(world, new_appeal):
    appeal = new_appeal(category=world.department_category)
    other = login("other_liaison")
    assert appeal.reference not in other.get(INBOX).content.decode()
    assert other.get(f"/appeals/{appeal.pk}/").status_code == 404
    assert other.post(f"/appeals/{appeal.pk}/act/accept_transfer/", {"next": INBOX}).status_code == 404
    appeal.refresh_from_db()
    assert appeal.state == AppealState.TRANSFERRED
    assert login("officer_b").get(INBOX).status_code == 404  # no department: no inbox


def test_it_lets_the_liaison_accept_and_report_the_outcome_from_the_inbox(world, new_appeal, settings):
    settings.LASTMETER_PUBLIC_BASE_URL = "https://lastmeter.example.cn"
    appeal = new_appeal(category=world.department_category)
    c = login("liaison")
    r = c.post(f"/appeals/{appeal.pk}/act/accept_transfer/", {"next": INBOX})
    assert r.status_code == 302 and r["Location"] == INBOX
    appeal.refresh_from_db()
    assert appeal.state == AppealState.ACCEPTED
    html = c.get(INBOX).content.decode()
    assert "部门反馈办理结果" in html and f"/appeals/{appeal.pk}/act/complete_transfer/" in html

    r = c.post(f"/appeals/{appeal.pk}/act/return_transfer/", {"next": INBOX}, follow=True)
    assert "请填写理由后再「退回转办」，理由会记入办理记录。" in [str(m) for m in r.context["messages"]]

    c.post(f"/appeals/{appeal.pk}/act/complete_transfer/", {"outcome": "已责令摊主撤离", "next": INBOX})
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED and appeal.resolution == "已责令摊主撤离"
    assert appeal.clocks.get(kind=ClockKind.TRANSFER_OUTCOME).state == ClockState.MET
    told = OutboxMessage.objects.get(appeal=appeal, key__contains=":department_outcome:")
    assert "已责令摊主撤离" in told.body
    assert f"https://lastmeter.example.cn/t/{appeal.tracking_token}/" in told.body
    assert "已责令摊主撤离" in Client().get(f"/t/{appeal.tracking_token}/").content.decode()
    assert "已责令摊主撤离" in c.get(INBOX).content.decode()  # recently finished


def test_it_gives_an_accepted_transfer_an_outcome_deadline_that_warns_breaches_and_escalates(
    world, new_appeal
):
    with time_machine.travel(START, tick=False) as t:
        appeal = new_appeal(category=world.department_category)
        t.shift(3600)
        transfers.do_accept_transfer(world.scope(world.liaison), appeal.pk)
        clock = appeal.clocks.get(kind=ClockKind.TRANSFER_OUTCOME)
        # Five working days on China's calendar: Tue..Fri and the next Monday; due at its end.
        assert (clock.unit, clock.amount) == (ClockUnit.WORKING_DAYS, 5)
        assert clock.due_at == datetime(2026, 3, 10, 0, 0, tzinfo=SHANGHAI)
        assert clock.transfer == appeal.transfers.get()
        t.move_to(clock.warn_at + timedelta(seconds=1))
        assert sweep() == {"warned": 1, "breached": 0}
        assert OutboxMessage.objects.filter(key=f"clock:{clock.pk}:warning:p{world.liaison.pk}").exists()
        t.move_to(clock.due_at + timedelta(seconds=1))
        assert sweep()["breached"] == 1
        assert sweep()["breached"] == 0  # exactly once
        clock.refresh_from_db()
        assert clock.state == ClockState.BREACHED and clock.escalated_to == world.leader
        assert AppealEvent.objects.filter(appeal=appeal, kind=EventKind.ESCALATED).count() == 1
        assert OutboxMessage.objects.filter(key=f"clock:{clock.pk}:breached:p{world.liaison.pk}").exists()
        # Reported late: the clock says so.
        transfers.do_complete_transfer(world.scope(world.liaison), appeal.pk, outcome="已处理")
        clock.refresh_from_db()
        assert clock.state == ClockState.MET_LATE


def test_it_takes_the_outcome_deadline_from_the_category_then_the_department(world, new_appeal):
    liaison = world.scope(world.liaison)
    with time_machine.travel(START, tick=False):
        Department.objects.filter(pk=world.department.pk).update(outcome_within_working_days=2)
        by_department = new_appeal(category=world.department_category)
        transfers.do_accept_transfer(liaison, by_department.pk)
        assert by_department.clocks.get(kind=ClockKind.TRANSFER_OUTCOME).due_at == datetime(
            2026, 3, 5, 0, 0, tzinfo=SHANGHAI
        )
        ClockPolicy.objects.create(
            kind=ClockKind.TRANSFER_OUTCOME,
            category=world.department_category,
            amount=1,
            unit=ClockUnit.CALENDAR_DAYS,
        )
        by_category = new_appeal(category=world.department_category)
        transfers.do_accept_transfer(liaison, by_category.pk)
        assert by_category.clocks.get(kind=ClockKind.TRANSFER_OUTCOME).due_at == datetime(
            2026, 3, 3, 9, 0, tzinfo=SHANGHAI
        )


def test_it_gives_a_returned_appeal_fresh_police_clocks_that_escalate(world, new_appeal):
    with time_machine.travel(START, tick=False) as t:
        appeal = new_appeal(category=world.department_category)
        t.shift(3 * 3600)
        transfers.do_return_transfer(world.scope(world.liaison), appeal.pk, reason="属于治安问题")
        returned_at = datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)
        running = {c.kind: c for c in appeal.clocks.filter(state=ClockState.RUNNING)}
        assert set(running) == {ClockKind.CONTACT, ClockKind.LAND}
        assert running[ClockKind.CONTACT].started_at == returned_at
        assert running[ClockKind.CONTACT].due_at == returned_at + timedelta(hours=2)
        assert running[ClockKind.LAND].due_at == returned_at + timedelta(hours=24)
        assert appeal.clocks.get(kind=ClockKind.TRANSFER_ACCEPT).state == ClockState.MET
        t.shift(2 * 3600 + 1)
        assert sweep()["breached"] == 1
        contact = appeal.clocks.get(pk=running[ClockKind.CONTACT].pk)
        assert contact.state == ClockState.BREACHED and contact.escalated_to == world.leader
        # The dispatcher takes it back; acknowledging does not start a second pair of clocks.
        services.do_acknowledge(world.scope(world.dispatcher), appeal.pk)
        assert appeal.clocks.filter(kind=ClockKind.LAND).count() == 1


def test_it_ends_the_outcome_clock_when_an_accepted_transfer_is_returned(world, new_appeal):
    appeal = new_appeal(category=world.department_category)
    liaison = world.scope(world.liaison)
    transfers.do_accept_transfer(liaison, appeal.pk)
    transfers.do_return_transfer(liaison, appeal.pk, reason="经核实属于交通问题")
    assert appeal.clocks.get(kind=ClockKind.TRANSFER_OUTCOME).state == ClockState.CANCELLED
    assert appeal.transfers.get().state == TransferState.RETURNED


@pytest.mark.django_db(transaction=True)
async def test_it_sends_transfer_events_to_the_departments_live_page():
    """``transfer.new`` has a listener: the liaison's page socket is in the department's group."""
    world = await database_sync_to_async(build_world)()
    comm = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    comm.scope["user"] = world.liaison.user
    connected, _ = await comm.connect()
    assert connected
    hello = await comm.receive_json_from(timeout=5)
    assert f"department.{world.department.pk}" in hello["payload"]["groups"]

    async def receive(event):
        while True:
            message = await comm.receive_json_from(timeout=5)
            if message["event"] == event:
                return message["payload"]

    appeal = await database_sync_to_async(services.do_create_appeal)(
        services.NewAppeal(channel="web", text="人行道上有人摆摊", category=world.department_category)
    )
    new = await receive("transfer.new")
    assert new["reference"] == appeal.reference and new["department"] == world.department.pk
    await database_sync_to_async(
        lambda: transfers.do_accept_transfer(world.scope(world.liaison), appeal.pk)
    )()
    changed = await receive("transfer.changed")
    assert changed["state"] == TransferState.ACCEPTED
    await comm.disconnect()
