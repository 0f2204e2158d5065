"""/api/v1/complaints/figures and /api/v1/mediation/figures: the figures of community work
(``stats.community_work``) for a range of local dates (``from``/``to``, inclusive; default the
last 30 days). The paths stayed where the complaints and mediation apps had them; the
definitions moved to the stats app, so the API, the figures pages and the dashboards read the
same functions. Bad dates answer 400 with a sentence; someone who does not handle complaints (or
mediation) 403.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.complaints.selectors import works_on_complaints
from lastmeter.lib.errors import NotAllowed
from lastmeter.mediation.selectors import may_open_cases
from lastmeter.stats import community_work
from lastmeter.stats.measures import Slice
from lastmeter.stats.schemas import StatsErrorOut
from lastmeter.stats.selectors import check_dates

router = Router(tags=["stats"])
ERRORS = {400: StatsErrorOut, 401: StatsErrorOut, 403: StatsErrorOut}


class RangeQuery(Schema):
    start: str | None = NinjaField(None, alias="from", description="First local date, YYYY-MM-DD.")
    end: str | None = NinjaField(None, alias="to", description="Last local date, YYYY-MM-DD (inclusive).")


class CountOut(Schema):
    key: int | str | None
    label: str
    count: int


class RepliesOut(Schema):
    replies_due: int
    replied_on_time: int
    replied_late: int
    replies_overdue: int
    reply_on_time_rate: float | None


class ComplaintFiguresOut(Schema):
    start: date
    end: date
    per_unit: list[CountOut]
    per_officer: list[CountOut]
    decisions_by_kind: list[CountOut]
    replies: RepliesOut


class SuccessOut(Schema):
    concluded: int
    agreed: int
    partial: int
    failed: int
    success_rate: float | None


class AgreementDaysOut(Schema):
    agreements: int
    agreement_p50_days: float | None
    agreement_p90_days: float | None


class RecurrenceOut(Schema):
    agreed_cases: int
    recurred_in_90d: int
    recurrence_rate: float | None


class MediationFiguresOut(Schema):
    start: date
    end: date
    cases_by_type: list[CountOut]
    success: SuccessOut
    days_to_agreement: AgreementDaysOut
    recurrence_90_days: RecurrenceOut


def _slice(q: RangeQuery) -> Slice:
    first, last = check_dates(q.start, q.end, period=None)
    return Slice(start=first, end=last)


def _counts(rows: list[dict], key: str) -> list[dict]:
    return [{"key": r["key"], "label": r["label"], "count": r[key]} for r in rows]


@router.get("/complaints/figures", response={200: ComplaintFiguresOut, **ERRORS}, auth=API_AUTH)
def complaint_figures(request: HttpRequest, q: Query[RangeQuery]):
    """Complaints per unit and per officer concerned, decisions by kind, replies on time."""
    if not works_on_complaints(request_scope(request)):
        raise NotAllowed("the complaint figures are for the legal office and the station's staff")
    sl = _slice(q)
    return {
        "start": sl.start,
        "end": sl.end,
        "per_unit": _counts(community_work.complaints_per_unit(sl), "complaints"),
        "per_officer": _counts(community_work.complaints_per_officer(sl), "complaints"),
        "decisions_by_kind": _counts(community_work.decisions_by_kind(sl), "decisions"),
        "replies": community_work.on_time_reply_rate(sl),
    }


@router.get("/mediation/figures", response={200: MediationFiguresOut, **ERRORS}, auth=API_AUTH)
def mediation_figures(request: HttpRequest, q: Query[RangeQuery]):
    """Mediation cases by type, success rate, days to agreement, recurrence within 90 days."""
    if not may_open_cases(request_scope(request)):
        raise NotAllowed("the mediation figures are for the station's staff and the community's officers")
    sl = _slice(q)
    return {
        "start": sl.start,
        "end": sl.end,
        "cases_by_type": _counts(community_work.mediation_cases_by_type(sl), "cases"),
        "success": community_work.mediation_success_rate(sl),
        "days_to_agreement": community_work.days_to_agreement(sl),
        "recurrence_90_days": community_work.recurrence_within_90_days(sl),
    }


__all__ = ["router"]
