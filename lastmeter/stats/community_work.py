"""The figures of community work — enforcement complaints and mediation — defined once
(docs/MEASURES.md §Complaints and §Mediation state each formula).

Like ``stats.measures``, every function takes a ``Slice`` already checked against the viewer's
scope and reads it as it is: its local dates (``start``..``end``, inclusive) and its community.
Complaints and mediation cases have no appeal rollup; they are few (tens a month in a station),
so each function is one grouped query over the raw rows, counted by the database.

* A complaint belongs to the community of the officer concerned: ``Complaint.unit`` is that
  community (or a building of it). A complaint whose officer is not identified yet has no unit:
  it counts for the jurisdiction only.
* A mediation case belongs to its ``community``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from lastmeter.appeals.choices import ClockState
from lastmeter.complaints.choices import ComplaintClockKind, DecisionKind
from lastmeter.complaints.models import Complaint, ComplaintClock, Decision
from lastmeter.mediation.choices import DisputeType, Outcome
from lastmeter.mediation.models import MediationCase, RecurrenceLink
from lastmeter.stats.measures import Slice, percentile, ratio
from lastmeter.stats.rollups import day_bounds

RECURRENCE_DAYS = 90


def _complaint_area(sl: Slice, prefix: str = "") -> Q:
    """Complaints (reached through ``prefix``) of the slice's community, or all of them."""
    if sl.community_id is None:
        return Q()
    return Q(**{f"{prefix}unit_id": sl.community_id}) | Q(**{f"{prefix}unit__parent_id": sl.community_id})


def _between(sl: Slice, field: str) -> Q:
    """``field`` inside the slice's local days."""
    start, end = day_bounds(sl.start, sl.end)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _complaints(sl: Slice) -> QuerySet[Complaint]:
    return Complaint.objects.filter(_between(sl, "created_at"), _complaint_area(sl))


# --- complaints -----------------------------------------------------------------------------------


def complaints_per_unit(sl: Slice) -> list[dict[str, Any]]:
    """Complaints received in the slice's days per unit of the officer concerned (``None``: the
    officer is not identified yet), most first. One query."""
    rows = (
        _complaints(sl).values("unit_id", "unit__name").annotate(n=Count("id")).order_by("-n", "unit__name")
    )
    return [{"key": r["unit_id"], "label": r["unit__name"] or "", "complaints": r["n"]} for r in rows]


def complaints_per_officer(sl: Slice) -> list[dict[str, Any]]:
    """Complaints received in the slice's days per officer concerned (``None``: not identified
    yet), most first. One query."""
    rows = (
        _complaints(sl)
        .values("officer_id", "officer__name")
        .annotate(n=Count("id"))
        .order_by("-n", "officer__name")
    )
    return [{"key": r["officer_id"], "label": r["officer__name"] or "", "complaints": r["n"]} for r in rows]


def decisions_by_kind(sl: Slice) -> list[dict[str, Any]]:
    """Decisions made in the slice's days per kind (every round counts: a decision on the further
    appeal is a second decision), every kind in its order, zeros included. One query."""
    counts = dict(
        Decision.objects.filter(_between(sl, "decided_at"), _complaint_area(sl, "complaint__"))
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return [
        {"key": k.value, "label": str(k.label), "decisions": counts.get(k.value, 0)} for k in DecisionKind
    ]


def on_time_reply_rate(sl: Slice) -> dict[str, Any]:
    """Of the replies due in the slice's days (reply clocks of every round whose deadline falls
    in those days), how many were sent by the deadline: on time = met, late = met late, overdue =
    breached and not yet replied; rate = on time / (on time + late + overdue). A clock still
    running before its deadline, paused or cancelled (a withdrawn complaint) is not counted.
    One query."""
    counts = dict(
        ComplaintClock.objects.filter(
            _between(sl, "due_at"), _complaint_area(sl, "complaint__"), kind=ComplaintClockKind.REPLY
        )
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    on_time = counts.get(ClockState.MET, 0)
    late = counts.get(ClockState.MET_LATE, 0)
    overdue = counts.get(ClockState.BREACHED, 0)
    due = on_time + late + overdue
    return {
        "replies_due": due,
        "replied_on_time": on_time,
        "replied_late": late,
        "replies_overdue": overdue,
        "reply_on_time_rate": ratio(on_time, due),
    }


# --- mediation ------------------------------------------------------------------------------------


def _cases(sl: Slice, field: str = "opened_at") -> QuerySet[MediationCase]:
    qs = MediationCase.objects.filter(_between(sl, field))
    return qs if sl.community_id is None else qs.filter(community_id=sl.community_id)


def mediation_cases_by_type(sl: Slice) -> list[dict[str, Any]]:
    """Cases opened in the slice's days per type of dispute, every type in its order, zeros
    included. One query."""
    counts = dict(
        _cases(sl).values_list("dispute_type").annotate(n=Count("id")).values_list("dispute_type", "n")
    )
    return [{"key": t.value, "label": str(t.label), "cases": counts.get(t.value, 0)} for t in DisputeType]


def mediation_success_rate(sl: Slice) -> dict[str, Any]:
    """Of the cases opened in the slice's days that reached an outcome, how many ended in a full
    agreement: success rate = agreement / (agreement + partial + failed). A partial agreement is
    concluded but not a success; a case still open is not counted. One query."""
    counts = _cases(sl).aggregate(
        agreed=Count("id", filter=Q(outcome=Outcome.AGREEMENT)),
        partial=Count("id", filter=Q(outcome=Outcome.PARTIAL)),
        failed=Count("id", filter=Q(outcome=Outcome.FAILED)),
    )
    concluded = counts["agreed"] + counts["partial"] + counts["failed"]
    return {
        "concluded": concluded,
        "agreed": counts["agreed"],
        "partial": counts["partial"],
        "failed": counts["failed"],
        "success_rate": ratio(counts["agreed"], concluded),
    }


def days_to_agreement(sl: Slice) -> dict[str, Any]:
    """Days from opening to agreement (``agreed_at − opened_at``, full or partial agreement, in
    days with fractions) of the cases agreed in the slice's days: how many, median and 90th
    percentile (``measures.percentile``). One query: the spans are few, and the same
    interpolation is then used on every database."""
    spans = [
        (agreed - opened).total_seconds() / 86400
        for opened, agreed in _cases(sl, "agreed_at").values_list("opened_at", "agreed_at")
        if agreed is not None  # always set: the range filters on it; for the type checker
    ]
    median, p90 = percentile(spans, 0.5), percentile(spans, 0.9)
    return {
        "agreements": len(spans),
        "agreement_p50_days": None if median is None else round(median, 2),
        "agreement_p90_days": None if p90 is None else round(p90, 2),
    }


def recurrence_within_90_days(sl: Slice) -> dict[str, Any]:
    """Of the cases agreed (fully or partly) in the slice's days, how many saw a new appeal
    between the same parties or at the same address (a ``RecurrenceLink``) filed within 90 days
    after the agreement: recurrence rate = recurred / agreed. A case agreed less than 90 days ago
    may still recur: the figure of a recent range can only grow. One query."""
    recurred = RecurrenceLink.objects.filter(
        case=OuterRef("pk"),
        appeal__created_at__gte=OuterRef("agreed_at"),
        appeal__created_at__lte=F("case__agreed_at") + timedelta(days=RECURRENCE_DAYS),
    )
    counts = _cases(sl, "agreed_at").aggregate(
        agreed=Count("id"), recurred=Count("id", filter=Exists(recurred))
    )
    return {
        "agreed_cases": counts["agreed"],
        "recurred_in_90d": counts["recurred"],
        "recurrence_rate": ratio(counts["recurred"], counts["agreed"]),
    }


__all__ = [
    "RECURRENCE_DAYS",
    "complaints_per_officer",
    "complaints_per_unit",
    "days_to_agreement",
    "decisions_by_kind",
    "mediation_cases_by_type",
    "mediation_success_rate",
    "on_time_reply_rate",
    "recurrence_within_90_days",
]
