"""The appeal queue's filter: one definition for the API's query string and the queue page.

``filtered_queue`` takes the viewer's ``Scope``, not a request, so any caller (API, page, a
report) gets exactly the appeals that viewer may see, in the queue's order.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from ninja import Schema

from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import OPEN_STATES, ClockState, TransferState
from lastmeter.appeals.models import Appeal, Clock
from lastmeter.appeals.selectors import visible_appeals


class QueueFilter(Schema):
    """What the queue may be narrowed to. ``None`` (or false) means: do not filter on it."""

    state: str | None = None
    grid: int | None = None
    category: str | None = None
    overdue: bool | None = None
    open: bool | None = None
    # The appeals behind a figure of the dashboards (stats): received on these local days, of a
    # community, channel or assignee, with a breached clock, transferred to a department (on
    # these local days).
    received_from: date | None = None
    received_to: date | None = None
    community: int | None = None
    channel: str | None = None
    assignee: int | None = None
    breached: bool | None = None
    department: int | None = None
    transferred_from: date | None = None
    transferred_to: date | None = None
    transfer_overdue: bool | None = None  # with ``department``: its open transfer is overdue
    limit: int = 100
    offset: int = 0


def filtered_queue(scope: Scope, f: QueueFilter) -> QuerySet[Appeal]:
    """The appeals the viewer may see that match ``f``, soonest deadline first, then newest.

    ``limit`` and ``offset`` are not applied here: the caller slices."""
    # Whether a clock has breached, asked in the same query: the rows show it as "overdue", and
    # asking row by row was one query per row (200 on a queue page).
    breached = Clock.objects.filter(appeal=OuterRef("pk"), state=ClockState.BREACHED)
    qs = (
        visible_appeals(scope)
        .annotate(has_breached_clock=Exists(breached))
        .order_by("next_deadline_at", "-created_at")
    )
    if f.state:
        qs = qs.filter(state=f.state)
    if f.open:
        qs = qs.filter(state__in=OPEN_STATES)
    if f.grid:
        qs = qs.filter(grid_id=f.grid)
    if f.category:
        qs = qs.filter(category__code=f.category)
    if f.overdue is True:
        # Overdue: a clock already breached, or the next running deadline has passed (the sweeper
        # may not have run yet).
        qs = qs.filter(Q(clocks__state="breached") | Q(next_deadline_at__lte=timezone.now())).distinct()
    return _figure_filters(qs, f)


def local_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The aware instants [start of ``first``, start of the day after ``last``) in local time;
    local days as the figures count them (stats' cohorts are local days of receipt)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(first, time.min, tzinfo=tz) if first else None,
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz) if last else None,
    )


def overdue_transfers_q(now: datetime, prefix: str = "") -> Q:
    """Transfers still waiting on their department (pending or accepted) whose department clock
    (acceptance or outcome) has breached or is past its deadline (the sweeper may lag): what the
    department dashboard counts as overdue and the queue lists behind that figure. ``prefix``
    reaches transfers from another model (``transfers__`` from appeals)."""
    return Q(**{f"{prefix}state__in": [TransferState.PENDING, TransferState.ACCEPTED]}) & (
        Q(**{f"{prefix}clocks__state": ClockState.BREACHED})
        | Q(**{f"{prefix}clocks__state": ClockState.RUNNING, f"{prefix}clocks__due_at__lte": now})
    )


def _figure_filters(qs: QuerySet[Appeal], f: QueueFilter) -> QuerySet[Appeal]:
    start, end = local_bounds(f.received_from, f.received_to)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    if f.community:
        qs = qs.filter(grid__community_id=f.community)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.assignee:
        qs = qs.filter(assignee_id=f.assignee)
    if f.breached:
        qs = qs.filter(clocks__state__in=["breached", "met_late"]).distinct()
    if f.department:
        # One filter() call: the same transfer is to the department and made on those days.
        first, last = local_bounds(f.transferred_from, f.transferred_to)
        transfer = Q(transfers__department_id=f.department)
        if first:
            transfer &= Q(transfers__created_at__gte=first)
        if last:
            transfer &= Q(transfers__created_at__lt=last)
        if f.transfer_overdue:
            transfer &= overdue_transfers_q(timezone.now(), prefix="transfers__")
        qs = qs.filter(transfer).distinct()
    return qs


__all__ = ["QueueFilter", "filtered_queue", "local_bounds", "overdue_transfers_q"]
