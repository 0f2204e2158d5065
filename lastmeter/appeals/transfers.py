"""Transfers of out-of-scope appeals to departments: hand over, accept, return, report outcome.

The reporter is told at transfer and at the department's outcome, with the tracking link; the
department's liaisons are told at transfer (``notify.departments``), and the department's
websocket group hears ``transfer.new`` and ``transfer.changed``.

Clocks: a transfer starts the department's acceptance clock (``transfer_accept``); acceptance
starts the outcome clock (``transfer_outcome``: the department's ``outcome_within_working_days``,
5 working days by default, unless a category policy says otherwise). A return (with a reason)
puts the appeal back in the dispatcher's queue in state ``returned`` with fresh contact and
landing clocks from the return: the police own the appeal again, the reporter has been waiting
since the transfer and must be told, and the 24-hour landing promise starts over from the moment
the police got the appeal back, not from its first arrival (which would be breached at once).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals import clocks
from lastmeter.appeals.choices import (
    TRANSFER_TRANSITIONS,
    AppealState,
    ClockKind,
    ClockUnit,
    EventKind,
    TransferState,
)
from lastmeter.appeals.locking import lock_appeal, move_state, publish_change, record_event, require_action
from lastmeter.appeals.models import Appeal, ClockPolicy, Transfer
from lastmeter.appeals.notify.departments import notify_liaisons
from lastmeter.appeals.notify.reporter import notify_reporter
from lastmeter.appeals.selectors import open_transfer_for
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.transitions import TransitionError, check_transition
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
    clock = start_department_clock(
        appeal, transfer, ClockKind.TRANSFER_ACCEPT, department.accept_within_hours, ClockUnit.HOURS, now
    )
    notify_reporter(appeal, "transferred", extra=department.name, event_id=event.pk)
    notify_liaisons("new", appeal, transfer, due_at=clock.due_at, key=f"transfer:{transfer.pk}:new")
    publish_after_commit(
        [department_group(department.pk)],
        "transfer.new",
        {
            "appeal": appeal.pk,
            "reference": appeal.reference,
            "transfer": transfer.pk,
            "department": department.pk,
            "due_at": clock.due_at,
        },
    )
    return transfer


def start_department_clock(
    appeal: Appeal, transfer: Transfer, kind: str, amount: int, unit: str, now: datetime | None = None
):
    """The department's clock of ``kind``: the category's policy for it if there is one, else the
    department's own setting (``amount`` ``unit``). Caller holds the appeal's lock."""
    has_policy = (
        appeal.category_id is not None
        and ClockPolicy.objects.filter(kind=kind, category_id=appeal.category_id).exists()
    )
    return clocks.start_clock(
        appeal,
        kind,
        transfer=transfer,
        now=now,
        amount=None if has_policy else amount,
        unit=None if has_policy else unit,
    )


def publish_transfer_change(appeal: Appeal, transfer: Transfer) -> None:
    """Tell the department's open inbox pages that one of its transfers changed (after commit)."""
    publish_after_commit(
        [department_group(transfer.department_id)],
        "transfer.changed",
        {
            "appeal": appeal.pk,
            "reference": appeal.reference,
            "transfer": transfer.pk,
            "state": transfer.state,
        },
    )


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
        raise ServiceError(_("This appeal has no transfer waiting for a department."))
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    return appeal, transfer


def _set_transfer(transfer: Transfer, target: str, **fields) -> None:
    try:
        check_transition(TRANSFER_TRANSITIONS, transfer.state, target, "transfer")
    except TransitionError:
        raise TransitionError(
            _("This transfer is already “%(state)s” and cannot become “%(target)s”; reload the page.")
            % {"state": TransferState(transfer.state).label, "target": TransferState(target).label}
        ) from None
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
        start_department_clock(
            appeal,
            transfer,
            ClockKind.TRANSFER_OUTCOME,
            transfer.department.outcome_within_working_days,
            ClockUnit.WORKING_DAYS,
        )
        publish_change(appeal, "appeal.changed")
        publish_transfer_change(appeal, transfer)
    return transfer


def do_return_transfer(scope: Scope, appeal_id: int, *, reason: str) -> Transfer:
    """The department declines: the appeal goes back to the police with fresh clocks (see the
    module's docstring). The reason is required and kept on the transfer and the timeline."""
    if not reason or not reason.strip():
        raise ServiceError(
            _("Say why the department returns this appeal, so that the police can route it correctly.")
        )
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
        # An accepted transfer's outcome clock ends with the return: the department is done.
        clocks.stop_clocks(appeal, [ClockKind.TRANSFER_ACCEPT])
        clocks.stop_clocks(appeal, [ClockKind.TRANSFER_OUTCOME], cancel=True)
        record_event(
            appeal,
            EventKind.TRANSFER,
            scope.person,
            note=_("returned: %(reason)s") % {"reason": reason.strip()},
        )
        clocks.start_clock(appeal, ClockKind.CONTACT)
        clocks.start_clock(appeal, ClockKind.LAND)
        publish_change(appeal, "appeal.changed")
        publish_transfer_change(appeal, transfer)
    return transfer


def do_complete_transfer(scope: Scope, appeal_id: int, *, outcome: str) -> Transfer:
    """The department reports what it did; the appeal is resolved and the reporter told."""
    if not outcome or not outcome.strip():
        raise ServiceError(_("Say what the department did: the reporter is told."))
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
        clocks.stop_clocks(appeal, [ClockKind.TRANSFER_OUTCOME], now=now)
        notify_reporter(appeal, "department_outcome", extra=outcome.strip(), event_id=event.pk)
        publish_change(appeal, "appeal.changed")
        publish_transfer_change(appeal, transfer)
    return transfer
