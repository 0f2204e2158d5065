"""Grouped sums over the rollup tables in plain SQL, for the reads the dashboards repeat.

Why not the ORM: a dashboard asks for some ten grouped sums of the rollup's 27 columns (the
trend, the totals a year and a period earlier, per grid, per category, per officer), each over
a few dozen to a few thousand rows. Building each ORM query — 27 ``Sum`` expressions resolved
and compiled, every row turned into a dict through its converters — cost as much as PostgreSQL
took to run it. The statement here is the same one the ORM wrote (``SUM``, ``CASE``, ``GROUP BY``,
``IN``; the period through the backend's own ``date_trunc_sql``), written once, and runs as is on
PostgreSQL and SQLite; ``stats.tests.test_month_fold`` holds it equal to the ORM's reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils.dateparse import parse_date

# A day range weighing +1 or −1 (``time_bins.split_range``'s edges).
Edge = tuple[date, date, int]


def grouped_sums(
    model: type[Model],
    fields: Sequence[str],
    lookups: dict[str, Any],
    *,
    within: tuple[str, date, date] | None = None,
    edges: Iterable[Edge] = (),
    bucket: tuple[str, str | None] | None = None,
    key: str | None = None,
    ordered: bool = False,
) -> list[tuple[Any, Any, int, list[int]]]:
    """[(period start or None, key value or None, weight, [sum of each field])] over the rows
    of ``model`` that match ``lookups`` (the ``slice_lookups`` form: ``column`` or
    ``column__in``), inside ``within`` (column, first, last; inclusive) and/or on the ``edges``
    (each row weighs the sign of its edge; 1 without edges). ``bucket`` (column, period): group
    by that date column truncated to the period (None: the column as it is); ``key``: group by
    that column too; ``ordered``: in the order of the groups (the backend's, NULLs included, as
    the ORM's ``order_by``). Without a bucket or key, one row even when nothing matched (sums
    0), as an aggregate. One query."""
    q = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    select: list[str] = []
    select_params: list[Any] = []
    where: list[str] = []
    params: list[Any] = []
    edges = list(edges)
    if edges:
        day = q("day")
        whens = " ".join(f"WHEN {day} >= %s AND {day} <= %s THEN {int(sign)}" for *_days, sign in edges)
        select.append(f"CASE {whens} ELSE 0 END")
        where.append("(" + " OR ".join(f"({day} >= %s AND {day} <= %s)" for _ in edges) + ")")
        for first, last, _sign in edges:
            select_params += [adapt(first), adapt(last)]
            params += [adapt(first), adapt(last)]
    else:
        select.append("1")
    if bucket is not None:
        column, period = bucket
        if period is None:
            select.append(q(column))
        else:
            sql, trunc_params = connection.ops.date_trunc_sql(period, q(column), ())
            select.append(sql)
            select_params += trunc_params
    else:
        select.append("NULL")
    select.append(q(key) if key else "NULL")
    grouped = [i + 1 for i in range(3) if (i == 0 and edges) or (i == 1 and bucket) or (i == 2 and key)]
    if within is not None:
        column, first, last = within
        where.append(f"{q(column)} >= %s AND {q(column)} <= %s")
        params += [adapt(first), adapt(last)]
    for lookup, value in lookups.items():
        if lookup.endswith("__in"):
            values = sorted(value)
            if not values:
                where.append("1 = 0")  # an empty set of grids: nothing, as the ORM answers
                continue
            where.append(f"{q(lookup[:-4])} IN ({', '.join(['%s'] * len(values))})")
            params += values
        else:
            where.append(f"{q(lookup)} = %s")
            params.append(value)
    select += [f"SUM({q(f)})" for f in fields]
    sql = f"SELECT {', '.join(select)} FROM {q(model._meta.db_table)}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if grouped:
        sql += " GROUP BY " + ", ".join(str(i) for i in grouped)
        if ordered:
            sql += " ORDER BY " + ", ".join(str(i) for i in grouped)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *params])
        rows = cursor.fetchall()
    return [(_as_date(p), k, w, [v or 0 for v in sums]) for w, p, k, *sums in rows]


def _as_date(value: Any) -> date | None:
    """A period start as a date: PostgreSQL's ``date_trunc`` answers a timestamp (midnight,
    in the connection's UTC), SQLite's function a text."""
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    return parse_date(str(value)[:10])


__all__ = ["Edge", "grouped_sums"]
