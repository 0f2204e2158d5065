"""Reads of mediation cases through the viewer's scope, what each viewer may do, and the figures.

``access_case_by_scope`` raises Http404 both for a missing case and for one the viewer may not
see. The figures (``cases_by_type``, ``success_rate``, ``days_to_agreement``,
``recurrence_within``) take a period and return plain data, for the pages and the stats app.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.mediation.choices import AGREEMENT_STATES, CASE_TRANSITIONS, CaseState, DisputeType, Outcome
from lastmeter.mediation.models import MediationCase, RecurrenceLink

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


# --- figures --------------------------------------------------------------------------------------


def _opened_in(start: datetime | None, end: datetime | None) -> QuerySet[MediationCase]:
    qs = MediationCase.objects.all()
    if start is not None:
        qs = qs.filter(opened_at__gte=start)
    if end is not None:
        qs = qs.filter(opened_at__lt=end)
    return qs


@dataclass
class TypeCount:
    key: str
    label: str
    count: int


def cases_by_type(start: datetime | None = None, end: datetime | None = None) -> list[TypeCount]:
    """Cases opened in [start, end) per type of dispute, in the types' order."""
    counts = dict(
        _opened_in(start, end)
        .values_list("dispute_type")
        .annotate(n=Count("id"))
        .values_list("dispute_type", "n")
    )
    return [TypeCount(t.value, str(t.label), counts.get(t.value, 0)) for t in DisputeType]


@dataclass
class Success:
    agreed: int
    partial: int
    failed: int

    @property
    def concluded(self) -> int:
        return self.agreed + self.partial + self.failed

    @property
    def rate(self) -> float | None:
        """Full agreements among the concluded cases (a partial agreement is not a success)."""
        return self.agreed / self.concluded if self.concluded else None


def success_rate(start: datetime | None = None, end: datetime | None = None) -> Success:
    """Of the cases opened in [start, end) that reached an outcome, how many ended in agreement."""
    counts = dict(
        _opened_in(start, end)
        .exclude(outcome="")
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    return Success(
        agreed=counts.get(Outcome.AGREEMENT, 0),
        partial=counts.get(Outcome.PARTIAL, 0),
        failed=counts.get(Outcome.FAILED, 0),
    )


@dataclass
class Days:
    cases: int
    median: float | None
    mean: float | None


def days_to_agreement(start: datetime | None = None, end: datetime | None = None) -> Days:
    """Days from opening to agreement (full or partial) of the cases opened in [start, end)."""
    spans = [
        (agreed - opened).total_seconds() / 86400
        for opened, agreed in _opened_in(start, end)
        .filter(agreed_at__isnull=False)
        .values_list("opened_at", "agreed_at")
        if agreed is not None
    ]
    if not spans:
        return Days(0, None, None)
    return Days(len(spans), statistics.median(spans), statistics.fmean(spans))


@dataclass
class Recurrence:
    agreed: int
    recurred: int

    @property
    def rate(self) -> float | None:
        return self.recurred / self.agreed if self.agreed else None


def recurrence_within(
    days: int = 90, start: datetime | None = None, end: datetime | None = None
) -> Recurrence:
    """Of the cases agreed (fully or partly) in [start, end), how many saw a linked appeal filed
    within ``days`` days of the agreement."""
    agreed = MediationCase.objects.filter(agreed_at__isnull=False)
    if start is not None:
        agreed = agreed.filter(agreed_at__gte=start)
    if end is not None:
        agreed = agreed.filter(agreed_at__lt=end)
    recurred = (
        RecurrenceLink.objects.filter(case__in=agreed)
        .filter(appeal__created_at__gte=F("case__agreed_at"))
        .filter(appeal__created_at__lte=F("case__agreed_at") + timedelta(days=days))
        .values("case")
        .distinct()
        .count()
    )
    return Recurrence(agreed=agreed.count(), recurred=recurred)


__all__ = [
    "access_case_by_scope",
    "available_actions",
    "cases_by_type",
    "days_to_agreement",
    "may_open_cases",
    "recurrence_within",
    "success_rate",
    "visible_cases",
]
