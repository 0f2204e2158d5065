"""/api/v1/stats: the measures of ``stats.measures`` for the viewer's scope.

Every endpoint takes ``from``/``to`` (local dates, inclusive; default the last 30 days) and the
filters ``grid``, ``community``, ``category``, ``channel``, ``officer``; bad input is a 400
(or 404 for a grid/community outside the viewer's scope) with a sentence saying what to fix.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.http import HttpRequest
from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.stats import measures, measures_time
from lastmeter.stats.dashboards import build_dashboard
from lastmeter.stats.schemas import (
    AppealStatsOut,
    DashboardOut,
    HoursOut,
    IncidentsOut,
    IncidentTypesOut,
    SatisfactionStatsOut,
    StatsErrorOut,
    TransfersOut,
    UnitsBusyOut,
    WorkingDaysOut,
)
from lastmeter.stats.selectors import (
    Request,
    check_request,
    parse_date,
    require_appeal_figures,
    require_fleet_figures,
    require_transfer_figures,
)

router = Router(tags=["stats"])
ERRORS = {400: StatsErrorOut, 401: StatsErrorOut, 403: StatsErrorOut, 404: StatsErrorOut}


class StatsQuery(Schema):
    start: str | None = NinjaField(None, alias="from", description="First local date, YYYY-MM-DD.")
    end: str | None = NinjaField(None, alias="to", description="Last local date, YYYY-MM-DD (inclusive).")
    period: str | None = NinjaField(None, description="day, week, month, quarter or year.")
    by: str | None = NinjaField(None, description="grid, community, category, channel or officer.")
    compare: str | None = NinjaField(None, description="mom (previous period) or yoy (a year earlier).")
    grid: str | None = NinjaField(None, description="Grid code or id.")
    community: str | None = NinjaField(None, description="Community code or id.")
    category: str | None = NinjaField(None, description="Category code or id.")
    channel: str | None = None
    officer: str | None = NinjaField(None, description="Person id of the assignee.")


def _checked(q: StatsQuery, grids) -> Request:
    return check_request(
        grids,
        start=q.start,
        end=q.end,
        period=q.period,
        by=q.by,
        compare=q.compare,
        grid=q.grid,
        community=q.community,
        category=q.category,
        channel=q.channel,
        officer=q.officer,
    )


def _range(sl: measures.Slice) -> dict[str, Any]:
    return {"start": sl.start, "end": sl.end}


def _with_compare(req: Request, table: measures.Table, build) -> dict[str, Any] | None:
    if req.compare is None:
        return None
    earlier_slice = req.slice.shifted(req.compare)
    earlier = build(earlier_slice, None, None)
    return {
        "kind": req.compare,
        "range": _range(earlier_slice),
        "totals": earlier.totals,
        "change": measures.change(table.totals, earlier.totals),
    }


@router.get("/stats/appeals", response={200: AppealStatsOut, **ERRORS}, auth=API_AUTH)
def appeal_stats(request: HttpRequest, q: Query[StatsQuery]):
    """Appeal counts and rates (rollup), times to contact/land/resolve (raw rows), per period and
    breakdown, with an optional comparison (docs/MEASURES.md)."""
    req = _checked(q, require_appeal_figures(request_scope(request)))
    table = measures.appeals_table(req.slice, req.period, req.by)
    return {
        "range": _range(req.slice),
        "period": req.period,
        "by": req.by,
        "totals": table.totals,
        "series": table.series,
        "times": measures.appeal_times(req.slice, req.by),
        "compare": _with_compare(req, table, measures.appeals_table),
    }


@router.get("/stats/satisfaction", response={200: SatisfactionStatsOut, **ERRORS}, auth=API_AUTH)
def satisfaction_stats(request: HttpRequest, q: Query[StatsQuery]):
    """Ratings (mean, share of 4–5, response rate) and contests, per period and breakdown."""
    req = _checked(q, require_appeal_figures(request_scope(request)))
    table = measures.satisfaction_table(req.slice, req.period, req.by)
    return {
        "range": _range(req.slice),
        "period": req.period,
        "by": req.by,
        "totals": table.totals,
        "series": table.series,
        "compare": _with_compare(req, table, measures.satisfaction_table),
    }


@router.get("/stats/appeals/hours", response={200: HoursOut, **ERRORS}, auth=API_AUTH)
def appeal_hours(request: HttpRequest, q: Query[StatsQuery]):
    """Appeals received per local hour of day × weekday."""
    req = _checked(q, require_appeal_figures(request_scope(request)))
    return {"range": _range(req.slice), "cells": measures.hour_weekday(req.slice)}


@router.get("/stats/transfers", response={200: TransfersOut, **ERRORS}, auth=API_AUTH)
def transfer_stats(request: HttpRequest, q: Query[StatsQuery]):
    """Per department: transfers, returned rate, acceptance and outcome times, on-time rates.
    A department liaison sees their department only."""
    grids, departments = require_transfer_figures(request_scope(request))
    req = _checked(q, grids)
    sl = replace(req.slice, department_ids=departments)
    return {"range": _range(sl), "departments": measures.transfer_table(sl)}


@router.get("/stats/incidents", response={200: IncidentsOut, **ERRORS}, auth=API_AUTH)
def incident_stats(request: HttpRequest, q: Query[StatsQuery]):
    """Incidents by priority and status; response time (dispatch → on scene) per agency and grid."""
    req = _checked(q, require_appeal_figures(request_scope(request)))
    return {"range": _range(req.slice), **measures.incident_table(req.slice)}


@router.get("/stats/incidents/types", response={200: IncidentTypesOut, **ERRORS}, auth=API_AUTH)
def incident_types(request: HttpRequest, q: Query[StatsQuery]):
    """Incidents alarmed in the range per incident type, within the viewer's grids."""
    req = _checked(q, require_appeal_figures(request_scope(request)))
    return {"range": _range(req.slice), "types": measures.incidents_by_type(req.slice)}


@router.get("/stats/units/busy", response={200: UnitsBusyOut, **ERRORS}, auth=API_AUTH)
def units_busy(request: HttpRequest, q: Query[StatsQuery]):
    """Per agency, the share of units busy (dispatched until cleared) in each local hour of day.
    The fleet serves the whole jurisdiction: jurisdiction-wide staff only."""
    require_fleet_figures(request_scope(request))
    req = _checked(q, None)
    return {"range": _range(req.slice), "agencies": measures_time.busy_share_by_hour(req.slice)}


@router.get("/stats/working-days", response={200: WorkingDaysOut, **ERRORS}, auth=API_AUTH)
def working_day_stats(request: HttpRequest, q: Query[StatsQuery]):
    """China's working days of the range, appeals and transfers per working day, and the clocks
    that count working days (a department's outcome clock) in working days."""
    req = _checked(q, require_appeal_figures(request_scope(request)))
    totals = measures.appeals_table(req.slice, None, None).totals
    figures = measures_time.working_day_measures(req.slice, totals["received"], totals["transfers"])
    return {
        "range": _range(req.slice),
        "received": totals["received"],
        "transfers": totals["transfers"],
        **figures,
    }


# --- the dashboards: the same data as the pages /stats/<level>/… ---------------------------------


class DashboardQuery(Schema):
    start: str | None = NinjaField(None, alias="from", description="First local date, YYYY-MM-DD.")
    end: str | None = NinjaField(None, alias="to", description="Last local date, YYYY-MM-DD (inclusive).")
    period: str | None = NinjaField(None, description="The trend's step (default: by the range's length).")
    category: str | None = NinjaField(None, description="Category code.")
    channel: str | None = None


def _dashboard(request: HttpRequest, level: str, target_id: int | None, q: DashboardQuery):
    return build_dashboard(
        request_scope(request),
        level,
        target_id,
        parse_date(q.start, "from"),
        parse_date(q.end, "to"),
        period=q.period,
        category=q.category,
        channel=q.channel,
    ).as_dict()


@router.get("/stats/dashboards/leadership", response={200: DashboardOut, **ERRORS}, auth=API_AUTH)
def leadership_dashboard(request: HttpRequest, q: Query[DashboardQuery]):
    """The leadership dashboard: the jurisdiction's headline figures with YoY and MoM, the trend,
    and the ranking of grids and of departments (station leadership, dispatchers, administrators)."""
    return _dashboard(request, "leadership", None, q)


@router.get("/stats/dashboards/{level}/{target_id}", response={200: DashboardOut, **ERRORS}, auth=API_AUTH)
def level_dashboard(request: HttpRequest, level: str, target_id: int, q: Query[DashboardQuery]):
    """A community's (its grids), a grid's (its officers, categories, hour × weekday) or a
    department's dashboard (the transfers to it). A target that is not the viewer's is a 404."""
    return _dashboard(request, level, target_id, q)
