"""Every measure of lastmeter's figures, defined once (docs/MEASURES.md states each formula).

The API (and later the pages and exports) call these functions with a ``Slice`` already checked
against the viewer's scope (``stats.selectors.check_slice``); nothing here looks at who asks.

* Counts and rates of appeals and satisfaction read the daily rollup (``models.AppealDay``, or
  its fold by area ``AppealDayArea`` when no channel or officer is asked for): one grouped query
  per call. An appeal counts on the local day it was received (a cohort): the March figures are
  "of the appeals received in March, how many …", which does not change the meaning of a month
  when an appeal is handled in April.
* Times (median, p90) cannot be summed: they read ``models.AppealTime``, one row per appeal
  with its hours to first contact, landing and resolution, kept with the day rollup.
* Department figures read the per-transfer rows (``TransferSpan``), dated by the day of the
  transfer.
* Incidents read incidents and their assignments, dated by the alarm time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from lastmeter.accounts.models import Department, OrgUnit, Person
from lastmeter.appeals.choices import Channel, ClockKind
from lastmeter.appeals.models import Appeal, Category
from lastmeter.dispatching.choices import IncidentType
from lastmeter.dispatching.models import Assignment, Incident
from lastmeter.grids.models import Grid
from lastmeter.grids.selectors import grid_id_containing
from lastmeter.stats import month_fold, rollup_sql, time_bins
from lastmeter.stats.algorithms import histogram
from lastmeter.stats.models import (
    HOUR_FIELDS,
    SUM_FIELDS,
    TRANSFER_SUM_FIELDS,
    AppealDay,
    AppealDayArea,
    AppealTime,
    TimeBin,
    TimeBinFold,
    TransferSpan,
)
from lastmeter.stats.rollups import TIME_STEPS, day_bounds, local_day, local_tz
from lastmeter.stats.time_bins import APPEAL_SERIES, TRANSFER_SERIES, split_range, use_bins

PERIODS = ("day", "week", "month", "quarter", "year")
# Slicing dimensions of the rollup: the name in the API → the rollup column.
DIMENSIONS: dict[str, str] = {
    "grid": "grid_id",
    "community": "community_id",
    "category": "category_id",
    "channel": "channel",
    "officer": "assignee_id",
}


@dataclass(frozen=True)
class Slice:
    """What to measure: local dates ``start``..``end`` (inclusive) and filters. ``grid_ids`` None
    means every grid (and appeals without one); a set limits to those grids (the viewer's scope)."""

    start: date
    end: date
    grid_ids: frozenset[int] | None = None
    community_id: int | None = None
    category_id: int | None = None
    channel: str | None = None
    officer_id: int | None = None
    department_ids: frozenset[int] | None = None  # transfers only

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def shifted(self, compare: str) -> Slice:
        """The comparison slice: ``mom`` the same number of days just before, ``yoy`` the same
        dates a year earlier (29 February becomes 28 February)."""
        if compare == "yoy":
            return replace(self, start=_year_earlier(self.start), end=_year_earlier(self.end))
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


# --- the formulas -----------------------------------------------------------------------------


def ratio(num: float, den: float) -> float | None:
    """num / den rounded to 4 places; None (not 0) when there is nothing to divide by."""
    return round(num / den, 4) if den else None


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default): p50 is the usual median."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def appeal_measures(s: dict[str, int]) -> dict[str, Any]:
    """The appeal measures from the rollup sums of one group (docs/MEASURES.md §Appeals)."""
    breached = sum(s[f"{c}_breached"] for c in ("contact", "land", "accept", "outcome", "complaint"))
    return {
        "received": s["received"],
        "contacted_on_time": s["contact_ontime"],
        "contact_decided": s["contact_decided"],
        "contact_on_time_rate": ratio(s["contact_ontime"], s["contact_decided"]),
        "landed_on_time": s["land_ontime"],
        "land_decided": s["land_decided"],
        "landed_within_24h_rate": ratio(s["land_ontime"], s["land_decided"]),
        "on_time_rate": {
            kind: ratio(s[f"{col}_met"], s[f"{col}_met"] + s[f"{col}_breached"])
            for kind, col in (
                (ClockKind.CONTACT, "contact"),
                (ClockKind.LAND, "land"),
                (ClockKind.TRANSFER_ACCEPT, "accept"),
                (ClockKind.TRANSFER_OUTCOME, "outcome"),
                (ClockKind.COMPLAINT_REPLY, "complaint"),
            )
        },
        "breaches": breached,
        "escalations": s["escalations"],
        "resolved": s["resolved"],
        "reopened": s["reopened"],
        "reopen_rate": ratio(s["reopened"], s["resolved"]),
        "merged": s["merged"],
        "transferred": s["transferred"],
        "transfers": s["transfers"],
        "transfers_returned": s["transfers_returned"],
        "returned_rate": ratio(s["transfers_returned"], s["transfers"]),
    }


def satisfaction_measures(s: dict[str, int]) -> dict[str, Any]:
    """Ratings and contests from the rollup sums of one group (docs/MEASURES.md §Satisfaction)."""
    return {
        "resolutions": s["resolutions"],
        "ratings": s["ratings"],
        "mean_score": round(s["score_sum"] / s["ratings"], 3) if s["ratings"] else None,
        "share_4_or_5": ratio(s["score_ge4"], s["ratings"]),
        "response_rate": ratio(s["ratings"], s["resolutions"]),
        "contests": s["contests"],
    }


# --- reading the rollup -----------------------------------------------------------------------


def slice_lookups(sl: Slice, community_field: str) -> dict[str, Any]:
    """The slice's grid, community, category, channel and officer conditions as filter lookups,
    shared by the rollup and the raw appeals: the rollup row stores its community, an appeal
    reaches it through its grid (``community_field``)."""
    lookups: dict[str, Any] = {}
    if sl.grid_ids is not None:
        lookups["grid_id__in"] = sl.grid_ids
    if sl.community_id is not None:
        lookups[community_field] = sl.community_id
    if sl.category_id is not None:
        lookups["category_id"] = sl.category_id
    if sl.channel is not None:
        lookups["channel"] = sl.channel
    if sl.officer_id is not None:
        lookups["assignee_id"] = sl.officer_id
    return lookups


# Dimensions the fold by area keeps (channel and assignee are summed over there).
AREA_DIMENSIONS = frozenset({"grid", "community", "category"})


def by_area(sl: Slice, by: str | None = None) -> bool:
    """True when the slice and breakdown can read ``AppealDayArea`` (no channel or officer)."""
    return sl.channel is None and sl.officer_id is None and (by is None or by in AREA_DIMENSIONS)


# Dimensions the monthly fold by officer keeps (category and channel are summed over there).
OFFICER_DIMENSIONS = frozenset({"grid", "community", "officer"})


def by_officer(sl: Slice, by: str | None = None) -> bool:
    """True when the slice and breakdown can read the monthly fold by officer
    (``AppealMonthOfficer``): no category or channel."""
    return sl.channel is None and sl.category_id is None and (by is None or by in OFFICER_DIMENSIONS)


def rollup_rows(sl: Slice, by: str | None = None) -> QuerySet:
    """The rollup rows of the slice: the fold by area when it has every column asked for (a
    sixth of the rows on years of history), else the daily rollup."""
    model = AppealDayArea if by_area(sl, by) else AppealDay
    return model.objects.filter(day__gte=sl.start, day__lte=sl.end, **slice_lookups(sl, "community_id"))


def _zero() -> dict[str, int]:
    return dict.fromkeys(SUM_FIELDS, 0)


def grouped_sums(sl: Slice, period: str | None, by: str | None) -> dict[tuple[Any, Any], dict[str, int]]:
    """{(period start or None, dimension value or None): sums} in one query (a long range in
    two: its whole months, or weeks for a weekly trend, from a fold, see ``stats.month_fold``)."""
    if month_fold.serves(sl.start, sl.end, period) and (by_area(sl, by) or by_officer(sl, by)):
        key = DIMENSIONS[by] if by else None
        return month_fold.grouped_sums(
            sl.start, sl.end, slice_lookups(sl, "community_id"), period, key, officer=not by_area(sl, by)
        )
    if month_fold.week_serves(sl.start, sl.end, period) and by_area(sl, by):
        return month_fold.weekly_sums(
            sl.start, sl.end, slice_lookups(sl, "community_id"), DIMENSIONS[by] if by else None
        )
    model = AppealDayArea if by_area(sl, by) else AppealDay
    bucket = None if period is None else ("day", None if period == "day" else period)
    rows = rollup_sql.grouped_sums(
        model,
        SUM_FIELDS,
        slice_lookups(sl, "community_id"),
        within=("day", sl.start, sl.end),
        bucket=bucket,
        key=DIMENSIONS[by] if by else None,
        ordered=True,
    )
    if bucket is None and by is None:
        total = dict(zip(SUM_FIELDS, rows[0][3], strict=True))
        return {(None, None): total} if total["received"] else {}
    return {(p, k): dict(zip(SUM_FIELDS, sums, strict=True)) for p, k, _weight, sums in rows}


def labels(by: str | None, keys: Iterable[Any]) -> dict[Any, str]:
    """Display names of dimension values, in one query."""
    ids = [k for k in keys if k is not None]
    if by is None:
        return {}
    if by == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in ids}
    model: dict[str, Any] = {
        "grid": Grid,
        "community": OrgUnit,
        "category": Category,
        "officer": Person,
        "department": Department,
    }
    names = dict(model[by].objects.filter(pk__in=ids).values_list("pk", "name"))
    return {k: names.get(k, str(k)) for k in ids}


@dataclass
class Table:
    """A measured slice: totals, a series per period × dimension value, and names of the values."""

    totals: dict[str, Any]
    series: list[dict[str, Any]] = field(default_factory=list)


def measure_table(
    sl: Slice, period: str | None, by: str | None, derive: Callable[[dict[str, int]], dict]
) -> Table:
    groups = grouped_sums(sl, period, by)
    total = _zero()
    for sums in groups.values():
        for n in SUM_FIELDS:
            total[n] += sums[n]
    names = labels(by, {k for _, k in groups})
    series = [
        {
            "period": p,
            "key": None if k is None else str(k),
            "label": names.get(k, "") if by else "",
            "measures": derive(sums),
        }
        for (p, k), sums in groups.items()
    ]
    return Table(totals=derive(total), series=series)


def appeals_table(sl: Slice, period: str | None, by: str | None) -> Table:
    return measure_table(sl, period, by, appeal_measures)


def satisfaction_table(sl: Slice, period: str | None, by: str | None) -> Table:
    return measure_table(sl, period, by, satisfaction_measures)


def change(current: dict[str, Any], earlier: dict[str, Any]) -> dict[str, float | None]:
    """Relative change of every numeric measure (current / earlier − 1); None when earlier is 0 or
    either side is undefined."""
    out: dict[str, float | None] = {}
    for name, value in current.items():
        old = earlier.get(name)
        if isinstance(value, int | float) and isinstance(old, int | float) and not isinstance(value, bool):
            out[name] = round(value / old - 1, 4) if old else None
    return out


# --- raw reads: times, hours, transfers, incidents ---------------------------------------------


def raw_appeals(sl: Slice) -> QuerySet[Appeal]:
    start, end = day_bounds(sl.start, sl.end)
    return Appeal.objects.filter(
        created_at__gte=start, created_at__lt=end, **slice_lookups(sl, "grid__community_id")
    )


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(q) WITHIN GROUP (ORDER BY x)``: linear interpolation between
    closest ranks, like ``percentile``; NULLs are left out."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(q)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, q: float) -> None:
        super().__init__(expression, q=float(q))


def appeal_times(sl: Slice, by: str | None) -> list[dict[str, Any]]:
    """Median and p90, in hours, of receipt → first contact / first landing / first resolution,
    per dimension value (one row with key None when ``by`` is None), over the appeals that
    reached at least one step. Wall-clock time: paused time is included (see docs/MEASURES.md).

    Reads ``AppealTime`` (one row per appeal, kept with the day rollup): one query, the
    percentiles computed by PostgreSQL (in Python on other databases), plus one for the names.
    Ranges of two whole calendar months or more read the monthly histograms instead
    (``_binned_appeal_times``: within 1 %, see docs/MEASURES.md)."""
    if _binned_ok(sl) and by in (None, "grid", "community", "officer"):
        return _binned_appeal_times(sl, by)
    rows = AppealTime.objects.filter(
        Q(contact_h__isnull=False) | Q(land_h__isnull=False) | Q(resolve_h__isnull=False),
        day__gte=sl.start,
        day__lte=sl.end,
        **slice_lookups(sl, "community_id"),
    )
    column = DIMENSIONS[by] if by else None
    found: dict[Any, dict[str, tuple[int, float | None, float | None]]] = {}
    if connection.vendor == "postgresql":
        aggregates: dict[str, Any] = {}
        for step in TIME_STEPS:
            aggregates[f"{step}_n"] = Count(f"{step}_h")
            aggregates[f"{step}_p50"] = PercentileCont(f"{step}_h", 0.5)
            aggregates[f"{step}_p90"] = PercentileCont(f"{step}_h", 0.9)
        grouped = (
            rows.annotate(k=F(column))
            if column
            else rows.annotate(k=Value(None, output_field=IntegerField()))
        )
        for r in grouped.values("k").annotate(**aggregates).order_by():
            found[r["k"]] = {s: (r[f"{s}_n"], r[f"{s}_p50"], r[f"{s}_p90"]) for s in TIME_STEPS}
    else:
        hours: dict[Any, dict[str, list[float]]] = defaultdict(lambda: {s: [] for s in TIME_STEPS})
        for key, *values in rows.values_list(column or "day", *(f"{s}_h" for s in TIME_STEPS)):
            for step, value in zip(TIME_STEPS, values, strict=True):
                if value is not None:
                    hours[key if column else None][step].append(value)
        for key, spans in hours.items():
            found[key] = {s: (len(v), percentile(v, 0.5), percentile(v, 0.9)) for s, v in spans.items()}
    names = labels(by, found.keys())
    out = []
    for key, steps in found.items():
        row: dict[str, Any] = {"key": None if key is None else str(key), "label": names.get(key, "")}
        for step, (n, p50, p90) in steps.items():
            row[f"{step}_n"] = n
            row[f"{step}_p50_h"] = _round(p50)
            row[f"{step}_p90_h"] = _round(p90)
        out.append(row)
    out.sort(key=lambda r: (r["key"] is None, r["key"] or ""))
    return out


def _binned_ok(sl: Slice) -> bool:
    """Whether the slice can read the histograms: a long range, no category, channel or officer
    filter (the appeal histograms are kept per grid and officer only)."""
    return (
        use_bins(sl.start, sl.end) and sl.category_id is None and sl.channel is None and sl.officer_id is None
    )


def _binned_appeal_times(sl: Slice, by: str | None) -> list[dict[str, Any]]:
    """``appeal_times`` from the monthly histograms plus the edge days: the daily histograms for
    the whole jurisdiction, the appeals' rows for an area. Two or three queries."""
    months, edges = split_range(sl.start, sl.end)
    whole = by is None and sl.grid_ids is None and sl.community_id is None
    area = {} if whole else slice_lookups(sl, "community_id")
    bins: QuerySet[TimeBin] | QuerySet[TimeBinFold]
    if whole:
        bins = TimeBinFold.objects.filter(series__in=APPEAL_SERIES, whole=True)
    elif by == "officer":
        bins = TimeBin.objects.filter(series__in=APPEAL_SERIES, whole=False, **area)
    else:  # the area's histograms summed over its officers already: a few times fewer rows
        bins = TimeBinFold.objects.filter(series__in=APPEAL_SERIES, whole=False, **area)
    column = DIMENSIONS[by] if by else None
    edge_rows = None
    if edges and not whole:
        days, weight = time_bins.edge_filter(edges)
        edge_rows = AppealTime.objects.filter(days, **slice_lookups(sl, "community_id")).annotate(
            k=F(column) if column else Value(None, output_field=IntegerField()), w=weight
        )
    counts = time_bins.read_counts(months, bins, column, edge_rows, APPEAL_SERIES, 1.0)
    if whole:  # the jurisdiction's edge days are kept as daily histograms too
        time_bins.add_whole_day_edges(counts, edges)
    return _time_rows(counts, labels(by, counts.keys()))


def appeal_times_of(slices: list[Slice]) -> list[list[dict[str, Any]]]:
    """``appeal_times(sl, None)`` of each slice. The jurisdiction's long ranges — a dashboard's
    year, the year before, the period before — share their reads of the histograms: the months
    of all of them in one query and their edge days in one more, each slice's counts a sum of
    its own (``FILTER`` on PostgreSQL), instead of two queries a slice over mostly the same
    rows (the year before and the period before differ by a day when a 29 February lies
    between)."""
    if len(slices) < 2 or not all(
        _binned_ok(s) and s.grid_ids is None and s.community_id is None for s in slices
    ):
        return [appeal_times(s, None) for s in slices]
    counts = time_bins.read_whole_counts([split_range(s.start, s.end) for s in slices])
    return [_time_rows(c, {}) for c in counts]


def _time_rows(counts: time_bins.Counts, names: dict[Any, str]) -> list[dict[str, Any]]:
    """The rows of ``appeal_times`` from the bin counts per key and step."""
    out = []
    for key, series in counts.items():
        if not any(n for bins_of_step in series.values() for n in bins_of_step.values()):
            continue  # only in the days taken away at the edges: not in the range
        row: dict[str, Any] = {"key": None if key is None else str(key), "label": names.get(key, "")}
        for step in TIME_STEPS:
            bins_of_step = series.get(step, {})
            row[f"{step}_n"] = sum(bins_of_step.values())
            p50, p90 = histogram.percentiles(bins_of_step, (0.5, 0.9))
            row[f"{step}_p50_h"] = _round(p50)
            row[f"{step}_p90_h"] = _round(p90)
        out.append(row)
    out.sort(key=lambda r: (r["key"] is None, r["key"] or ""))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def hour_weekday(sl: Slice) -> list[dict[str, int]]:
    """Appeals received per local hour of day (0–23) × ISO weekday (1 = Monday), cells with
    appeals only. One query: over the fold by area's hour counters (summed per weekday of the
    day) when the slice allows it, else over the raw appeals."""
    if by_area(sl):
        sums = (
            rollup_rows(sl)
            .annotate(d=ExtractIsoWeekDay("day"))
            .values("d")
            .annotate(**{h: Sum(h) for h in HOUR_FIELDS})
            .order_by("d")
        )
        return [
            {"weekday": row["d"], "hour": hour, "received": row[h]}
            for row in sums
            for hour, h in enumerate(HOUR_FIELDS)
            if row[h]
        ]
    tz = local_tz()
    rows = (
        raw_appeals(sl)
        .annotate(h=ExtractHour("created_at", tzinfo=tz), d=ExtractIsoWeekDay("created_at", tzinfo=tz))
        .values("h", "d")
        .annotate(n=Count("id"))
        .order_by("d", "h")
    )
    return [{"weekday": r["d"], "hour": r["h"], "received": r["n"]} for r in rows]


TRANSFER_KEYS = {"department": "department_id", "category": "category_id"}


def transfer_table(sl: Slice, by: str | None = "department") -> list[dict[str, Any]]:
    """Per department (``by="department"``), per category of the appeal (``by="category"``) or
    one row for all (``by=None``): transfers made in the slice's days, how many were returned,
    the acceptance and outcome times (hours, p50/p90) and the on-time rates of the department's
    two clocks. Read from the rollup's per-transfer rows (``TransferSpan``): one query for the
    counts, one for the percentiles (in the database on PostgreSQL), one for names."""
    spans = TransferSpan.objects.filter(day__gte=sl.start, day__lte=sl.end, **_transfer_lookups(sl))
    keyed = spans.annotate(k=F(TRANSFER_KEYS[by]) if by else Value(None, output_field=IntegerField()))
    if month_fold.serves(sl.start, sl.end, None):
        counts = month_fold.transfer_counts(
            sl.start, sl.end, _transfer_lookups(sl), TRANSFER_KEYS[by] if by else None
        )
    else:
        counts = {
            row["k"]: {name: value or 0 for name, value in row.items() if name != "k"}
            for row in keyed.values("k")
            .annotate(
                transfers=Count("id"),
                returned=Count("id", filter=Q(returned=True)),
                **{c: Sum(c) for c in TRANSFER_SUM_FIELDS},
            )
            .order_by()
            # With no breakdown the query is a plain aggregate: one row even when nothing matched.
            if row["transfers"]
        }
    if use_bins(sl.start, sl.end) and sl.grid_ids is None:
        times = _binned_transfer_times(sl, by)
    else:
        times = _transfer_times(keyed)
    names = labels(by, counts.keys())
    out = []
    for k in sorted(counts, key=lambda v: (v is None, v or 0)):
        c = counts[k]
        accept, outcome = times.get(k, ((None, None), (None, None)))
        out.append(
            {
                "key": None if k is None else str(k),
                "label": names.get(k, ""),
                "transfers": c["transfers"],
                "returned": c["returned"],
                "returned_rate": ratio(c["returned"], c["transfers"]),
                "acceptance_p50_h": _round(accept[0]),
                "acceptance_p90_h": _round(accept[1]),
                "outcome_p50_h": _round(outcome[0]),
                "outcome_p90_h": _round(outcome[1]),
                "accept_on_time_rate": ratio(c["accept_met"], c["accept_met"] + c["accept_late"]),
                "outcome_on_time_rate": ratio(c["outcome_met"], c["outcome_met"] + c["outcome_late"]),
            }
        )
    return out


def _transfer_lookups(sl: Slice) -> dict[str, Any]:
    """The slice's conditions on the columns that transfer spans and their monthly counts share."""
    lookups: dict[str, Any] = {}
    if sl.department_ids is not None:
        lookups["department_id__in"] = sl.department_ids
    if sl.grid_ids is not None:
        lookups["grid_id__in"] = sl.grid_ids
    if sl.category_id is not None:
        lookups["category_id"] = sl.category_id
    return lookups


def _binned_transfer_times(sl: Slice, by: str | None) -> dict[Any, tuple[tuple, tuple]]:
    """``_transfer_times`` of a long range from the monthly histograms plus the edge days'
    transfers (two queries; within 1 %, see docs/MEASURES.md)."""
    months, edges = split_range(sl.start, sl.end)
    departments = {} if sl.department_ids is None else {"department_id__in": sl.department_ids}
    bins: QuerySet[TimeBin] | QuerySet[TimeBinFold]
    if sl.category_id is None and by != "category":  # summed over the categories already
        bins = TimeBinFold.objects.filter(series__in=TRANSFER_SERIES, whole=False, **departments)
    else:  # transfer rows are all marked whole: saying so lets the (series, whole, month) index serve
        bins = TimeBin.objects.filter(series__in=TRANSFER_SERIES, whole=True, **departments)
        if sl.category_id is not None:
            bins = bins.filter(category_id=sl.category_id)
    spans = TransferSpan.objects.filter(**departments)
    if sl.category_id is not None:
        spans = spans.filter(category_id=sl.category_id)
    column = TRANSFER_KEYS[by] if by else None
    edge_rows = None
    if edges:
        days, weight = time_bins.edge_filter(edges)
        edge_rows = spans.filter(days).annotate(
            k=F(column) if column else Value(None, output_field=IntegerField()), w=weight
        )
    counts = time_bins.read_counts(months, bins, column, edge_rows, TRANSFER_SERIES, 3600.0)

    def pair(c: dict[int, int]) -> tuple[float | None, float | None]:
        p50, p90 = histogram.percentiles(c, (0.5, 0.9))
        return p50, p90

    return {k: (pair(s.get("accept", {})), pair(s.get("outcome", {}))) for k, s in counts.items()}


def _transfer_times(keyed: QuerySet) -> dict[Any, tuple[tuple, tuple]]:
    """{key: ((acceptance p50, p90), (outcome p50, p90))} in hours."""
    rows = keyed.values("k", "accept_s", "outcome_s").order_by()
    if connection.vendor == "postgresql":
        sql, params = rows.query.sql_with_params()
        query = (
            "SELECT t.k, PERCENTILE_CONT(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY t.accept_s / 3600.0), "
            f"PERCENTILE_CONT(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY t.outcome_s / 3600.0) FROM ({sql}) t GROUP BY t.k"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return {k: (tuple(a or (None, None)), tuple(o or (None, None))) for k, a, o in cursor.fetchall()}
    spans: dict[Any, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for row in rows:
        for values, seconds in zip(spans[row["k"]], (row["accept_s"], row["outcome_s"]), strict=True):
            if seconds is not None:
                values.append(seconds / 3600)
    return {
        k: ((percentile(a, 0.5), percentile(a, 0.9)), (percentile(o, 0.5), percentile(o, 0.9)))
        for k, (a, o) in spans.items()
    }


def incident_table(sl: Slice) -> dict[str, Any]:
    """Incidents alarmed in the slice's days: count by priority and status, and the response
    time (a unit's dispatch → its arrival on scene, minutes, p50/p90) per agency and per grid.
    The grid of an incident is the grid covering its position. Two queries."""
    start, end = day_bounds(sl.start, sl.end)
    incidents = {
        pk: (priority, status, grid_id_containing(lat, lon), kind)
        for pk, priority, status, lat, lon, kind in Incident.objects.filter(
            alarm_at__gte=start, alarm_at__lt=end
        ).values_list("pk", "priority", "status", "lat", "lon", "incident_type")
    }
    if sl.grid_ids is not None:
        incidents = {pk: v for pk, v in incidents.items() if v[2] in sl.grid_ids}
    by_priority: dict[int, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    by_type: dict[str, int] = defaultdict(int)
    for priority, status, _grid, kind in incidents.values():
        by_priority[priority] += 1
        by_status[status] += 1
        by_type[kind] += 1
    per_agency: dict[str, list[float]] = defaultdict(list)
    per_grid: dict[Any, list[float]] = defaultdict(list)
    assignments = Assignment.objects.filter(
        incident__alarm_at__gte=start, incident__alarm_at__lt=end, arrived_at__isnull=False
    ).values_list("incident_id", "unit__agency", "dispatched_at", "arrived_at")
    for incident_id, agency, dispatched, arrived in assignments:
        if incident_id not in incidents or arrived is None:
            continue
        minutes = (arrived - dispatched).total_seconds() / 60
        per_agency[agency].append(minutes)
        per_grid[incidents[incident_id][2]].append(minutes)
    grid_names = labels("grid", per_grid.keys())

    def row(key: Any, label: str, values: list[float]) -> dict[str, Any]:
        return {
            "key": None if key is None else str(key),
            "label": label,
            "arrivals": len(values),
            "response_p50_min": _round(percentile(values, 0.5)),
            "response_p90_min": _round(percentile(values, 0.9)),
        }

    return {
        "incidents": len(incidents),
        "by_priority": [{"key": str(k), "count": v} for k, v in sorted(by_priority.items())],
        "by_status": [{"key": k, "count": v} for k, v in sorted(by_status.items())],
        "by_type": _type_counts(by_type),
        "response_by_agency": [row(k, k, v) for k, v in sorted(per_agency.items())],
        "response_by_grid": [
            row(k, grid_names.get(k, ""), v) for k, v in sorted(per_grid.items(), key=lambda kv: kv[0] or 0)
        ],
    }


# --- incident types (issue 12 §1); the fleet by hour and working days: measures_time.py ---------


def incidents_by_type(sl: Slice) -> list[dict[str, Any]]:
    """Incidents alarmed in the slice's days per type (``Incident.incident_type``; "" when the
    dispatcher gave none), limited to the slice's grids by position. One query."""
    start, end = day_bounds(sl.start, sl.end)
    counts: dict[str, int] = defaultdict(int)
    for kind, lat, lon in Incident.objects.filter(alarm_at__gte=start, alarm_at__lt=end).values_list(
        "incident_type", "lat", "lon"
    ):
        if sl.grid_ids is None or grid_id_containing(lat, lon) in sl.grid_ids:
            counts[kind] += 1
    return _type_counts(counts)


def _type_counts(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Counts per incident type, most first, with the type's name ("" for none or unknown)."""
    return [
        {"key": k, "label": str(IncidentType(k).label) if k in IncidentType.values else "", "count": n}
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def zero_sums() -> dict[str, int]:
    """The rollup sums of a group without appeals (every column 0)."""
    return _zero()


def on_time_rate_all(s: dict[str, int]) -> float | None:
    """Every deadline of the cohort at once: Σ met / Σ (met + breached) over the five clock kinds
    (the reports' headline "on-time rate"; per kind: ``appeal_measures``)."""
    cols = ("contact", "land", "accept", "outcome", "complaint")
    met = sum(s[f"{c}_met"] for c in cols)
    return ratio(met, met + sum(s[f"{c}_breached"] for c in cols))


__all__ = [
    "DIMENSIONS",
    "PERIODS",
    "Slice",
    "Table",
    "appeal_measures",
    "appeal_times",
    "appeal_times_of",
    "appeals_table",
    "change",
    "hour_weekday",
    "incident_table",
    "incidents_by_type",
    "local_day",
    "on_time_rate_all",
    "percentile",
    "ratio",
    "satisfaction_measures",
    "satisfaction_table",
    "transfer_table",
    "zero_sums",
]
