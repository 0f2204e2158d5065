"""The monthly and weekly folds of the rollup — ``AppealMonthArea`` and ``AppealWeekArea`` from
``AppealDayArea``, ``AppealMonthOfficer`` from ``AppealDay``, ``TransferMonth`` from
``TransferSpan`` —: writing them, and reading a long range's sums from them.

A dashboard's default view is a year; summing a year of day rows five times (trend, YoY, MoM,
grids, categories) was most of the leadership dashboard's time on years of history. A range is
read as the whole calendar months of ``time_bins.split_range`` from the fold plus or minus the
edge days from the day rows, so the sums are exact (counts add; no approximation, unlike the
duration histograms that share the split).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, IntegerField, Q, Sum, Value
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear

from lastmeter.stats import rollup_sql
from lastmeter.stats.models import (
    SUM_FIELDS,
    TRANSFER_SUM_FIELDS,
    AppealDay,
    AppealDayArea,
    AppealMonthArea,
    AppealMonthOfficer,
    AppealWeekArea,
    TransferMonth,
    TransferSpan,
)
from lastmeter.stats.time_bins import edge_filter, month_end, split_range, use_bins

AREA_COLUMNS = ("grid_id", "community_id", "category_id")
OFFICER_COLUMNS = ("grid_id", "community_id", "assignee_id")
# Periods whose buckets are unions of whole months: the fold can serve their trends.
MONTHLY_PERIODS: dict[str | None, Any] = {
    None: None,
    "month": TruncMonth,
    "quarter": TruncQuarter,
    "year": TruncYear,
}


# --- writing ----------------------------------------------------------------------------------


def rebuild_month_area(months: Iterable[date]) -> None:
    """Refold these months (first days) from the day rows; the caller holds a transaction and
    has rewritten the days that changed."""
    _refold(AppealMonthArea, "month", AppealDayArea, AREA_COLUMNS, [(m, month_end(m)) for m in set(months)])


def rebuild_month_officer(months: Iterable[date]) -> None:
    """Refold these months of ``AppealMonthOfficer`` from the daily rollup (same preconditions)."""
    _refold(AppealMonthOfficer, "month", AppealDay, OFFICER_COLUMNS, [(m, month_end(m)) for m in set(months)])


def rebuild_week_area(months: Iterable[date]) -> None:
    """Refold every week that meets these months (first days) from the day rows by area (same
    preconditions: a week across two months is refolded with either)."""
    weeks = set()
    for m in set(months):
        week = week_of(m)
        while week <= month_end(m):
            weeks.add(week)
            week += timedelta(days=7)
    _refold(AppealWeekArea, "week", AppealDayArea, AREA_COLUMNS, [(w, w + timedelta(days=6)) for w in weeks])


def week_of(d: date) -> date:
    """The Monday of the ISO week of ``d``."""
    return d - timedelta(days=d.weekday())


def _refold(
    model, period_field: str, day_model, columns: tuple[str, ...], spans: list[tuple[date, date]]
) -> None:
    """Replace ``model``'s rows of these spans (first day, last day; the first is the row's
    ``period_field``) by the sums of ``day_model``'s rows of their days."""
    spans = sorted(spans)
    if not spans:
        return
    model.objects.filter(**{f"{period_field}__in": [first for first, _last in spans]}).delete()
    for first, last in spans:
        rows = (
            day_model.objects.filter(day__gte=first, day__lte=last)
            .values(*columns)
            .annotate(**{f"s_{n}": Sum(n) for n in SUM_FIELDS})
            .order_by()
        )
        model.objects.bulk_create(
            (
                model(
                    **{period_field: first},
                    **{c: r[c] for c in columns},
                    **{n: r[f"s_{n}"] for n in SUM_FIELDS},
                )
                for r in rows
            ),
            batch_size=1000,
        )


def rebuild_transfer_months(months: Iterable[date]) -> None:
    """Recount these months' transfers from the spans (same preconditions as above)."""
    months = sorted(set(months))
    if not months:
        return
    TransferMonth.objects.filter(month__in=months).delete()
    for m in months:
        rows = (
            TransferSpan.objects.filter(day__gte=m, day__lte=month_end(m))
            .values("department_id", *AREA_COLUMNS)
            .annotate(**_transfer_sums(1))
            .order_by()
        )
        TransferMonth.objects.bulk_create(
            (TransferMonth(month=m, **r) for r in rows),
            batch_size=1000,
        )


def _transfer_sums(weight) -> dict[str, Any]:
    """The counts of a set of spans, each span weighing ``weight`` (an expression or 1); named
    as ``TransferMonth``'s columns."""
    if weight == 1:
        return {
            "transfers": Count("id"),
            "returned": Count("id", filter=Q(returned=True)),
            **{c: Sum(c) for c in TRANSFER_SUM_FIELDS},
        }
    return {
        "transfers": Sum(weight),
        "returned": Sum(weight, filter=Q(returned=True)),
        **{c: Sum(F(c) * weight) for c in TRANSFER_SUM_FIELDS},
    }


# --- reading ----------------------------------------------------------------------------------


def serves(start: date, end: date, period: str | None) -> bool:
    """Whether a range and trend period are read from the folds: the period is whole months,
    and the range holds two whole months as for the histograms (``time_bins.use_bins``; a
    shorter one has few day rows, and a fold would cost it a second query for the edges)."""
    return period in MONTHLY_PERIODS and use_bins(start, end)


def grouped_sums(
    start: date,
    end: date,
    lookups: dict[str, Any],
    period: str | None,
    key: str | None,
    *,
    officer: bool = False,
) -> dict[tuple[Any, Any], dict[str, int]]:
    """``measures.grouped_sums`` of an area slice (``lookups``: its filters on the area columns;
    ``key``: the area column to group by) read from the monthly fold plus the edge days, each
    weighing +1 or −1: two queries. Groups left with nothing received (all their rows on days
    taken away) are dropped, as the day rows would not have them. ``officer``: read the fold
    that keeps the officer (``AppealMonthOfficer``, its edge days from ``AppealDay``) instead
    of the one that keeps the category."""
    month_model, day_model = (AppealMonthOfficer, AppealDay) if officer else (AppealMonthArea, AppealDayArea)
    months, edges = split_range(start, end)
    out: dict[tuple[Any, Any], dict[str, int]] = {}
    within = ("month", months[0], months[-1])
    _fold_in(
        out,
        rollup_sql.grouped_sums(
            month_model, SUM_FIELDS, lookups, within=within, bucket=_bucket(period, "month"), key=key
        ),
    )
    if edges:
        # The edge days are grouped by their weight (one CASE per row, not one per sum).
        _fold_in(
            out,
            rollup_sql.grouped_sums(
                day_model, SUM_FIELDS, lookups, edges=edges, bucket=_bucket(period, "day"), key=key
            ),
        )
    return {k: v for k, v in out.items() if v["received"] > 0}


def week_serves(start: date, end: date, period: str | None) -> bool:
    """Whether a weekly trend over a range is read from the weekly fold: the range holds two
    whole weeks (a shorter one has few day rows)."""
    if period != "week":
        return False
    first, last = _whole_weeks(start, end)
    return (last - first).days + 1 >= 14


def _whole_weeks(start: date, end: date) -> tuple[date, date]:
    """The first Monday and last Sunday of the whole weeks inside ``start``..``end``."""
    first = start if start.weekday() == 0 else week_of(start) + timedelta(days=7)
    return first, week_of(end + timedelta(days=1)) - timedelta(days=1)


def weekly_sums(
    start: date, end: date, lookups: dict[str, Any], key: str | None
) -> dict[tuple[Any, Any], dict[str, int]]:
    """``measures.grouped_sums`` of an area slice by week (``week_serves``): the whole weeks
    from the weekly fold, the days of the part weeks at either end (six at most each) from the
    day rows by area, the period of each its Monday: two queries, exact, in the order of the
    periods (then the keys, none last)."""
    first, last = _whole_weeks(start, end)
    out: dict[tuple[Any, Any], dict[str, int]] = {}
    within = ("week", first, last - timedelta(days=6))
    _fold_in(
        out,
        rollup_sql.grouped_sums(
            AppealWeekArea, SUM_FIELDS, lookups, within=within, bucket=("week", None), key=key
        ),
    )
    edges = [(start, first - timedelta(days=1), 1)] if start < first else []
    edges += [(last + timedelta(days=1), end, 1)] if last < end else []
    if edges:
        _fold_in(
            out,
            rollup_sql.grouped_sums(
                AppealDayArea, SUM_FIELDS, lookups, edges=edges, bucket=("day", "week"), key=key
            ),
        )
    ordered = sorted(out.items(), key=lambda kv: (kv[0][0], kv[0][1] is None, kv[0][1] or 0))
    return {k: v for k, v in ordered if v["received"] > 0}


def _bucket(period: str | None, column: str) -> tuple[str, str | None] | None:
    """How a row's period start is read (None: no trend): the month column as it is for a
    monthly trend, else the column truncated to the period."""
    if period is None:
        return None
    return (column, None) if period == "month" and column == "month" else (column, period)


def _fold_in(out: dict[tuple[Any, Any], dict[str, int]], rows: list[tuple[Any, Any, int, list[int]]]) -> None:
    for p, k, sign, sums in rows:
        total = out.setdefault((p, k), dict.fromkeys(SUM_FIELDS, 0))
        for n, value in zip(SUM_FIELDS, sums, strict=True):
            total[n] += value * sign


TRANSFER_COUNTS = ("transfers", "returned", *TRANSFER_SUM_FIELDS)


def transfer_counts(
    start: date, end: date, lookups: dict[str, Any], key: str | None
) -> dict[Any, dict[str, int]]:
    """{value of ``key`` (None without): transfer counts} of the transfers made in a range with
    two whole months (``serves``), from the monthly counts plus the edge days' spans weighted ±1:
    two queries. ``lookups`` filter on the department and area columns."""
    months, edges = split_range(start, end)
    out: dict[Any, dict[str, int]] = {}

    def add(rows) -> None:
        for row in rows:
            total = out.setdefault(row["k"], dict.fromkeys(TRANSFER_COUNTS, 0))
            for c in TRANSFER_COUNTS:
                total[c] += row[f"s_{c}"] or 0

    def keyed(qs):
        return qs.annotate(k=F(key)) if key else qs.annotate(k=Value(None, output_field=IntegerField()))

    add(
        keyed(TransferMonth.objects.filter(month__gte=months[0], month__lte=months[-1], **lookups))
        .values("k")
        .annotate(**{f"s_{c}": Sum(c) for c in TRANSFER_COUNTS})
        .order_by()
    )
    if edges:
        condition, weight = edge_filter(edges)
        add(
            keyed(TransferSpan.objects.filter(condition, **lookups))
            .values("k")
            .annotate(**{f"s_{c}": v for c, v in _transfer_sums(weight).items()})
            .order_by()
        )
    return {k: v for k, v in out.items() if v["transfers"] > 0}


__all__ = [
    "MONTHLY_PERIODS",
    "grouped_sums",
    "rebuild_month_area",
    "rebuild_month_officer",
    "rebuild_transfer_months",
    "rebuild_week_area",
    "serves",
    "transfer_counts",
    "week_of",
    "week_serves",
    "weekly_sums",
]
