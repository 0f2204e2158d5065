"""Reads of mediation cases through the viewer's scope, and what each viewer may do.

``access_case_by_scope`` raises Http404 both for a missing case and for one the viewer may not
see. The figures of mediation are measured by ``stats.community_work`` (one definition each).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.mediation.choices import AGREEMENT_STATES, CASE_TRANSITIONS, CaseState
from lastmeter.mediation.models import MediationCase

# Who opens cases: the station's staff and the community's field people.
OPENING_ROLES = frozenset({Role.COMMUNITY_POLICE, Role.GRID_MEMBER})


def visible_cases(scope: Scope) -> QuerySet[MediationCase]:
    """Jurisdiction-wide staff see every case; the mediator and whoever opened a case see it; the
    community's officers and the grid's people see the cases of their community or grid."""
    base = MediationCase.objects.select_related("mediator", "community", "grid", "appeal")
    if scope.jurisdiction_wide:
        return base
    condition = Q(pk__in=[])
    if scope.person is not None:
        condition |= Q(mediator=scope.person) | Q(opened_by=scope.person)
    if scope.community_ids:
        condition |= Q(community_id__in=scope.community_ids)
    if scope.grid_ids:
        condition |= Q(grid_id__in=scope.grid_ids)
    return base.filter(condition)


def access_case_by_scope(scope: Scope, case_id: int) -> MediationCase:
    try:
        return visible_cases(scope).get(pk=case_id)
    except (MediationCase.DoesNotExist, ValueError, TypeError):
        raise Http404("no such mediation case") from None


def may_open_cases(scope: Scope) -> bool:
    return scope.person is not None and (scope.jurisdiction_wide or bool(scope.roles & OPENING_ROLES))


def available_actions(scope: Scope, case: MediationCase) -> list[str]:
    """What this viewer may do to the case now (the page shows exactly these). Anyone who may see
    the case works on it: it is visible only to the people who handle it."""
    if not visible_cases(scope).filter(pk=case.pk).exists():
        return []
    allowed = CASE_TRANSITIONS.get(case.state, frozenset())
    actions: list[str] = []
    if case.state == CaseState.OPEN:
        actions += ["add_party", "consent", "session", "draft_agreement", "confirm", "conclude", "fail"]
    if CaseState.REFERRED in allowed:
        actions.append("refer")
    if case.state in AGREEMENT_STATES or case.follow_ups.filter(state__in=["scheduled", "overdue"]).exists():
        actions.append("follow_up")
    if CaseState.CLOSED in allowed:
        actions.append("close")
    if allowed:
        actions.append("note")
    return actions


__all__ = [
    "access_case_by_scope",
    "available_actions",
    "may_open_cases",
    "visible_cases",
]
