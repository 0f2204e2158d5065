"""The appeal queue's filter: one definition for the API's query string and the queue page.

``filtered_queue`` takes the viewer's ``Scope``, not a request, so any caller (API, page, a
report) gets exactly the appeals that viewer may see, in the queue's order.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from ninja import Schema

from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import OPEN_STATES
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.selectors import visible_appeals


class QueueFilter(Schema):
    """What the queue may be narrowed to. ``None`` (or false) means: do not filter on it."""

    state: str | None = None
    grid: int | None = None
    category: str | None = None
    overdue: bool | None = None
    open: bool | None = None
    limit: int = 100
    offset: int = 0


def filtered_queue(scope: Scope, f: QueueFilter) -> QuerySet[Appeal]:
    """The appeals the viewer may see that match ``f``, soonest deadline first, then newest.

    ``limit`` and ``offset`` are not applied here: the caller slices."""
    qs = visible_appeals(scope).order_by("next_deadline_at", "-created_at")
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
    return qs


__all__ = ["QueueFilter", "filtered_queue"]
