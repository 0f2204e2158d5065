"""Transfers of out-of-scope appeals to departments: hand over, accept, return, report outcome.

The reporter is told at transfer and at the department's outcome. A return (with a reason) puts
the appeal back in the dispatcher's queue in state `returned`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals import clocks
from lastmeter.appeals.choices import TRANSFER_TRANSITIONS, AppealState, ClockKind, EventKind, TransferState
from lastmeter.appeals.locking import lock_appeal, move_state, publish_change, record_event, require_action
from lastmeter.appeals.models import Appeal, ClockPolicy, Transfer
from lastmeter.appeals.notify.reporter import notify_reporter
from lastmeter.appeals.selectors import open_transfer_for
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.transitions import check_transition
from lastmeter.realtime.events import department_group, publish_after_commit


def transfer_locked(
    appeal: Appeal,
    department: Department,
    actor: Person | None,
    *,
    note: str = "",
    now: datetime | None = None,
) -> Transfer:
    """Hand the appeal to the department. Caller holds the appeal's lock in a transaction."""
    now = now or timezone.now()
    transfer = Transfer.objects.create(appeal=appeal, department=department, note=note, created_by=actor)
    appeal.department = department
    event = move_state(
        appeal,
        AppealState.TRANSFERRED,
        actor,
        note=note or department.name,
        extra_fields=("department",),
        data={"department": department.pk, "transfer": transfer.pk},
    )
    # Police clocks stop: the department's acceptance clock runs instead.
    clocks.stop_clocks(appeal, [ClockKind.CONTACT, ClockKind.LAND], cancel=True, now=now)
    has_policy = (
        appeal.category_id is not None
        and ClockPolicy.objects.filter(
            kind=ClockKind.TRANSFER_ACCEPT, category_id=appeal.category_id
        ).exists()
    )
    clocks.start_clock(
        appeal,
        ClockKind.TRANSFER_ACCEPT,
        transfer=transfer,
        now=now,
        amount=None if has_policy else department.accept_within_hours,
        unit=None if has_policy else "hours",
    )
    notify_reporter(appeal, "transferred", extra=department.name, event_id=event.pk)
    publish_after_commit(
        [department_group(department.pk)],
        "transfer.new",
        {"appeal": appeal.pk, "reference": appeal.reference, "transfer": transfer.pk},
    )
    return transfer


def do_transfer(scope: Scope, appeal_id: int, *, department: Department, note: str = "") -> Transfer:
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "transfer")
        transfer = transfer_locked(appeal, department, scope.person, note=note)
        publish_change(appeal, "appeal.changed")
    return transfer


def _locked_open_transfer(scope: Scope, appeal_id: int, action: str) -> tuple[Appeal, Transfer]:
    appeal = lock_appeal(appeal_id)
    require_action(scope, appeal, action)
    transfer = open_transfer_for(appeal)
    if transfer is None:
        raise ServiceError("this appeal has no open transfer")
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    return appeal, transfer


def _set_transfer(transfer: Transfer, target: str, **fields) -> None:
    check_transition(TRANSFER_TRANSITIONS, transfer.state, target, "transfer")
    transfer.state = target
    for name, value in fields.items():
        setattr(transfer, name, value)
    transfer.save(update_fields=["state", *fields.keys()])


def do_accept_transfer(scope: Scope, appeal_id: int, *, note: str = "") -> Transfer:
    with transaction.atomic():
        appeal, transfer = _locked_open_transfer(scope, appeal_id, "accept_transfer")
        _set_transfer(transfer, TransferState.ACCEPTED, decided_by=scope.person, decided_at=timezone.now())
        move_state(appeal, AppealState.ACCEPTED, scope.person, note=note, data={"transfer": transfer.pk})
        clocks.stop_clocks(appeal, [ClockKind.TRANSFER_ACCEPT])
        publish_change(appeal, "appeal.changed")
    return transfer


def do_return_transfer(scope: Scope, appeal_id: int, *, reason: str) -> Transfer:
    if not reason or not reason.strip():
        raise ServiceError("a returned transfer needs a reason")
    with transaction.atomic():
        appeal, transfer = _locked_open_transfer(scope, appeal_id, "return_transfer")
        _set_transfer(
            transfer,
            TransferState.RETURNED,
            reason=reason.strip(),
            decided_by=scope.person,
            decided_at=timezone.now(),
        )
        appeal.department = None
        move_state(
            appeal,
            AppealState.RETURNED,
            scope.person,
            note=reason.strip(),
            extra_fields=("department",),
            data={"transfer": transfer.pk},
        )
        clocks.stop_clocks(appeal, [ClockKind.TRANSFER_ACCEPT])
        record_event(appeal, EventKind.TRANSFER, scope.person, note=_("returned: %(reason)s") % {"reason": reason.strip()})
        publish_change(appeal, "appeal.changed")
    return transfer


def do_complete_transfer(scope: Scope, appeal_id: int, *, outcome: str) -> Transfer:
    """The department reports what it did; the appeal is resolved and the reporter told."""
    if not outcome or not outcome.strip():
        raise ServiceError("say what the department did")
    with transaction.atomic():
        appeal, transfer = _locked_open_transfer(scope, appeal_id, "complete_transfer")
        now = timezone.now()
        _set_transfer(transfer, TransferState.COMPLETED, outcome=outcome.strip(), completed_at=now)
        appeal.resolution = outcome.strip()
        appeal.resolved_at = now
        event = move_state(
            appeal,
            AppealState.RESOLVED,
            scope.person,
            note=outcome.strip(),
            extra_fields=("resolution", "resolved_at"),
            data={"transfer": transfer.pk},
        )
        notify_reporter(appeal, "department_outcome", extra=outcome.strip(), event_id=event.pk)
        publish_change(appeal, "appeal.changed")
    return transfer
