"""Reads of meetings and the counter through the viewer's scope, the agenda proposal, and the
figures.

Who sees a meeting: jurisdiction-wide staff, the community's officers and the people of its
grids, and the owner of one of its action items (a department's liaison answers for theirs).
``access_meeting_by_scope`` raises Http404 for a missing meeting and for one the viewer may not
see. The recurring problems of the agenda are counted here from the community's appeals (one
category at one address or building, two or more appeals in the window) rather than taken from
``stats.hotspots``: stats is a floor above this app, and a meeting talks about places residents
name, not about Gi* cells.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import OPEN_STATES
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.selectors import visible_appeals
from lastmeter.meetings.choices import CounterKind, MeetingState
from lastmeter.meetings.models import CounterVisit, Meeting

ORGANISING_ROLES = frozenset({Role.COMMUNITY_POLICE, Role.GRID_MEMBER})
RECURRENCE_WINDOW = timedelta(days=90)
MAX_OPEN_APPEAL_ITEMS = 10


def visible_meetings(scope: Scope) -> QuerySet[Meeting]:
    base = Meeting.objects.select_related("community", "organised_by")
    if scope.jurisdiction_wide:
        return base
    condition = Q(pk__in=[])
    if scope.person is not None:
        condition |= Q(action_items__owner=scope.person) | Q(organised_by=scope.person)
    if scope.community_ids:
        condition |= Q(community_id__in=scope.community_ids)
    if scope.grid_ids:
        condition |= Q(community__grids__id__in=scope.grid_ids)
    return base.filter(condition).distinct()


def access_meeting_by_scope(scope: Scope, meeting_id: int) -> Meeting:
    try:
        return visible_meetings(scope).get(pk=meeting_id)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404("no such meeting") from None


def may_organise(scope: Scope) -> bool:
    return scope.person is not None and (scope.jurisdiction_wide or bool(scope.roles & ORGANISING_ROLES))


def organisable_communities(scope: Scope) -> QuerySet[OrgUnit]:
    """The communities the viewer may call a meeting in (their own; every one when jurisdiction-wide)."""
    qs = OrgUnit.objects.filter(kind="community")
    if scope.jurisdiction_wide:
        return qs
    return qs.filter(Q(pk__in=scope.community_ids) | Q(grids__id__in=scope.grid_ids)).distinct()


def may_organise_in(scope: Scope, meeting: Meeting) -> bool:
    return may_organise(scope) and organisable_communities(scope).filter(pk=meeting.community_id).exists()


def available_actions(scope: Scope, meeting: Meeting) -> list[str]:
    """What the viewer may do to the meeting now: its organisers (the community's officers and
    grid people, station staff) run it; an action item's owner only reads it."""
    if not may_organise_in(scope, meeting):
        return []
    actions: list[str] = []
    if meeting.state in (MeetingState.PLANNED, MeetingState.HELD):
        actions += ["add_item", "add_attendee"]
    if meeting.state in (MeetingState.PLANNED, MeetingState.HELD):
        actions.append("minutes")  # recording the minutes of a planned meeting marks it held
    if meeting.state == MeetingState.HELD:
        actions += ["decide", "report_back", "close"]
    return actions


# --- the agenda proposal ------------------------------------------------------------------------


def _place_key(appeal: Appeal) -> str:
    """Where an appeal is, as residents name it: the address without spaces, else its grid."""
    address = re.sub(r"\s+", "", appeal.address or "")
    return address or (f"grid:{appeal.grid_id}" if appeal.grid_id else "")


@dataclass
class Proposal:
    kind: str
    title: str
    appeals: list[Appeal] = field(default_factory=list)


def proposed_items(scope: Scope, community: OrgUnit, *, now: datetime | None = None) -> list[Proposal]:
    """Recurring problems first (one category at one place, 2+ appeals in the last 90 days, most
    repeated first), then the community's other open appeals, oldest first. Only appeals the
    organiser may see are used."""
    now = now or timezone.now()
    appeals = list(
        visible_appeals(scope)
        .filter(grid__community=community, created_at__gte=now - RECURRENCE_WINDOW, created_at__lte=now)
        .order_by("created_at", "id")
    )
    groups: dict[tuple[int | None, str], list[Appeal]] = defaultdict(list)
    for appeal in appeals:
        key = _place_key(appeal)
        if key:
            groups[(appeal.category_id, key)].append(appeal)
    proposals: list[Proposal] = []
    used: set[int] = set()
    for group in sorted(groups.values(), key=lambda g: (-len(g), g[0].created_at)):
        if len(group) < 2:
            continue
        first = group[0]
        category = first.category.name if first.category else ""
        where = first.address or (first.grid.name if first.grid else "")
        proposals.append(Proposal("hotspot", f"{category}·{where}（{len(group)}）", group))
        used.update(a.pk for a in group)
    open_ones = [a for a in appeals if a.state in OPEN_STATES and a.pk not in used]
    for appeal in open_ones[:MAX_OPEN_APPEAL_ITEMS]:
        title = appeal.title or appeal.text[:60]
        proposals.append(Proposal("appeal", f"{appeal.reference}：{title}", [appeal]))
    return proposals


# --- the counter --------------------------------------------------------------------------------


def visible_counter_visits(scope: Scope) -> QuerySet[CounterVisit]:
    base = CounterVisit.objects.select_related("community", "clerk")
    if scope.jurisdiction_wide:
        return base
    if not may_organise(scope):
        return base.none()
    return base.filter(community__in=organisable_communities(scope))


@dataclass
class KindFigure:
    key: str
    label: str
    count: int
    median_handling_min: float | None


@dataclass
class CounterFigures:
    visits: int
    finished: int
    median_handling_min: float | None
    median_waiting_min: float | None
    by_kind: list[KindFigure]


def _median_minutes(spans: list[timedelta]) -> float | None:
    return statistics.median(s.total_seconds() / 60 for s in spans) if spans else None


def counter_figures(
    visits: QuerySet[CounterVisit], start: datetime | None = None, end: datetime | None = None
) -> CounterFigures:
    """Visits that arrived in [start, end): count by kind and the median handling time (served
    to finished, of the finished ones) and waiting time (arrival to being served)."""
    if start is not None:
        visits = visits.filter(arrived_at__gte=start)
    if end is not None:
        visits = visits.filter(arrived_at__lt=end)
    rows = list(visits.values_list("kind", "arrived_at", "served_at", "finished_at"))
    handling: dict[str, list[timedelta]] = defaultdict(list)
    waiting: list[timedelta] = []
    counts: dict[str, int] = defaultdict(int)
    for kind, arrived, served, finished in rows:
        counts[kind] += 1
        if served is not None:
            waiting.append(served - arrived)
            if finished is not None:
                handling[kind].append(finished - served)
    every = [span for spans in handling.values() for span in spans]
    return CounterFigures(
        visits=len(rows),
        finished=len(every),
        median_handling_min=_median_minutes(every),
        median_waiting_min=_median_minutes(waiting),
        by_kind=[
            KindFigure(
                k.value, str(k.label), counts.get(k.value, 0), _median_minutes(handling.get(k.value, []))
            )
            for k in CounterKind
        ],
    )


__all__ = [
    "access_meeting_by_scope",
    "available_actions",
    "counter_figures",
    "may_organise",
    "may_organise_in",
    "organisable_communities",
    "proposed_items",
    "visible_counter_visits",
    "visible_meetings",
]
