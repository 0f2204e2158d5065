"""Measures over the hours of the day and China's calendar (docs/MEASURES.md §Incident types and
the fleet, §Working days): the share of units busy per hour of day, working days of a range, rates
per working day and the clocks that count working days. Beside ``measures.py`` (whose helpers it
uses) only to keep each module short; the same rules hold: a checked ``Slice`` in, plain data out.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from lastmeter.appeals.choices import ClockState
from lastmeter.appeals.models import Clock
from lastmeter.dispatching.choices import Agency
from lastmeter.dispatching.models import Assignment, Unit
from lastmeter.lib.clocks import WORKING_DAYS, is_working_day
from lastmeter.stats.measures import Slice, percentile, ratio, raw_appeals
from lastmeter.stats.rollups import day_bounds, local_day, local_tz


def busy_share_by_hour(sl: Slice, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per agency, the share of its units busy in each local hour of day (0–23) over the slice's
    days. A unit is busy from a dispatch to its clearing (``Assignment.dispatched_at`` →
    ``cleared_at``; still busy now when not cleared): the assignments are the units' status
    history. share(h) = busy unit-seconds in hour h of the days / (units × seconds of hour h of
    the days that have passed). Every unit of the agency counts in the denominator: off-duty
    time is not kept historically (docs/MEASURES.md). Two queries."""
    start, end = day_bounds(sl.start, sl.end)
    cap = min(end, now or timezone.now())
    units = dict(Unit.objects.values("agency").annotate(n=Count("id")).values_list("agency", "n"))
    busy: dict[str, list[float]] = {agency: [0.0] * 24 for agency in units}
    per_unit: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    agency_of: dict[int, str] = {}
    # exclude() keeps the assignments not cleared yet (NULL), which are busy until now.
    for unit_id, agency, began, cleared in (
        Assignment.objects.filter(dispatched_at__lt=cap)
        .exclude(cleared_at__lte=start)
        .values_list("unit_id", "unit__agency", "dispatched_at", "cleared_at")
    ):
        agency_of[unit_id] = agency
        per_unit[unit_id].append((max(began, start), min(cleared or cap, cap)))
    tz = local_tz()
    for unit_id, spans in per_unit.items():
        for began, ended in _union(spans):
            _add_hours(busy[agency_of[unit_id]], began.astimezone(tz), ended.astimezone(tz))
    offered = [0.0] * 24  # seconds of each hour of day inside [start, cap)
    _add_hours(offered, start.astimezone(tz), max(cap, start).astimezone(tz))
    out = []
    for agency in sorted(units):
        label = str(Agency(agency).label) if agency in Agency.values else agency
        hours = [
            {"hour": h, "busy_share": ratio(busy[agency][h], units[agency] * offered[h])} for h in range(24)
        ]
        out.append({"agency": agency, "label": label, "units": units[agency], "hours": hours})
    return out


def _union(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping busy spans of one unit merged (a unit is busy or not; never twice)."""
    merged: list[tuple[datetime, datetime]] = []
    for began, ended in sorted(s for s in spans if s[1] > s[0]):
        if merged and began <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ended))
        else:
            merged.append((began, ended))
    return merged


def _add_hours(acc: list[float], began: datetime, ended: datetime) -> None:
    """Add the seconds of [began, ended) (local, aware) to acc[hour of day]."""
    while began < ended:
        edge = min(ended, began.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        acc[began.hour] += (edge - began).total_seconds()
        began = edge


def working_days(first: date, last: date) -> int:
    """Working days from ``first`` to ``last`` inclusive on China's calendar: weekdays without the
    public holidays, plus the weekend days worked in exchange (调休)."""
    return sum(is_working_day(first + timedelta(days=i)) for i in range((last - first).days + 1))


def working_day_measures(sl: Slice, received: int, transfers: int, *, now: datetime | None = None) -> dict:
    """Per-day and per-working-day rates of the slice, and the clocks that count working days.

    ``received`` and ``transfers`` are the slice's counts (measured by the caller with the
    other figures). Days are those of the slice that have begun, so a period still running is
    not divided by days to come. A clock counting working days (a department's outcome clock:
    N working days) is reported with the working days it used: those after its start day up to
    the day it stopped (the deadline is the end of the N-th). Its on-time rate is met / decided
    as for every clock — its deadline was computed on the same calendar. One query."""
    today = local_day(now or timezone.now())
    last = min(sl.end, today)
    days = max((last - sl.start).days + 1, 0)
    worked = working_days(sl.start, last) if days else 0
    clocks: dict[str, dict[str, Any]] = defaultdict(lambda: {"met": 0, "breached": 0, "open": 0, "used": []})
    tz = local_tz()
    rows = Clock.objects.filter(unit=WORKING_DAYS, appeal__in=raw_appeals(sl)).values_list(
        "kind", "state", "started_at", "met_at", "amount"
    )
    for kind, state, started, met_at, amount in rows:
        c = clocks[kind]
        c["amount"] = max(c.get("amount", 0), amount)
        if state == ClockState.MET:
            c["met"] += 1
        elif state in (ClockState.BREACHED, ClockState.MET_LATE):
            c["breached"] += 1
        elif state in (ClockState.RUNNING, ClockState.PAUSED):
            c["open"] += 1
        if met_at is not None:
            begun = started.astimezone(tz).date() + timedelta(days=1)
            ended = met_at.astimezone(tz).date()
            c["used"].append(working_days(begun, ended) if ended >= begun else 0)
    return {
        "days": days,
        "working_days": worked,
        "received_per_day": ratio(received, days),
        "received_per_working_day": ratio(received, worked),
        "transfers_per_working_day": ratio(transfers, worked),
        "clocks": [
            {
                "kind": kind,
                "allowed_working_days": c["amount"],
                "met": c["met"],
                "breached": c["breached"],
                "open": c["open"],
                "on_time_rate": ratio(c["met"], c["met"] + c["breached"]),
                "used_p50_working_days": _thousandths(percentile(c["used"], 0.5)),
                "used_p90_working_days": _thousandths(percentile(c["used"], 0.9)),
            }
            for kind, c in sorted(clocks.items())
        ],
    }


def _thousandths(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


__all__ = ["busy_share_by_hour", "working_day_measures", "working_days"]
