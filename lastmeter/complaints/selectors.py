"""Reads of complaints through the viewer's scope, and the independence rule.

``access_complaint_by_scope`` raises Http404 both when the complaint does not exist and when the
viewer may not see it. The officer concerned never sees the complaint about them, whatever roles
they hold: it is left out of every list and every lookup they make.
The figures of complaints are measured by ``stats.community_work`` (one definition each).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from lastmeter.accounts.choices import CHAIN_LEVELS, Role
from lastmeter.accounts.models import OrgUnit, Person, RoleAssignment
from lastmeter.accounts.selectors import Scope
from lastmeter.complaints.choices import (
    COMPLAINT_TRANSITIONS,
    ComplaintState,
)
from lastmeter.complaints.models import Complaint, Decision
from lastmeter.grids.models import Grid

# Who works on complaints: the legal office, and the station's jurisdiction-wide staff.
LEGAL_ROLES = frozenset({Role.LEGAL_REVIEWER})


def works_on_complaints(scope: Scope) -> bool:
    return scope.jurisdiction_wide or bool(scope.roles & LEGAL_ROLES)


def visible_complaints(scope: Scope) -> QuerySet[Complaint]:
    """The legal office and jurisdiction-wide staff see every complaint; whoever recorded one
    sees that one; nobody else sees any. The officer concerned never sees theirs."""
    base = Complaint.objects.select_related("officer", "unit", "reviewer", "filed_by")
    if scope.person is not None:
        base = base.exclude(officer=scope.person)
    if works_on_complaints(scope):
        return base
    if scope.person is None:
        return base.none()
    return base.filter(filed_by=scope.person)


def access_complaint_by_scope(scope: Scope, complaint_id: int) -> Complaint:
    try:
        return visible_complaints(scope).get(pk=complaint_id)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise Http404("no such complaint") from None


def access_complaint_by_token(token: str) -> Complaint:
    if not token or len(token) > 64:
        raise Http404("no such complaint")
    try:
        return Complaint.objects.get(tracking_token=token)
    except Complaint.DoesNotExist:
        raise Http404("no such complaint") from None


def may_see_contact(scope: Scope, complaint: Complaint) -> bool:
    """The full contact details: the reviewer of the current round, and whoever recorded the
    complaint (they took the call). Everyone else sees them masked."""
    if scope.person is None or complaint.officer_id == scope.person.pk:
        return False
    return scope.person.pk in (complaint.reviewer_id, complaint.filed_by_id)


# --- independence --------------------------------------------------------------------------------


def units_of(person: Person) -> set[int]:
    """The org units a person works in: their roles' units, and the communities of their grids."""
    ids: set[int] = set()
    for ra in RoleAssignment.objects.filter(person=person).select_related("grid"):
        if ra.org_unit_id:
            ids.add(ra.org_unit_id)
        if ra.grid_id and ra.grid is not None:
            ids.add(ra.grid.community_id)
    ids.update(Grid.objects.filter(responsible_officer=person).values_list("community_id", flat=True))
    return ids


def chain_of_command(officer: Person) -> set[int]:
    """Ids of the people above the officer: anyone holding a higher level of the four-level
    chain (leadership → community police → grid member → building head) in one of the officer's
    units or above it, or in one of their grids, and the responsible officers of their grids."""
    rank = {level: i for i, level in enumerate(CHAIN_LEVELS)}
    own_roles = set(RoleAssignment.objects.filter(person=officer).values_list("role", flat=True))
    officer_rank = min((rank[r] for r in own_roles if r in rank), default=len(CHAIN_LEVELS))
    higher = [level for level in CHAIN_LEVELS if rank[level] < officer_rank]
    unit_ids: set[int] = set()
    for unit in OrgUnit.objects.filter(pk__in=units_of(officer)):
        unit_ids.update(u.pk for u in unit.ancestors())
    grid_ids = set(
        RoleAssignment.objects.filter(person=officer, grid__isnull=False).values_list("grid_id", flat=True)
    )
    people = set(
        RoleAssignment.objects.filter(role__in=higher)
        .filter(Q(org_unit_id__in=unit_ids) | Q(grid_id__in=grid_ids))
        .values_list("person_id", flat=True)
    )
    people.update(
        pid
        for pid in Grid.objects.filter(pk__in=grid_ids).values_list("responsible_officer_id", flat=True)
        if pid is not None
    )
    people.discard(officer.pk)
    return people


def reviewer_refusal(complaint: Complaint, reviewer: Person) -> str:
    """Why ``reviewer`` may not review this complaint (empty when they may). The sentence is
    English here and translated by the caller's gettext (services)."""
    if not reviewer.active:
        return "inactive"
    if not RoleAssignment.objects.filter(person=reviewer, role=Role.LEGAL_REVIEWER).exists():
        return "not_legal"
    if complaint.officer_id is None:
        return "no_officer"
    if reviewer.pk == complaint.officer_id:
        return "concerned"
    if complaint.officer is not None and reviewer.pk in chain_of_command(complaint.officer):
        return "chain"
    if complaint.round > 1:
        earlier = set(Decision.objects.filter(complaint=complaint).values_list("reviewer_id", flat=True))
        if reviewer.pk in earlier:
            return "first_reviewer"
    return ""


def eligible_reviewers(complaint: Complaint) -> list[Person]:
    """The legal reviewers who may take this complaint now (the assign form's choices)."""
    candidates = (
        Person.objects.filter(active=True, roles__role=Role.LEGAL_REVIEWER).distinct().order_by("name")
    )
    return [p for p in candidates if not reviewer_refusal(complaint, p)]


# --- what the viewer may do --------------------------------------------------------------------


def available_actions(scope: Scope, complaint: Complaint) -> list[str]:
    """The actions this viewer may take on this complaint now (the page shows exactly these)."""
    if scope.person is not None and complaint.officer_id == scope.person.pk:
        return []
    state = complaint.state
    allowed = COMPLAINT_TRANSITIONS.get(state, frozenset())
    office = works_on_complaints(scope)
    reviewer = scope.person is not None and complaint.reviewer_id == scope.person.pk
    actions: list[str] = []
    if office:
        if ComplaintState.ACKNOWLEDGED in allowed:
            actions.append("acknowledge")
        if state in (ComplaintState.RECEIVED, ComplaintState.ACKNOWLEDGED) and complaint.reviewer_id is None:
            actions.append("identify_officer")
        if ComplaintState.IN_REVIEW in allowed:
            actions.append("assign")
    if state == ComplaintState.IN_REVIEW and reviewer:
        actions += ["add_evidence", "decide"]
    if office or reviewer:
        if state == ComplaintState.DECIDED and complaint.round == 1:
            actions.append("appeal")
        if ComplaintState.CLOSED in allowed:
            actions.append("close")
        if ComplaintState.WITHDRAWN in allowed:
            actions.append("withdraw")
        if allowed:  # not on a closed or withdrawn complaint
            actions.append("note")
    return actions


__all__ = [
    "access_complaint_by_scope",
    "access_complaint_by_token",
    "available_actions",
    "chain_of_command",
    "eligible_reviewers",
    "may_see_contact",
    "reviewer_refusal",
    "visible_complaints",
]
