"""Reads of patrols through the viewer's scope.

Managers of a community's patrols: jurisdiction-wide staff and the community's police officers.
Team members see the plans their teams have shifts in. ``access_*`` raise Http404 both for a
missing object and for one the viewer may not see.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.patrols.models import NetworkTask, PatrolPlan, PatrolShift, PatrolTeam, PointRecord, TeamMember


def manages(scope: Scope, community_id: int | None) -> bool:
    return scope.person is not None and (
        scope.jurisdiction_wide or (community_id is not None and community_id in scope.community_ids)
    )


def may_manage_any(scope: Scope) -> bool:
    return scope.person is not None and (scope.jurisdiction_wide or bool(scope.community_ids))


def is_member(person: Person | None) -> bool:
    return person is not None and TeamMember.objects.filter(person=person, team__active=True).exists()


def sees_patrols(scope: Scope) -> bool:
    """Whether the header shows the patrols link."""
    return may_manage_any(scope) or is_member(scope.person)


def visible_teams(scope: Scope) -> QuerySet[PatrolTeam]:
    base = PatrolTeam.objects.select_related("community", "leader")
    if scope.jurisdiction_wide:
        return base
    cond = Q(community_id__in=scope.community_ids)
    if scope.person is not None:
        cond |= Q(members__person=scope.person)
    return base.filter(cond).distinct()


def visible_plans(scope: Scope) -> QuerySet[PatrolPlan]:
    base = PatrolPlan.objects.select_related("community")
    if scope.jurisdiction_wide:
        return base
    cond = Q(community_id__in=scope.community_ids)
    if scope.person is not None:
        cond |= Q(shifts__team__members__person=scope.person)
    return base.filter(cond).distinct()


def access_plan(scope: Scope, plan_id: int) -> PatrolPlan:
    try:
        return visible_plans(scope).get(pk=plan_id)
    except (PatrolPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("no such patrol plan") from None


def access_team(scope: Scope, team_id: int) -> PatrolTeam:
    try:
        return visible_teams(scope).get(pk=team_id)
    except (PatrolTeam.DoesNotExist, ValueError, TypeError):
        raise Http404("no such patrol team") from None


def access_shift(scope: Scope, shift_id: int) -> PatrolShift:
    try:
        shift = PatrolShift.objects.select_related("plan", "team").get(pk=shift_id)
    except (PatrolShift.DoesNotExist, ValueError, TypeError):
        raise Http404("no such shift") from None
    if not visible_plans(scope).filter(pk=shift.plan_id).exists():
        raise Http404("no such shift")
    return shift


def my_shifts(person: Person | None) -> QuerySet[PatrolShift]:
    if person is None:
        return PatrolShift.objects.none()
    return (
        PatrolShift.objects.filter(team__members__person=person)
        .select_related("plan", "team", "plan__community")
        .distinct()
        .order_by("-starts_at")
    )


def managed_communities(scope: Scope) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.filter(kind="community")
    return qs if scope.jurisdiction_wide else qs.filter(pk__in=scope.community_ids)


def total_points(person: Person) -> int:
    return int(PointRecord.objects.filter(person=person).aggregate(s=Sum("points"))["s"] or 0)


def my_tasks(person: Person) -> QuerySet[NetworkTask]:
    return NetworkTask.objects.filter(person=person)


__all__ = [
    "access_plan",
    "access_shift",
    "access_team",
    "is_member",
    "managed_communities",
    "manages",
    "may_manage_any",
    "my_shifts",
    "my_tasks",
    "sees_patrols",
    "total_points",
    "visible_plans",
    "visible_teams",
]
