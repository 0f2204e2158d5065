"""Reads of appeals, always through a viewer's scope.

`access_appeal_by_scope` raises Http404 both when the appeal does not exist and when the viewer
may not see it, so that probing ids tells an outsider nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import APPEAL_TRANSITIONS, OPEN_STATES, AppealState, TransferState
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


# Who can be given an appeal: the people who do the field work.
ASSIGNABLE_ROLES = (Role.COMMUNITY_POLICE, Role.GRID_MEMBER)


def assignable_people(
    scope: Scope, query: str = "", *, grid_id: int | None = None, role: str | None = None
) -> QuerySet[Person]:
    """Active officers and grid members the viewer may assign appeals to, matching ``query``
    (part of a name, or of a grid's name or code), optionally in one grid or with one role.

    Jurisdiction-wide staff may assign anyone with a field role; a community officer only the
    people of the grids and community they are responsible for (themselves included); anyone
    else nobody."""
    field = Q(roles__role__in=ASSIGNABLE_ROLES)
    qs = Person.objects.filter(active=True).filter(field)
    if not scope.jurisdiction_wide:
        if not scope.has(Role.COMMUNITY_POLICE) or scope.person is None:
            return Person.objects.none()
        mine = (
            Q(pk=scope.person.pk)
            | Q(roles__role=Role.COMMUNITY_POLICE, roles__org_unit_id__in=scope.community_ids)
            | Q(roles__role=Role.GRID_MEMBER, roles__grid_id__in=scope.grid_ids)
            | Q(roles__role=Role.GRID_MEMBER, roles__grid__community_id__in=scope.community_ids)
            | Q(responsible_grids__id__in=scope.grid_ids)
        )
        qs = qs.filter(mine)
    query = (query or "").strip()
    if query:
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(roles__grid__name__icontains=query)
            | Q(roles__grid__code__iexact=query)
            | Q(responsible_grids__name__icontains=query)
            | Q(roles__org_unit__name__icontains=query)
        )
    if grid_id:
        qs = qs.filter(
            Q(roles__grid_id=grid_id)
            | Q(responsible_grids__id=grid_id)
            | Q(roles__role=Role.COMMUNITY_POLICE, roles__org_unit__grids__id=grid_id)
        )
    if role:
        qs = qs.filter(roles__role=role)
    return qs.distinct().order_by("name", "pk")


def may_assign_in_grid(scope: Scope, appeal: Appeal) -> bool:
    """A community officer may assign the appeals of the grids they are responsible for."""
    if scope.person is None or Role.COMMUNITY_POLICE not in scope.roles or not appeal.grid_id:
        return False
    if appeal.grid_id in scope.grid_ids:
        return True
    return bool(appeal.grid and appeal.grid.community_id in scope.community_ids)


def department_transfers(scope: Scope) -> QuerySet[Transfer]:
    """Transfers the viewer's departments received (a liaison: their own departments only;
    jurisdiction-wide staff: every department's; anyone else: none), open ones first by the
    running deadline, then the newest."""
    qs = Transfer.objects.select_related("appeal", "appeal__category", "department").prefetch_related(
        "clocks"
    )
    if not scope.jurisdiction_wide:
        qs = qs.filter(department_id__in=scope.department_ids)
    return qs.order_by("-created_at", "-pk")


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
    if state in OPEN_STATES and (staff or may_assign_in_grid(scope, appeal)):
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
