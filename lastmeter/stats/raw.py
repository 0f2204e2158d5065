"""The rollup's sums computed straight from the raw tables, by plain ORM aggregation.

Two users: ``bench/stats.py`` times it as the baseline the rollup is measured against (what the
figures would cost without ``AppealDay``), and the tests check that the rollup, read through
``measures.grouped_sums``, equals it on generated history. The definitions are those of
docs/MEASURES.md (and of ``rollups.appeal_facts``), written again as database aggregates: one
query per family of facts, each grouped by the period of the appeal's local receipt day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from lastmeter.appeals.choices import AppealState, ClockState, EventKind, TransferState
from lastmeter.appeals.models import AppealEvent, Clock, Rating, Transfer
from lastmeter.stats.measures import Slice, raw_appeals
from lastmeter.stats.models import CLOCK_COLUMNS, SUM_FIELDS
from lastmeter.stats.rollups import local_tz

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


__all__ = ["raw_sums"]
