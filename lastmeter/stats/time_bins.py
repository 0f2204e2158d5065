"""The monthly duration histograms (``TimeBin``): writing them with the rollup, and reading a
range's bin counts for the percentiles of long ranges (``stats.measures``).

A range is read as its whole calendar months from ``TimeBin`` plus its edge days (the part
months at either end) counted from the per-row tables (``AppealTime``, ``TransferSpan``) with the
same bins. On PostgreSQL the binning is ``width_bucket`` over the shared edges; elsewhere it is
Python's ``bisect`` over the same list (``stats.algorithms.histogram``), so both databases count
every duration in the same bin; a test holds the two writers equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, Value, When

from lastmeter.stats.algorithms.histogram import EDGES, bin_of
from lastmeter.stats.models import AppealTime, TimeBin, TimeBinDay, TimeBinFold, TransferSpan

# Series → the column (hours) of AppealTime, and → the column (seconds) of TransferSpan.
APPEAL_SERIES = {"contact": "contact_h", "land": "land_h", "resolve": "resolve_h"}
TRANSFER_SERIES = {"accept": "accept_s", "outcome": "outcome_s"}
# Ranges holding at least this many whole calendar months read the histograms; shorter ones
# sort the exact values (a month of the whole jurisdiction is some 30,000 rows, quick to sort).
MIN_WHOLE_MONTHS = 2


def month_of(d: date) -> date:
    return d.replace(day=1)


def month_end(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def split_range(start: date, end: date) -> tuple[list[date], list[tuple[date, date, int]]]:
    """The calendar months whose histograms a range reads, and the edge days to add (+1) or take
    away (−1) so that the sum counts exactly the days of ``start``..``end``.

    A part month at either end that covers more than half its month is read as the whole month
    minus the days outside the range (fewer rows to count than the days inside); a smaller one as
    its own days. Without a whole month inside the range, the range is all edge."""
    whole: list[date] = []
    m = month_of(start) if start.day == 1 else month_of(month_end(start) + timedelta(days=1))
    while month_end(m) <= end:
        whole.append(m)
        m = month_end(m) + timedelta(days=1)
    if not whole:
        return [], [(start, end, 1)]
    months = list(whole)
    edges: list[tuple[date, date, int]] = []
    if start < whole[0]:
        head = month_of(start)
        if (month_end(head) - start).days + 1 > (start - head).days:
            months.insert(0, head)
            edges.append((head, start - timedelta(days=1), -1))
        else:
            edges.append((start, month_end(head), 1))
    last = month_end(whole[-1])
    if last < end:
        tail = month_of(end)
        if (end - tail).days + 1 > (month_end(tail) - end).days:
            months.append(tail)
            edges.append((end + timedelta(days=1), month_end(tail), -1))
        else:
            edges.append((tail, end, 1))
    return months, edges


def use_bins(start: date, end: date) -> bool:
    """Whether a range holds enough whole calendar months to read the histograms."""
    months, edges = split_range(start, end)
    return len(months) - sum(1 for *_days, sign in edges if sign < 0) >= MIN_WHOLE_MONTHS


# --- writing ------------------------------------------------------------------------------------


def months_of(days: Iterable[date]) -> set[date]:
    return {month_of(d) for d in days}


def rebuild_bins(months: Iterable[date]) -> None:
    """Replace the histograms of these months by a recount of the rows they fold (caller holds
    a transaction and has rewritten the rows of the days that changed)."""
    months = sorted(set(months))
    if not months:
        return
    TimeBin.objects.filter(month__in=months).delete()
    for m in months:
        TimeBinDay.objects.filter(day__gte=m, day__lte=month_end(m)).delete()
    if connection.vendor == "postgresql":
        for m in months:
            _insert_sql(m)
    else:
        TimeBin.objects.bulk_create(compute_bins(months), batch_size=1000)
        TimeBinDay.objects.bulk_create(compute_day_bins(months), batch_size=1000)
    fold_bins(months)


def fold_bins(months: Iterable[date]) -> None:
    """Replace the ``TimeBinFold`` rows of these months by ``TimeBin``'s appeal rows per area
    summed over the officers, its transfer rows per department summed over the categories and
    its jurisdiction's appeal rows as they are (after ``rebuild_bins`` rewrote them; three
    queries a month)."""
    months = sorted(set(months))
    TimeBinFold.objects.filter(month__in=months).delete()
    for m in months:
        appeals = (
            TimeBin.objects.filter(month=m, whole=False, series__in=APPEAL_SERIES)
            .values_list("series", "grid_id", "community_id", "bin")
            .annotate(t=Sum("n"))
            .order_by()
        )
        transfers = (
            TimeBin.objects.filter(month=m, whole=True, series__in=TRANSFER_SERIES)
            .values_list("series", "department_id", "bin")
            .annotate(t=Sum("n"))
            .order_by()
        )
        rows = [
            TimeBinFold(series=series, month=m, grid_id=grid, community_id=community, bin=b, n=t)
            for series, grid, community, b, t in appeals
        ]
        rows += [
            TimeBinFold(series=series, month=m, department_id=department, bin=b, n=t)
            for series, department, b, t in transfers
        ]
        whole = TimeBin.objects.filter(month=m, whole=True, series__in=APPEAL_SERIES).values_list(
            "series", "bin", "n"
        )
        rows += [TimeBinFold(series=series, month=m, whole=True, bin=b, n=n) for series, b, n in whole]
        TimeBinFold.objects.bulk_create(rows, batch_size=1000)


def compute_day_bins(months: Iterable[date]) -> list[TimeBinDay]:
    """The ``TimeBinDay`` rows (the jurisdiction's appeal histograms per day) of these months,
    counted in Python."""
    counts: dict[tuple[str, date, int], int] = defaultdict(int)
    for m in sorted(set(months)):
        times = AppealTime.objects.filter(day__gte=m, day__lte=month_end(m)).values_list(
            "day", *APPEAL_SERIES.values()
        )
        for day, *hours in times:
            for series, h in zip(APPEAL_SERIES, hours, strict=True):
                if h is not None:
                    counts[(series, day, bin_of(h))] += 1
    return [TimeBinDay(series=s, day=d, bin=b, n=n) for (s, d, b), n in counts.items()]


def compute_bins(months: Iterable[date]) -> list[TimeBin]:
    """The ``TimeBin`` rows of these months, counted in Python."""
    out: list[TimeBin] = []
    for m in sorted(set(months)):
        whole: dict[tuple[str, int], int] = defaultdict(int)
        area: dict[tuple[str, Any, Any, Any, int], int] = defaultdict(int)
        times = AppealTime.objects.filter(day__gte=m, day__lte=month_end(m)).values_list(
            "grid_id", "community_id", "assignee_id", *APPEAL_SERIES.values()
        )
        for grid, community, assignee, *hours in times:
            for series, h in zip(APPEAL_SERIES, hours, strict=True):
                if h is not None:
                    b = bin_of(h)
                    whole[(series, b)] += 1
                    area[(series, grid, community, assignee, b)] += 1
        out += [TimeBin(series=s, month=m, whole=True, bin=b, n=n) for (s, b), n in whole.items()]
        out += [
            TimeBin(series=s, month=m, grid_id=g, community_id=c, assignee_id=a, bin=b, n=n)
            for (s, g, c, a, b), n in area.items()
        ]
        spans: dict[tuple[str, int, Any, int], int] = defaultdict(int)
        rows = TransferSpan.objects.filter(day__gte=m, day__lte=month_end(m)).values_list(
            "department_id", "category_id", *TRANSFER_SERIES.values()
        )
        for department, category, *seconds in rows:
            for series, s in zip(TRANSFER_SERIES, seconds, strict=True):
                if s is not None:
                    spans[(series, department, category, bin_of(s / 3600.0))] += 1
        out += [
            TimeBin(series=s, month=m, whole=True, department_id=d, category_id=c, bin=b, n=n)
            for (s, d, c, b), n in spans.items()
        ]
    return out


def _insert_sql(m: date) -> None:
    """PostgreSQL: ``compute_bins([m])`` and ``compute_day_bins([m])`` in three statements (a
    test holds them equal)."""
    q = connection.ops.quote_name
    table = q(TimeBin._meta.db_table)
    params: dict[str, Any] = {"first": m, "last": month_end(m), "edges": list(EDGES)}
    appeal_values = ", ".join(f"('{s}', t.{q(c)})" for s, c in APPEAL_SERIES.items())
    transfer_values = ", ".join(f"('{s}', t.{q(c)} / 3600.0)" for s, c in TRANSFER_SERIES.items())
    with connection.cursor() as cursor:
        # Each appeal's steps counted twice: in the jurisdiction's fold and in its area's row.
        cursor.execute(
            f"""
            INSERT INTO {table} (series, month, whole, grid_id, community_id, assignee_id,
                                 department_id, category_id, bin, n)
            SELECT s.series, %(first)s, w.whole,
                   CASE WHEN w.whole THEN NULL ELSE t.grid_id END,
                   CASE WHEN w.whole THEN NULL ELSE t.community_id END,
                   CASE WHEN w.whole THEN NULL ELSE t.assignee_id END,
                   NULL, NULL, width_bucket(s.h, %(edges)s::double precision[]), COUNT(*)
            FROM {q(AppealTime._meta.db_table)} t
            CROSS JOIN LATERAL (VALUES {appeal_values}) s(series, h)
            CROSS JOIN (VALUES (true), (false)) w(whole)
            WHERE t.day >= %(first)s AND t.day <= %(last)s AND s.h IS NOT NULL
            GROUP BY 1, 3, 4, 5, 6, 9
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {q(TimeBinDay._meta.db_table)} (series, day, bin, n)
            SELECT s.series, t.day, width_bucket(s.h, %(edges)s::double precision[]), COUNT(*)
            FROM {q(AppealTime._meta.db_table)} t
            CROSS JOIN LATERAL (VALUES {appeal_values}) s(series, h)
            WHERE t.day >= %(first)s AND t.day <= %(last)s AND s.h IS NOT NULL
            GROUP BY 1, 2, 3
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (series, month, whole, grid_id, community_id, assignee_id,
                                 department_id, category_id, bin, n)
            SELECT s.series, %(first)s, true, NULL, NULL, NULL, t.department_id, t.category_id,
                   width_bucket(s.h, %(edges)s::double precision[]), COUNT(*)
            FROM {q(TransferSpan._meta.db_table)} t
            CROSS JOIN LATERAL (VALUES {transfer_values}) s(series, h)
            WHERE t.day >= %(first)s AND t.day <= %(last)s AND s.h IS NOT NULL
            GROUP BY 1, 7, 8, 9
            """,
            params,
        )


# --- reading ------------------------------------------------------------------------------------

Counts = dict[Any, dict[str, dict[int, int]]]  # key → series → bin → count


def read_counts(
    months: list[date],
    bins: QuerySet[TimeBin] | QuerySet[TimeBinFold],
    key: str | None,
    edge_rows: QuerySet | None,
    columns: dict[str, str],
    scale: float,
) -> Counts:
    """Bin counts per key and series: the months' ``TimeBin`` or ``TimeBinFold`` rows (``bins``,
    already filtered to the slice, grouped here by ``key``), plus the edge days' rows (``edge_rows``: the per-row
    table filtered to the slice and the edge days, annotated with its key ``k`` and its weight
    ``w``, +1 or −1, see ``split_range``) binned with the same edges, each column's value divided
    by ``scale`` into hours. Two queries."""
    out: Counts = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    if months:
        # Plain tuples from the cursor: a year of a jurisdiction's departments is some 10,000
        # groups, and the ORM's per-row iteration (converters, then a dict or tuple) cost more
        # than the query. The columns need no converting: text, small and big integers.
        fields = ("series", "bin", key) if key else ("series", "bin")
        grouped = bins.filter(month__in=months).values(*fields).annotate(t=Sum("n")).order_by()
        sql, params = grouped.values_list(*fields, "t").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if key:
            for series, b, k, t in rows:
                out[k][series][b] += t
        else:
            for series, b, t in rows:
                out[None][series][b] += t
    if edge_rows is not None:
        _add_edges(out, edge_rows.values("k", "w", *columns.values()).order_by(), columns, scale)
    return out


def _add_edges(out: Counts, rows: QuerySet, columns: dict[str, str], scale: float) -> None:
    if connection.vendor == "postgresql":
        sql, params = rows.query.sql_with_params()
        q = connection.ops.quote_name
        values = ", ".join(f"('{s}', t.{q(c)} / {scale!r})" for s, c in columns.items())
        query = (
            f"SELECT t.k, s.series, width_bucket(s.h, %s::double precision[]), SUM(t.w) FROM ({sql}) t "
            f"CROSS JOIN LATERAL (VALUES {values}) s(series, h) WHERE s.h IS NOT NULL GROUP BY 1, 2, 3"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, (list(EDGES), *params))  # the edges come first in the text
            for k, series, b, n in cursor.fetchall():
                out[k][series][b] += n
        return
    for row in rows:
        for series, column in columns.items():
            if row[column] is not None:
                out[row["k"]][series][bin_of(row[column] / scale)] += row["w"]


def add_whole_day_edges(out: Counts, edges: list[tuple[date, date, int]]) -> None:
    """Add the jurisdiction's edge days (``split_range``) to ``out[None]`` from ``TimeBinDay``:
    one query over a few hundred rows a day, instead of binning each appeal of those days."""
    if not edges:
        return
    days, weight = edge_filter(edges)
    rows = TimeBinDay.objects.filter(days).values("series", "bin").annotate(t=Sum(F("n") * weight)).order_by()
    sql, params = rows.values_list("series", "bin", "t").query.sql_with_params()
    with connection.cursor() as cursor:  # plain tuples, as in ``read_counts``
        cursor.execute(sql, params)
        for series, b, t in cursor.fetchall():
            out[None][series][b] += t


def read_whole_counts(splits: list[tuple[list[date], list[tuple[date, date, int]]]]) -> list[Counts]:
    """The jurisdiction's appeal bin counts (key None → series → bin → count) of several ranges, each given
    as its ``split_range``: their whole months in one query and their edge days (from
    ``TimeBinDay``) in another, a sum per range. The same counts as ``read_counts`` plus
    ``add_whole_day_edges`` for each range."""
    out: list[Counts] = [defaultdict(lambda: defaultdict(lambda: defaultdict(int))) for _s in splits]
    months = sorted({m for whole, _edges in splits for m in whole})
    sums = {f"t{i}": Sum("n", filter=Q(month__in=whole)) for i, (whole, _edges) in enumerate(splits)}
    rows = (
        TimeBinFold.objects.filter(series__in=APPEAL_SERIES, whole=True, month__in=months)
        .values("series", "bin")
        .annotate(**sums)
        .order_by()
    )
    _add_per_range(out, rows.values_list("series", "bin", *sums))
    with_edges = [(i, edges) for i, (_whole, edges) in enumerate(splits) if edges]
    if with_edges:
        condition = Q(pk__in=[])
        edge_sums = {}
        for i, edges in with_edges:
            days, weight = edge_filter(edges)
            condition |= days
            edge_sums[f"t{i}"] = Sum(F("n") * weight)
        zero = {f"t{i}": Value(0) for i in range(len(splits)) if f"t{i}" not in edge_sums}
        edge_rows = (
            TimeBinDay.objects.filter(condition, series__in=APPEAL_SERIES)
            .values("series", "bin")
            .annotate(**edge_sums)
            .annotate(**zero)
            .order_by()
        )
        _add_per_range(out, edge_rows.values_list("series", "bin", *(f"t{i}" for i in range(len(splits)))))
    return out


def _add_per_range(out: list[Counts], rows: QuerySet) -> None:
    """Add rows of (series, bin, one count per range) to each range's counts (as tuples from the
    cursor, as in ``read_counts``)."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for series, b, *per_range in cursor.fetchall():
            for counts, n in zip(out, per_range, strict=True):
                if n:
                    counts[None][series][b] += n


def edge_filter(edges: list[tuple[date, date, int]]) -> tuple[Q, Case]:
    """The condition selecting the edge days of ``split_range`` and the weight of each row."""
    condition = Q(pk__in=[])
    whens = []
    for first, last, sign in edges:
        days = Q(day__gte=first, day__lte=last)
        condition |= days
        whens.append(When(days, then=Value(sign)))
    return condition, Case(*whens, default=Value(0), output_field=IntegerField())


__all__ = [
    "APPEAL_SERIES",
    "TRANSFER_SERIES",
    "add_whole_day_edges",
    "compute_bins",
    "compute_day_bins",
    "edge_filter",
    "fold_bins",
    "month_end",
    "month_of",
    "months_of",
    "read_counts",
    "read_whole_counts",
    "rebuild_bins",
    "split_range",
    "use_bins",
]
