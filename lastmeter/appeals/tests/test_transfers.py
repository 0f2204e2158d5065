"""Transfers to departments: at once for out-of-scope categories, accept, return, outcome."""

from __future__ import annotations

import pytest
import time_machine
from django.http import Http404

from lastmeter.appeals import services, transfers
from lastmeter.appeals.choices import AppealState, ClockKind, ClockState, TransferState
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.selectors import access_appeal_by_scope


def test_it_transfers_an_out_of_scope_category_at_once_and_tells_the_reporter(world, new_appeal):
    appeal = new_appeal(category=world.department_category, text="人行道上有人摆摊卖水果")
    assert appeal.state == AppealState.TRANSFERRED and appeal.department == world.department
    assert {c.kind: c.state for c in appeal.clocks.all()} == {ClockKind.TRANSFER_ACCEPT: ClockState.RUNNING}
    message = OutboxMessage.objects.get(appeal=appeal, key__contains=":transferred:")
    assert message.transport == "sms" and "城管执法局" in message.body
    transfer = appeal.transfers.get()
    assert transfer.state == TransferState.PENDING


def test_it_lets_the_department_accept_and_report_the_outcome(world, new_appeal):
    appeal = new_appeal(category=world.department_category)
    liaison = world.scope(world.liaison)
    transfers.do_accept_transfer(liaison, appeal.pk)
    transfers.do_complete_transfer(liaison, appeal.pk, outcome="已责令摊主撤离并教育")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED and appeal.resolution.startswith("已责令")
    assert appeal.transfers.get().state == TransferState.COMPLETED
    assert appeal.clocks.get(kind=ClockKind.TRANSFER_ACCEPT).state == ClockState.MET
    outcome = OutboxMessage.objects.get(appeal=appeal, key__contains=":department_outcome:")
    assert "已责令摊主撤离" in outcome.body


def test_it_returns_a_transfer_to_the_dispatcher_queue_with_a_reason(world, new_appeal):
    appeal = new_appeal(category=world.department_category)
    liaison = world.scope(world.liaison)
    with pytest.raises(services.ServiceError, match="请说明退回理由"):
        transfers.do_return_transfer(liaison, appeal.pk, reason=" ")
    transfers.do_return_transfer(liaison, appeal.pk, reason="属于治安问题，不是占道经营")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RETURNED and appeal.department is None
    assert appeal.transfers.get().reason == "属于治安问题，不是占道经营"
    # Back in the dispatcher's queue: the dispatcher acknowledges it and the police clocks start.
    services.do_acknowledge(world.scope(world.dispatcher), appeal.pk)
    kinds = set(appeal.clocks.filter(state=ClockState.RUNNING).values_list("kind", flat=True))
    assert kinds == {ClockKind.CONTACT, ClockKind.LAND}


def test_it_lets_an_officer_transfer_manually(world, new_appeal):
    appeal = new_appeal()
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, appeal.pk)
    transfers.do_transfer(officer, appeal.pk, department=world.other_department, note="树枝压线")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.TRANSFERRED
    assert not appeal.clocks.filter(
        kind__in=[ClockKind.CONTACT, ClockKind.LAND], state=ClockState.RUNNING
    ).exists()


def test_it_refuses_a_department_on_an_appeal_not_transferred_to_it(world, new_appeal):
    appeal = new_appeal(category=world.department_category)
    other = world.scope(world.other_liaison)
    with pytest.raises(Http404):
        access_appeal_by_scope(other, appeal.pk)
    with pytest.raises(services.NotAllowed):
        transfers.do_accept_transfer(other, appeal.pk)
    police_appeal = new_appeal()
    with pytest.raises(Http404):
        access_appeal_by_scope(world.scope(world.liaison), police_appeal.pk)


def test_it_breaches_a_transfer_not_accepted_in_time(world, new_appeal):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as t:
        appeal = new_appeal(category=world.department_category)
        t.shift(4 * 3600 + 1)
        assert sweep()["breached"] == 1
        assert appeal.clocks.get(kind=ClockKind.TRANSFER_ACCEPT).state == ClockState.BREACHED
