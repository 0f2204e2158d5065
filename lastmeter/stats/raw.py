"""The figures of ``stats.measures`` computed straight from the raw tables, by plain ORM
aggregation: the rollup's sums, the time percentiles, receipts per hour, the transfer table.

Two users: ``bench/stats.py`` times them as the baseline the rollups are measured against (what
the figures would cost without ``AppealDay`` and its companion tables), and the tests check that
the measures read from the rollups equal them on generated history. The definitions are those of
docs/MEASURES.md (and of ``rollups.appeal_facts``), written again as database aggregates: one
query per family of facts, each grouped by the period of the appeal's local receipt day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)

from lastmeter.appeals.choices import AppealState, ClockState, EventKind, TransferState
from lastmeter.appeals.models import AppealEvent, Clock, Rating, Transfer
from lastmeter.stats.measures import DIMENSIONS, Slice, percentile, ratio, raw_appeals
from lastmeter.stats.models import CLOCK_COLUMNS, SUM_FIELDS
from lastmeter.stats.rollups import TIME_STEPS, day_bounds, local_tz

_TRUNC = {
    "day": TruncDate,
    "week": TruncWeek,
    "month": TruncMonth,
    "quarter": TruncQuarter,
    "year": TruncYear,
}
LATE = (ClockState.BREACHED, ClockState.MET_LATE)


def _period(path: str, period: str | None) -> Any:
    """The period of the local receipt day of the appeal at ``path`` (None: one group)."""
    if period is None:
        return None
    return _TRUNC[period](f"{path}created_at", tzinfo=local_tz())


def _grouped(qs: QuerySet, path: str, period: str | None, **aggregates) -> dict[Any, dict[str, int]]:
    key = _period(path, period)
    if key is None:
        row = qs.aggregate(**aggregates)
        return {None: {k: v or 0 for k, v in row.items()}}
    rows = qs.annotate(p=key).values("p").annotate(**aggregates).order_by("p")
    out = {}
    for row in rows:
        p = row.pop("p")
        out[p.date() if isinstance(p, datetime) else p] = {k: v or 0 for k, v in row.items()}
    return out


def raw_sums(sl: Slice, period: str | None = None) -> dict[date | None, dict[str, int]]:
    """{period start (None without a period): every summed column of ``AppealDay``} over the
    appeals received in the slice, from the raw rows."""
    appeals = raw_appeals(sl)
    ids = appeals.values("pk")
    out: dict[Any, dict[str, int]] = {}

    def merge(parts: dict[Any, dict[str, int]]) -> None:
        for p, sums in parts.items():
            target = out.setdefault(p, dict.fromkeys(SUM_FIELDS, 0))
            for name, value in sums.items():
                target[name] += value

    def clock_exists(kind: str, states) -> Exists:
        return Exists(Clock.objects.filter(appeal=OuterRef("pk"), kind=kind, state__in=states))

    def event_exists(to_state: str) -> Exists:
        return Exists(
            AppealEvent.objects.filter(appeal=OuterRef("pk"), kind=EventKind.STATE, to_state=to_state)
        )

    flags: dict[str, Any] = {
        "received": Count("id"),
        "merged": Count("id", filter=Q(state=AppealState.MERGED)),
        "resolved": Count("id", filter=Q(was_resolved=True)),
        "reopened": Count("id", filter=Q(was_reopened=True)),
        "transferred": Count("id", filter=Q(was_transferred=True)),
    }
    annotated = appeals.annotate(
        was_resolved=event_exists(AppealState.RESOLVED),
        was_reopened=event_exists(AppealState.REOPENED),
        was_transferred=Exists(Transfer.objects.filter(appeal=OuterRef("pk"))),
    )
    for kind in ("contact", "land"):
        met, late = clock_exists(kind, [ClockState.MET]), clock_exists(kind, LATE)
        annotated = annotated.annotate(**{f"{kind}_has_met": met, f"{kind}_has_late": late})
        flags[f"{kind}_decided"] = Count(
            "id", filter=Q(**{f"{kind}_has_met": True}) | Q(**{f"{kind}_has_late": True})
        )
        flags[f"{kind}_ontime"] = Count(
            "id", filter=Q(**{f"{kind}_has_met": True, f"{kind}_has_late": False})
        )
    merge(_grouped(annotated, "", period, **flags))

    clock_counts: dict[str, Any] = {}
    for kind, col in CLOCK_COLUMNS.items():
        clock_counts[f"{col}_met"] = Count("id", filter=Q(kind=kind, state=ClockState.MET))
        clock_counts[f"{col}_breached"] = Count("id", filter=Q(kind=kind, state__in=LATE))
    merge(_grouped(Clock.objects.filter(appeal__in=ids), "appeal__", period, **clock_counts))
    events = AppealEvent.objects.filter(appeal__in=ids)
    merge(
        _grouped(
            events,
            "appeal__",
            period,
            escalations=Count("id", filter=Q(kind=EventKind.ESCALATED)),
            resolutions=Count("id", filter=Q(kind=EventKind.STATE, to_state=AppealState.RESOLVED)),
        )
    )
    merge(
        _grouped(
            Transfer.objects.filter(appeal__in=ids),
            "appeal__",
            period,
            transfers=Count("id"),
            transfers_returned=Count("id", filter=Q(state=TransferState.RETURNED)),
        )
    )
    scored = Q(contested=False, score__isnull=False)
    merge(
        _grouped(
            Rating.objects.filter(appeal__in=ids),
            "appeal__",
            period,
            ratings=Count("id", filter=scored),
            score_sum=Sum(F("score"), filter=scored),
            score_ge4=Count("id", filter=scored & Q(score__gte=4)),
            contests=Count("id", filter=Q(contested=True)),
        )
    )
    return {p: sums for p, sums in out.items() if sums["received"]}


def raw_times(sl: Slice, by: str | None = None) -> dict[str | None, dict[str, Any]]:
    """``measures.appeal_times`` from the timeline: the first state events of each appeal
    (grouped by the database), the percentiles in Python. {key: row without the label}."""
    column = (
        "appeal__grid__community_id" if by == "community" else (f"appeal__{DIMENSIONS[by]}" if by else None)
    )
    firsts: dict[int, dict[str, Any]] = defaultdict(dict)
    rows = (
        AppealEvent.objects.filter(
            appeal__in=raw_appeals(sl).values("pk"),
            kind=EventKind.STATE,
            to_state__in=[AppealState.CONTACTED, AppealState.LANDED, AppealState.RESOLVED],
        )
        .values("appeal_id", "appeal__created_at", "to_state", *([column] if column else []))
        .annotate(first=Min("at"))
    )
    for found in rows:
        facts = firsts[found["appeal_id"]]
        facts["key"] = found[column] if column else None
        facts["created"] = found["appeal__created_at"]
        facts[found["to_state"]] = found["first"]
    hours: dict[Any, dict[str, list[float]]] = defaultdict(lambda: {step: [] for step in TIME_STEPS})
    for facts in firsts.values():
        for step, states in TIME_STEPS.items():
            ends = [facts[s] for s in states if s in facts]
            if ends:
                hours[facts["key"]][step].append((min(ends) - facts["created"]).total_seconds() / 3600)
    out: dict[str | None, dict[str, Any]] = {}
    for key, steps in hours.items():
        row: dict[str, Any] = {}
        for step, spans in steps.items():
            row[f"{step}_n"] = len(spans)
            for q in (50, 90):
                value = percentile(spans, q / 100)
                row[f"{step}_p{q}_h"] = None if value is None else round(value, 3)
        out[None if key is None else str(key)] = row
    return out


def raw_hours(sl: Slice) -> dict[tuple[int, int], int]:
    """Appeals received per (ISO weekday, local hour), from the appeals."""
    tz = local_tz()
    rows = (
        raw_appeals(sl)
        .annotate(h=ExtractHour("created_at", tzinfo=tz), d=ExtractIsoWeekDay("created_at", tzinfo=tz))
        .values("d", "h")
        .annotate(n=Count("id"))
    )
    return {(r["d"], r["h"]): r["n"] for r in rows}


def raw_transfers(sl: Slice) -> dict[str | None, dict[str, Any]]:
    """``measures.transfer_table`` per department from the transfers and their clocks."""
    start, end = day_bounds(sl.start, sl.end)
    transfers = Transfer.objects.filter(created_at__gte=start, created_at__lt=end)
    if sl.department_ids is not None:
        transfers = transfers.filter(department_id__in=sl.department_ids)
    if sl.grid_ids is not None:
        transfers = transfers.filter(appeal__grid_id__in=sl.grid_ids)
    if sl.category_id is not None:
        transfers = transfers.filter(appeal__category_id=sl.category_id)
    groups: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"n": 0, "returned": 0, "accept": [], "outcome": []}
    )
    for dept, state, created, decided, completed in transfers.values_list(
        "department_id", "state", "created_at", "decided_at", "completed_at"
    ):
        g = groups[dept]
        g["n"] += 1
        g["returned"] += state == TransferState.RETURNED
        if state in (TransferState.ACCEPTED, TransferState.COMPLETED) and decided:
            g["accept"].append((decided - created).total_seconds() / 3600)
        if state == TransferState.COMPLETED and completed:
            g["outcome"].append((completed - created).total_seconds() / 3600)
    clocks = {
        row["transfer__department_id"]: row
        for row in Clock.objects.filter(transfer__in=transfers.values("pk"))
        .values("transfer__department_id")
        .annotate(
            am=Count("id", filter=Q(kind="transfer_accept", state=ClockState.MET)),
            al=Count("id", filter=Q(kind="transfer_accept", state__in=LATE)),
            om=Count("id", filter=Q(kind="transfer_outcome", state=ClockState.MET)),
            ol=Count("id", filter=Q(kind="transfer_outcome", state__in=LATE)),
        )
        .order_by()
    }

    def p(values: list[float], q: float) -> float | None:
        value = percentile(values, q)
        return None if value is None else round(value, 3)

    out: dict[str | None, dict[str, Any]] = {}
    for dept, g in groups.items():
        c = clocks.get(dept, {"am": 0, "al": 0, "om": 0, "ol": 0})
        out[str(dept)] = {
            "transfers": g["n"],
            "returned": g["returned"],
            "returned_rate": ratio(g["returned"], g["n"]),
            "acceptance_p50_h": p(g["accept"], 0.5),
            "acceptance_p90_h": p(g["accept"], 0.9),
            "outcome_p50_h": p(g["outcome"], 0.5),
            "outcome_p90_h": p(g["outcome"], 0.9),
            "accept_on_time_rate": ratio(c["am"], c["am"] + c["al"]),
            "outcome_on_time_rate": ratio(c["om"], c["om"] + c["ol"]),
        }
    return out


__all__ = ["raw_hours", "raw_sums", "raw_times", "raw_transfers"]
