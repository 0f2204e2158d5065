"""Keeping the rollup up to date: rebuild whole local days, and find the days that changed.

Four tables are rebuilt together (docs/MEASURES.md §Rollup): ``AppealDay``, its fold by area
``AppealDayArea`` (with receipts per local hour), ``AppealTime`` (each appeal's hours to its
first contact, landing and resolution) and ``TransferSpan`` (one row per transfer); then the
monthly duration histograms (``TimeBin``, ``stats.time_bins``) of the months those days touch. On
PostgreSQL each is one ``INSERT … SELECT`` (``insert_*_sql``); elsewhere the ``compute_*``
functions build the rows in Python; tests hold the two equal.

An appeal's facts (clocks, transfers, ratings, state events) all count on the day the appeal was
*received*, so a change to an appeal dirties exactly one day: the local day of its
``created_at``. Nothing below this floor has to know about the rollup: every write to an appeal
already leaves a timestamp behind (``Appeal.updated_at`` on each state move, an ``AppealEvent``
for every step, breach and escalation, ``Rating.at``, ``Transfer.decided_at``/``completed_at``,
``Clock.met_at``/``breached_at``). ``refresh`` reads those since its watermark (minus an overlap
for transactions that committed late), collects the days of the appeals they touch and rebuilds
only those days. The worker calls it on every pass.

A deleted appeal leaves no timestamp: ``rebuild`` recomputes a date range after such a purge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from lastmeter.appeals.choices import AppealState, ClockKind, ClockState, EventKind, TransferState
from lastmeter.appeals.models import Appeal, AppealEvent, Clock, Rating, Transfer
from lastmeter.grids.models import Grid
from lastmeter.stats.models import (
    AREA_KEY_FIELDS,
    CLOCK_COLUMNS,
    HOUR_FIELDS,
    KEY_FIELDS,
    SUM_FIELDS,
    AppealDay,
    AppealDayArea,
    AppealTime,
    RollupState,
    TransferSpan,
)
from lastmeter.stats.month_fold import (
    rebuild_month_area,
    rebuild_month_officer,
    rebuild_transfer_months,
    rebuild_week_area,
)
from lastmeter.stats.time_bins import month_of, months_of, rebuild_bins

ROLLUP = "appeal_day"
# Changes written by a transaction that was still open when the last refresh read are caught by
# re-reading this much before the watermark (a day rebuilt twice is harmless).
OVERLAP = timedelta(minutes=5)
MET_STATES = (ClockState.MET,)
# The first state event that ends each stretch of time measured from receipt (docs/MEASURES.md).
TIME_STEPS: dict[str, tuple[str, ...]] = {
    "contact": (AppealState.CONTACTED, AppealState.LANDED),  # meeting on site is contact
    "land": (AppealState.LANDED,),
    "resolve": (AppealState.RESOLVED,),
}
BREACHED_STATES = (ClockState.BREACHED, ClockState.MET_LATE)


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The aware instants [start of ``first``, start of the day after ``last``) in local time."""
    tz = local_tz()
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


def local_day(at: datetime) -> date:
    return at.astimezone(local_tz()).date()


def appeal_facts(appeal_ids: list[int]) -> dict[int, dict[str, int]]:
    """Every summed column of ``AppealDay`` for each appeal alone (0/1 flags and counts).

    Five queries whatever the number of appeals; the definitions are those of docs/MEASURES.md."""
    facts: dict[int, dict[str, int]] = {pk: dict.fromkeys(SUM_FIELDS, 0) for pk in appeal_ids}
    if not appeal_ids:
        return facts
    decided: dict[str, dict[int, list[int]]] = {
        kind: defaultdict(lambda: [0, 0]) for kind in ("contact", "land")
    }
    for appeal_id, kind, state in Clock.objects.filter(appeal_id__in=appeal_ids).values_list(
        "appeal_id", "kind", "state"
    ):
        col = CLOCK_COLUMNS.get(kind)
        if col is None:
            continue
        f = facts[appeal_id]
        if state in MET_STATES:
            f[f"{col}_met"] += 1
        elif state in BREACHED_STATES:
            f[f"{col}_breached"] += 1
        else:
            continue
        if kind in decided:
            decided[kind][appeal_id][0 if state in MET_STATES else 1] += 1
    for kind, per_appeal in decided.items():
        for appeal_id, (met, breached) in per_appeal.items():
            facts[appeal_id][f"{kind}_decided"] = 1
            facts[appeal_id][f"{kind}_ontime"] = int(breached == 0 and met > 0)
    events = AppealEvent.objects.filter(appeal_id__in=appeal_ids).filter(
        Q(kind=EventKind.ESCALATED)
        | Q(kind=EventKind.STATE, to_state__in=[AppealState.RESOLVED, AppealState.REOPENED])
    )
    for appeal_id, kind, to_state in events.values_list("appeal_id", "kind", "to_state"):
        f = facts[appeal_id]
        if kind == EventKind.ESCALATED:
            f["escalations"] += 1
        elif to_state == AppealState.RESOLVED:
            f["resolutions"] += 1
            f["resolved"] = 1
        else:
            f["reopened"] = 1
    for appeal_id, state in Transfer.objects.filter(appeal_id__in=appeal_ids).values_list(
        "appeal_id", "state"
    ):
        f = facts[appeal_id]
        f["transferred"] = 1
        f["transfers"] += 1
        f["transfers_returned"] += state == TransferState.RETURNED
    for appeal_id, score, contested in Rating.objects.filter(appeal_id__in=appeal_ids).values_list(
        "appeal_id", "score", "contested"
    ):
        f = facts[appeal_id]
        if contested:
            f["contests"] += 1
        elif score is not None:
            f["ratings"] += 1
            f["score_sum"] += score
            f["score_ge4"] += score >= 4
    for appeal_id in Appeal.objects.filter(pk__in=appeal_ids, state=AppealState.MERGED).values_list(
        "pk", flat=True
    ):
        facts[appeal_id]["merged"] = 1
    for f in facts.values():
        f["received"] = 1
    return facts


def compute_rows(first: date, last: date) -> list[AppealDay]:
    """The rollup rows of the local days ``first``..``last``, computed from the raw rows."""
    start, end = day_bounds(first, last)
    appeals = list(
        Appeal.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "pk", "created_at", "grid_id", "grid__community_id", "category_id", "channel", "assignee_id"
        )
    )
    rows: dict[tuple, dict[str, int]] = {}
    for chunk_start in range(0, len(appeals), 5000):
        chunk = appeals[chunk_start : chunk_start + 5000]
        facts = appeal_facts([a[0] for a in chunk])
        for pk, created_at, *key in chunk:
            sums = rows.setdefault((local_day(created_at), *key), dict.fromkeys(SUM_FIELDS, 0))
            for name, value in facts[pk].items():
                sums[name] += value
    return [
        AppealDay(
            day=day,
            grid_id=grid,
            community_id=community,
            category_id=category,
            channel=channel,
            assignee_id=assignee,
            **sums,
        )
        for (day, grid, community, category, channel, assignee), sums in rows.items()
    ]


def insert_rows_sql(first: date, last: date) -> int:
    """PostgreSQL: compute and insert the rollup rows of ``first``..``last`` in one statement.

    The same definitions as ``appeal_facts`` (a test holds the two equal), as one grouped
    ``INSERT … SELECT`` over per-appeal aggregates of clocks, events, transfers and ratings:
    on years of history this takes seconds where moving the rows through Python took minutes."""
    start, end = day_bounds(first, last)
    q = connection.ops.quote_name
    clock_sums = []
    for kind, col in CLOCK_COLUMNS.items():
        clock_sums.append(f"COUNT(*) FILTER (WHERE kind = '{kind}' AND state = 'met') AS {col}_met")
        clock_sums.append(
            f"COUNT(*) FILTER (WHERE kind = '{kind}' AND state IN ('breached', 'met_late')) AS {col}_breached"
        )
    totals = {name: f"SUM(COALESCE({src}, 0))" for name, src in _SQL_SOURCES.items()}
    for kind in ("contact", "land"):
        met, late = f"COALESCE(c.{kind}_met, 0)", f"COALESCE(c.{kind}_breached, 0)"
        totals[f"{kind}_ontime"] = f"SUM(CASE WHEN {met} > 0 AND {late} = 0 THEN 1 ELSE 0 END)"
        totals[f"{kind}_decided"] = f"SUM(CASE WHEN {met} + {late} > 0 THEN 1 ELSE 0 END)"
    columns = ", ".join(q(f) for f in (*KEY_FIELDS, *SUM_FIELDS))
    in_range = (
        f"SELECT id FROM {q(Appeal._meta.db_table)} WHERE created_at >= %(start)s AND created_at < %(end)s"
    )
    sql = f"""
        INSERT INTO {q(AppealDay._meta.db_table)} ({columns})
        SELECT (a.created_at AT TIME ZONE %(tz)s)::date, a.grid_id, g.community_id, a.category_id,
               a.channel, a.assignee_id, {", ".join(totals[f] for f in SUM_FIELDS)}
        FROM {q(Appeal._meta.db_table)} a
        LEFT JOIN {q(Grid._meta.db_table)} g ON g.id = a.grid_id
        LEFT JOIN (SELECT appeal_id, {", ".join(clock_sums)} FROM {q(Clock._meta.db_table)}
                   WHERE appeal_id IN ({in_range}) GROUP BY appeal_id) c ON c.appeal_id = a.id
        LEFT JOIN (SELECT appeal_id,
                          COUNT(*) FILTER (WHERE kind = %(escalated)s) AS escalations,
                          COUNT(*) FILTER (WHERE kind = %(state)s AND to_state = %(resolved)s) AS resolutions,
                          COUNT(*) FILTER (WHERE kind = %(state)s AND to_state = %(reopened)s) AS reopens
                   FROM {q(AppealEvent._meta.db_table)}
                   WHERE appeal_id IN ({in_range}) AND (kind = %(escalated)s
                         OR (kind = %(state)s AND to_state IN (%(resolved)s, %(reopened)s)))
                   GROUP BY appeal_id) e ON e.appeal_id = a.id
        LEFT JOIN (SELECT appeal_id, COUNT(*) AS transfers,
                          COUNT(*) FILTER (WHERE state = %(returned)s) AS returned
                   FROM {q(Transfer._meta.db_table)} WHERE appeal_id IN ({in_range})
                   GROUP BY appeal_id) t ON t.appeal_id = a.id
        LEFT JOIN (SELECT appeal_id,
                          COUNT(*) FILTER (WHERE contested) AS contests,
                          COUNT(*) FILTER (WHERE NOT contested AND score IS NOT NULL) AS ratings,
                          SUM(score) FILTER (WHERE NOT contested) AS score_sum,
                          COUNT(*) FILTER (WHERE NOT contested AND score >= 4) AS score_ge4
                   FROM {q(Rating._meta.db_table)} WHERE appeal_id IN ({in_range})
                   GROUP BY appeal_id) r ON r.appeal_id = a.id
        WHERE a.created_at >= %(start)s AND a.created_at < %(end)s
        GROUP BY 1, 2, 3, 4, 5, 6
    """
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "tz": settings.TIME_ZONE,
        "escalated": EventKind.ESCALATED,
        "state": EventKind.STATE,
        "resolved": AppealState.RESOLVED,
        "reopened": AppealState.REOPENED,
        "returned": TransferState.RETURNED,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# Each summed column of the SQL path that is a plain sum of a per-appeal aggregate (the on-time
# and decided flags are built from the clock counts in ``insert_rows_sql``).
_SQL_SOURCES: dict[str, str] = {
    "received": "1",
    **{f"{col}_{what}": f"c.{col}_{what}" for col in CLOCK_COLUMNS.values() for what in ("met", "breached")},
    "escalations": "e.escalations",
    "resolved": "CASE WHEN e.resolutions > 0 THEN 1 ELSE 0 END",
    "resolutions": "e.resolutions",
    "reopened": "CASE WHEN e.reopens > 0 THEN 1 ELSE 0 END",
    "merged": "CASE WHEN a.state = 'merged' THEN 1 ELSE 0 END",
    "transferred": "CASE WHEN t.transfers > 0 THEN 1 ELSE 0 END",
    "transfers": "t.transfers",
    "transfers_returned": "t.returned",
    "ratings": "r.ratings",
    "score_sum": "r.score_sum",
    "score_ge4": "r.score_ge4",
    "contests": "r.contests",
}


# --- the fold by area (with receipts per hour) and the per-appeal spans ---------------------------


def compute_area_rows(first: date, last: date) -> list[AppealDayArea]:
    """``AppealDay`` rows of the days (already written) folded over channel and assignee, with
    the appeals received per local hour."""
    rows: dict[tuple, dict[str, int]] = {}
    zero = dict.fromkeys((*SUM_FIELDS, *HOUR_FIELDS), 0)
    for row in AppealDay.objects.filter(day__gte=first, day__lte=last).values(*AREA_KEY_FIELDS, *SUM_FIELDS):
        sums = rows.setdefault(tuple(row[k] for k in AREA_KEY_FIELDS), dict(zero))
        for name in SUM_FIELDS:
            sums[name] += row[name]
    start, end = day_bounds(first, last)
    tz = local_tz()
    for created, grid, community, category in Appeal.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).values_list("created_at", "grid_id", "grid__community_id", "category_id"):
        at = created.astimezone(tz)
        rows[(at.date(), grid, community, category)][HOUR_FIELDS[at.hour]] += 1
    return [
        AppealDayArea(**dict(zip(AREA_KEY_FIELDS, key, strict=True)), **sums) for key, sums in rows.items()
    ]


def insert_area_sql(first: date, last: date) -> None:
    """PostgreSQL: ``compute_area_rows`` in one statement (a test holds the two equal)."""
    q = connection.ops.quote_name
    start, end = day_bounds(first, last)
    sums = ", ".join(f"SUM({q(f)}) AS {q(f)}" for f in SUM_FIELDS)
    local = "a.created_at AT TIME ZONE %(tz)s"
    hours = ", ".join(
        f"COUNT(*) FILTER (WHERE EXTRACT(HOUR FROM {local}) = {h}) AS {name}"
        for h, name in enumerate(HOUR_FIELDS)
    )
    columns = ", ".join(q(f) for f in (*AREA_KEY_FIELDS, *SUM_FIELDS, *HOUR_FIELDS))
    # COALESCE(…, -1) rather than IS NOT DISTINCT FROM: equality keeps the join a hash join.
    sql = f"""
        INSERT INTO {q(AppealDayArea._meta.db_table)} ({columns})
        SELECT d.day, d.grid_id, d.community_id, d.category_id,
               {", ".join(f"d.{q(f)}" for f in SUM_FIELDS)},
               {", ".join(f"COALESCE(h.{name}, 0)" for name in HOUR_FIELDS)}
        FROM (SELECT day, grid_id, community_id, category_id, {sums} FROM {q(AppealDay._meta.db_table)}
              WHERE day >= %(first)s AND day <= %(last)s GROUP BY 1, 2, 3, 4) d
        LEFT JOIN (SELECT ({local})::date AS day, a.grid_id, a.category_id, {hours}
                   FROM {q(Appeal._meta.db_table)} a
                   WHERE a.created_at >= %(start)s AND a.created_at < %(end)s GROUP BY 1, 2, 3) h
          ON h.day = d.day AND COALESCE(h.grid_id, -1) = COALESCE(d.grid_id, -1)
             AND COALESCE(h.category_id, -1) = COALESCE(d.category_id, -1)
    """
    params: dict[str, Any] = {
        "first": first,
        "last": last,
        "start": start,
        "end": end,
        "tz": settings.TIME_ZONE,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_times_sql(first: date, last: date) -> None:
    """PostgreSQL: ``compute_times`` in one statement (a test holds the two equal)."""
    q = connection.ops.quote_name
    start, end = day_bounds(first, last)
    params: dict[str, Any] = {"start": start, "end": end, "tz": settings.TIME_ZONE, "state": EventKind.STATE}
    hours = []
    for step, states in TIME_STEPS.items():
        names = ", ".join(f"%({step}_{i})s" for i in range(len(states)))
        params.update({f"{step}_{i}": s for i, s in enumerate(states)})
        first_at = f"MIN(e.at) FILTER (WHERE e.to_state IN ({names}))"
        hours.append(f"EXTRACT(EPOCH FROM {first_at} - a.created_at)::double precision / 3600")
    all_states = sorted({s for states in TIME_STEPS.values() for s in states})
    params.update({f"any_{i}": s for i, s in enumerate(all_states)})
    any_state = ", ".join(f"%(any_{i})s" for i in range(len(all_states)))
    sql = f"""
        INSERT INTO {q(AppealTime._meta.db_table)}
            (appeal_id, day, grid_id, community_id, category_id, channel, assignee_id, contact_h, land_h, resolve_h)
        SELECT a.id, (a.created_at AT TIME ZONE %(tz)s)::date, a.grid_id, g.community_id, a.category_id,
               a.channel, a.assignee_id, {", ".join(hours)}
        FROM {q(Appeal._meta.db_table)} a
        LEFT JOIN {q(Grid._meta.db_table)} g ON g.id = a.grid_id
        LEFT JOIN {q(AppealEvent._meta.db_table)} e
          ON e.appeal_id = a.id AND e.kind = %(state)s AND e.to_state IN ({any_state})
        WHERE a.created_at >= %(start)s AND a.created_at < %(end)s
        GROUP BY a.id, g.community_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


ACCEPTED_STATES = (TransferState.ACCEPTED, TransferState.COMPLETED)
DEPARTMENT_CLOCKS = {"accept": ClockKind.TRANSFER_ACCEPT, "outcome": ClockKind.TRANSFER_OUTCOME}


def compute_transfer_spans(first: date, last: date) -> list[TransferSpan]:
    """One row per transfer of the appeals received in the days (see ``TransferSpan``):
    acceptance = decided − made over accepted or completed transfers (a return also sets
    ``decided_at``), outcome = completed − made over completed ones (docs/MEASURES.md)."""
    start, end = day_bounds(first, last)
    transfers = Transfer.objects.filter(appeal__created_at__gte=start, appeal__created_at__lt=end)
    clocks: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for transfer_id, kind, state in Clock.objects.filter(
        transfer__in=transfers, kind__in=DEPARTMENT_CLOCKS.values()
    ).values_list("transfer_id", "kind", "state"):
        col = "accept" if kind == ClockKind.TRANSFER_ACCEPT else "outcome"
        if state in MET_STATES:
            clocks[transfer_id][f"{col}_met"] += 1
        elif state in BREACHED_STATES:
            clocks[transfer_id][f"{col}_late"] += 1
    out = []
    for pk, received, made, dept, grid, community, category, state, decided, completed in transfers.values_list(
        "pk", "appeal__created_at", "created_at", "department_id", "appeal__grid_id",
        "appeal__grid__community_id", "appeal__category_id", "state", "decided_at", "completed_at",
    ):  # fmt: skip
        out.append(
            TransferSpan(
                transfer_id=pk,
                appeal_day=local_day(received),
                day=local_day(made),
                department_id=dept,
                grid_id=grid,
                community_id=community,
                category_id=category,
                returned=state == TransferState.RETURNED,
                accept_s=(decided - made).total_seconds() if state in ACCEPTED_STATES and decided else None,
                outcome_s=(completed - made).total_seconds()
                if state == TransferState.COMPLETED and completed
                else None,
                **clocks.get(pk, {}),
            )
        )
    return out


def insert_transfer_spans_sql(first: date, last: date) -> None:
    """PostgreSQL: ``compute_transfer_spans`` in one statement (a test holds the two equal)."""
    q = connection.ops.quote_name
    start, end = day_bounds(first, last)
    local = "AT TIME ZONE %(tz)s)::date"
    sql = f"""
        INSERT INTO {q(TransferSpan._meta.db_table)}
            (transfer_id, appeal_day, day, department_id, grid_id, community_id, category_id, returned,
             accept_s, outcome_s, accept_met, accept_late, outcome_met, outcome_late)
        SELECT t.id, (a.created_at {local}, (t.created_at {local}, t.department_id, a.grid_id, g.community_id,
               a.category_id, t.state = %(returned)s,
               CASE WHEN t.state IN (%(accepted)s, %(completed)s) AND t.decided_at IS NOT NULL
                    THEN EXTRACT(EPOCH FROM t.decided_at - t.created_at)::double precision END,
               CASE WHEN t.state = %(completed)s AND t.completed_at IS NOT NULL
                    THEN EXTRACT(EPOCH FROM t.completed_at - t.created_at)::double precision END,
               COALESCE(c.accept_met, 0), COALESCE(c.accept_late, 0),
               COALESCE(c.outcome_met, 0), COALESCE(c.outcome_late, 0)
        FROM {q(Transfer._meta.db_table)} t
        JOIN {q(Appeal._meta.db_table)} a ON a.id = t.appeal_id
        LEFT JOIN {q(Grid._meta.db_table)} g ON g.id = a.grid_id
        LEFT JOIN (SELECT transfer_id,
                          COUNT(*) FILTER (WHERE kind = %(accept)s AND state = 'met') AS accept_met,
                          COUNT(*) FILTER (WHERE kind = %(accept)s AND state IN ('breached', 'met_late')) AS accept_late,
                          COUNT(*) FILTER (WHERE kind = %(outcome)s AND state = 'met') AS outcome_met,
                          COUNT(*) FILTER (WHERE kind = %(outcome)s AND state IN ('breached', 'met_late')) AS outcome_late
                   FROM {q(Clock._meta.db_table)} WHERE transfer_id IS NOT NULL GROUP BY transfer_id) c
          ON c.transfer_id = t.id
        WHERE a.created_at >= %(start)s AND a.created_at < %(end)s
    """
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "tz": settings.TIME_ZONE,
        "returned": TransferState.RETURNED,
        "accepted": TransferState.ACCEPTED,
        "completed": TransferState.COMPLETED,
        "accept": ClockKind.TRANSFER_ACCEPT,
        "outcome": ClockKind.TRANSFER_OUTCOME,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def write_rows(first: date, last: date) -> int:
    """Insert freshly computed rows of the three tables for ``first``..``last`` (caller deleted
    the old ones, in a transaction): in SQL on PostgreSQL, through ``compute_*`` elsewhere.
    Returns the number of ``AppealDay`` rows."""
    if connection.vendor == "postgresql":
        written = insert_rows_sql(first, last)
        insert_area_sql(first, last)
        insert_times_sql(first, last)
        insert_transfer_spans_sql(first, last)
        return written
    rows = compute_rows(first, last)
    AppealDay.objects.bulk_create(rows, batch_size=1000)
    AppealDayArea.objects.bulk_create(compute_area_rows(first, last), batch_size=500)
    AppealTime.objects.bulk_create(compute_times(first, last), batch_size=1000)
    TransferSpan.objects.bulk_create(compute_transfer_spans(first, last), batch_size=1000)
    return len(rows)


def delete_rows(first: date, last: date) -> None:
    for model in (AppealDay, AppealDayArea, AppealTime):
        model.objects.filter(day__gte=first, day__lte=last).delete()
    TransferSpan.objects.filter(appeal_day__gte=first, appeal_day__lte=last).delete()


def first_hours(appeals: list[tuple[int, datetime]]) -> dict[int, dict[str, float | None]]:
    """For each (appeal id, received at): hours to the first event of each step of TIME_STEPS
    (None when not reached). Wall-clock hours: paused time counts (the reporter waited it). One
    query per 5,000 appeals."""
    created = dict(appeals)
    out: dict[int, dict[str, float | None]] = {pk: dict.fromkeys(TIME_STEPS) for pk in created}
    states = sorted({s for steps in TIME_STEPS.values() for s in steps})
    firsts = {step: Min("at", filter=Q(to_state__in=steps)) for step, steps in TIME_STEPS.items()}
    ids = list(created)
    for start in range(0, len(ids), 5000):
        rows = (
            AppealEvent.objects.filter(
                appeal_id__in=ids[start : start + 5000], kind=EventKind.STATE, to_state__in=states
            )
            .values("appeal_id")
            .annotate(**firsts)
            .order_by()
        )
        for row in rows:
            received = created[row["appeal_id"]]
            out[row["appeal_id"]] = {
                step: None if row[step] is None else (row[step] - received).total_seconds() / 3600
                for step in TIME_STEPS
            }
    return out


def compute_times(first: date, last: date) -> list[AppealTime]:
    """The ``AppealTime`` rows of the appeals received on the local days ``first``..``last``."""
    start, end = day_bounds(first, last)
    appeals = list(
        Appeal.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "pk", "created_at", "grid_id", "grid__community_id", "category_id", "channel", "assignee_id"
        )
    )
    hours = first_hours([(a[0], a[1]) for a in appeals])
    return [
        AppealTime(
            appeal_id=pk,
            day=local_day(created_at),
            grid_id=grid,
            community_id=community,
            category_id=category,
            channel=channel,
            assignee_id=assignee,
            contact_h=hours[pk]["contact"],
            land_h=hours[pk]["land"],
            resolve_h=hours[pk]["resolve"],
        )
        for pk, created_at, grid, community, category, channel, assignee in appeals
    ]


def rebuild_days(days: Iterable[date]) -> int:
    """Replace the rollup rows of these local days by a fresh computation, and recount the
    histograms and the monthly fold of the months they touch; rows written."""
    written = 0
    days = sorted(set(days))
    with transaction.atomic():
        months = months_of(days) | _transfer_months(TransferSpan.objects.filter(appeal_day__in=days))
        for day in days:
            delete_rows(day, day)
            written += write_rows(day, day)
        months |= _transfer_months(TransferSpan.objects.filter(appeal_day__in=days))
        rebuild_bins(months)
        rebuild_month_area(months)
        rebuild_month_officer(months)
        rebuild_week_area(months)
        rebuild_transfer_months(months)
    return written


def _transfer_months(spans) -> set[date]:
    """The months of these transfers' own days (a transfer's month may follow its appeal's)."""
    return months_of(spans.values_list("day", flat=True).distinct())


def rebuild(first: date | None = None, last: date | None = None) -> int:
    """Recompute a range of days (all history by default) and reset the watermark to now."""
    now = timezone.now()
    if first is None:
        oldest = Appeal.objects.aggregate(m=Min("created_at"))["m"]
        first = local_day(oldest) if oldest else local_day(now)
    last = last or local_day(now)
    with transaction.atomic():
        spans = TransferSpan.objects.filter(appeal_day__gte=first, appeal_day__lte=last)
        months = _transfer_months(spans)
        delete_rows(first, last)
        written = write_rows(first, last)
        months |= _transfer_months(spans) | {
            month_of(first + timedelta(days=d)) for d in range((last - first).days + 1)
        }
        rebuild_bins(months)
        rebuild_month_area(months)
        rebuild_month_officer(months)
        rebuild_week_area(months)
        rebuild_transfer_months(months)
        RollupState.objects.update_or_create(name=ROLLUP, defaults={"watermark": now})
    return written


def changed_appeal_ids(since: datetime) -> set[int]:
    """Appeals with any recorded change at or after ``since``."""
    ids: set[int] = set(Appeal.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    ids.update(AppealEvent.objects.filter(at__gte=since).values_list("appeal_id", flat=True))
    ids.update(Rating.objects.filter(at__gte=since).values_list("appeal_id", flat=True))
    ids.update(
        Transfer.objects.filter(
            Q(created_at__gte=since) | Q(decided_at__gte=since) | Q(completed_at__gte=since)
        ).values_list("appeal_id", flat=True)
    )
    ids.update(
        Clock.objects.filter(Q(met_at__gte=since) | Q(breached_at__gte=since)).values_list(
            "appeal_id", flat=True
        )
    )
    return ids


def refresh(now: datetime | None = None) -> dict[str, int]:
    """Fold the changes since the last refresh into the rollup: rebuild only the dirty days.

    The first call (no watermark yet) rebuilds all history."""
    now = now or timezone.now()
    state = RollupState.objects.filter(name=ROLLUP).first()
    if state is None or state.watermark is None:
        return {"stats_days": -1, "stats_rows": rebuild()}
    ids = changed_appeal_ids(state.watermark - OVERLAP)
    days = {local_day(c) for c in Appeal.objects.filter(pk__in=ids).values_list("created_at", flat=True)}
    written = rebuild_days(days) if days else 0
    RollupState.objects.filter(pk=state.pk).update(watermark=now)
    return {"stats_days": len(days), "stats_rows": written}


__all__ = [
    "TIME_STEPS",
    "appeal_facts",
    "compute_area_rows",
    "compute_rows",
    "compute_times",
    "compute_transfer_spans",
    "day_bounds",
    "first_hours",
    "insert_area_sql",
    "insert_rows_sql",
    "insert_times_sql",
    "insert_transfer_spans_sql",
    "local_day",
    "local_tz",
    "rebuild",
    "rebuild_days",
    "refresh",
]
