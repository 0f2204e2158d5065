"""Reads of appeals, always through a viewer's scope.

`access_appeal_by_scope` raises Http404 both when the appeal does not exist and when the viewer
may not see it, so that probing ids tells an outsider nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import APPEAL_TRANSITIONS, AppealState, TransferState
from lastmeter.appeals.models import Appeal, Transfer


def visible_appeals(scope: Scope) -> QuerySet[Appeal]:
    base = Appeal.objects.select_related("category", "grid", "assignee", "department")
    if scope.jurisdiction_wide:
        return base
    condition = Q(pk__in=[])
    if scope.person is not None:
        condition |= Q(assignee=scope.person) | Q(filed_by=scope.person) | Q(reporter_person=scope.person)
    if scope.grid_ids:
        condition |= Q(grid_id__in=scope.grid_ids)
    if scope.community_ids:
        condition |= Q(grid__community_id__in=scope.community_ids)
    if scope.department_ids:
        # A department sees the appeals that were transferred to it, and nothing else.
        condition |= Q(transfers__department_id__in=scope.department_ids)
    return base.filter(condition).distinct()


def access_appeal_by_scope(scope: Scope, appeal_id: int, *, for_update: bool = False) -> Appeal:
    qs = visible_appeals(scope)
    try:
        appeal = qs.get(pk=appeal_id)
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise Http404("no such appeal") from None
    return appeal


def access_appeal_by_token(token: str) -> Appeal:
    if not token or len(token) > 64:
        raise Http404("no such appeal")
    try:
        return Appeal.objects.select_related("category", "department").get(tracking_token=token)
    except Appeal.DoesNotExist:
        raise Http404("no such appeal") from None


def open_transfer_for(appeal: Appeal) -> Transfer | None:
    return (
        appeal.transfers.filter(state__in=[TransferState.PENDING, TransferState.ACCEPTED])
        .select_related("department")
        .first()
    )


def is_field_officer_for(scope: Scope, appeal: Appeal) -> bool:
    """Community police or grid member responsible for the appeal's grid, or its assignee."""
    if scope.person is None:
        return False
    if appeal.assignee_id == scope.person.pk:
        return True
    if appeal.grid_id and appeal.grid_id in scope.grid_ids:
        return True
    return bool(appeal.grid_id and appeal.grid and appeal.grid.community_id in scope.community_ids)


# An appeal past these states needs no call to its reporter any more.
NO_CALL_STATES = frozenset({AppealState.CLOSED, AppealState.MERGED})


def may_reveal_reporter_phone(scope: Scope, appeal: Appeal) -> bool:
    """Whether the viewer may see the reporter's full number (to call them) now.

    Only the person assigned to the appeal, or the responsible officer of the appeal's grid (who
    covers for the grid's members), while the appeal is not closed or merged. Dispatchers,
    leaders, other grids' officers, liaisons and residents see the masked number only."""
    if scope.person is None or appeal.state in NO_CALL_STATES:
        return False
    if appeal.assignee_id is not None and appeal.assignee_id == scope.person.pk:
        return True
    return bool(appeal.grid_id and appeal.grid and appeal.grid.responsible_officer_id == scope.person.pk)


def available_actions(scope: Scope, appeal: Appeal) -> list[str]:
    """The actions this viewer may take on this appeal now (the detail page shows exactly these)."""
    state = appeal.state
    allowed = APPEAL_TRANSITIONS.get(state, frozenset())
    actions: list[str] = []
    staff = scope.jurisdiction_wide
    officer = staff or is_field_officer_for(scope, appeal)
    if officer:
        if AppealState.ACKNOWLEDGED in allowed:
            actions.append("acknowledge")
        if AppealState.CONTACTED in allowed:
            actions.append("contact")
        if AppealState.LANDED in allowed:
            actions.append("land")
        if AppealState.RESOLVED in allowed and state not in (AppealState.TRANSFERRED, AppealState.ACCEPTED):
            actions.append("resolve")
        if AppealState.TRANSFERRED in allowed:
            actions.append("transfer")
        if AppealState.MERGED in allowed:
            actions.append("merge")
        if state in (
            AppealState.ACKNOWLEDGED,
            AppealState.CONTACTED,
            AppealState.REOPENED,
            AppealState.RECEIVED,
        ):
            actions.append("resume" if appeal.waiting_for_reporter else "pause")
        actions.append("note")
    if staff:
        if AppealState.CLOSED in allowed:
            actions.append("close")
        if AppealState.REOPENED in allowed:
            actions.append("reopen")
        actions.append("assign")
    transfer = open_transfer_for(appeal)
    department_may_act = transfer is not None and (
        scope.superuser
        or (transfer.department_id in scope.department_ids and scope.has(Role.DEPARTMENT_LIAISON))
    )
    if transfer is not None and department_may_act:
        if transfer.state == TransferState.PENDING:
            actions += ["accept_transfer", "return_transfer"]
        elif transfer.state == TransferState.ACCEPTED:
            actions += ["complete_transfer", "return_transfer"]
    return actions
