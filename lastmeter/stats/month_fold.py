"""The monthly folds of the rollup — ``AppealMonthArea`` from ``AppealDayArea``, ``TransferMonth``
from ``TransferSpan`` —: writing them, and reading a long range's sums from them.

A dashboard's default view is a year; summing a year of day rows five times (trend, YoY, MoM,
grids, categories) was most of the leadership dashboard's time on years of history. A range is
read as the whole calendar months of ``time_bins.split_range`` from the fold plus or minus the
edge days from the day rows, so the sums are exact (counts add; no approximation, unlike the
duration histograms that share the split).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
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
    _refold(AppealMonthArea, AppealDayArea, AREA_COLUMNS, months)


def rebuild_month_officer(months: Iterable[date]) -> None:
    """Refold these months of ``AppealMonthOfficer`` from the daily rollup (same preconditions)."""
    _refold(AppealMonthOfficer, AppealDay, OFFICER_COLUMNS, months)


def _refold(month_model, day_model, columns: tuple[str, ...], months: Iterable[date]) -> None:
    months = sorted(set(months))
    if not months:
        return
    month_model.objects.filter(month__in=months).delete()
    for m in months:
        rows = (
            day_model.objects.filter(day__gte=m, day__lte=month_end(m))
            .values(*columns)
            .annotate(**{f"s_{n}": Sum(n) for n in SUM_FIELDS})
            .order_by()
        )
        month_model.objects.bulk_create(
            (
                month_model(month=m, **{c: r[c] for c in columns}, **{n: r[f"s_{n}"] for n in SUM_FIELDS})
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
    "serves",
    "transfer_counts",
]
