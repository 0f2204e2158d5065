"""Response schemas of /api/v1/stats (documented in the OpenAPI description)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ninja import Field, Schema


class AppealMeasuresOut(Schema):
    received: int = Field(description="Appeals received (the cohort of the range).")
    contacted_on_time: int = Field(description="Appeals whose contact clocks were all met on time.")
    contact_decided: int = Field(description="Appeals with at least one contact clock met or breached.")
    contact_on_time_rate: float | None = Field(description="contacted_on_time / contact_decided.")
    landed_on_time: int = Field(description="Appeals whose landing (24 h) clocks were all met on time.")
    land_decided: int
    landed_within_24h_rate: float | None = Field(description="landed_on_time / land_decided.")
    on_time_rate: dict[str, float | None] = Field(description="Per clock kind: met / (met + breached).")
    breaches: int = Field(description="Clocks breached (including those met late).")
    escalations: int
    resolved: int = Field(description="Appeals resolved at least once.")
    reopened: int = Field(description="Appeals reopened at least once.")
    reopen_rate: float | None = Field(description="reopened / resolved.")
    merged: int = Field(description="Appeals merged into another as duplicates.")
    transferred: int = Field(description="Appeals transferred to a department at least once.")
    transfers: int
    transfers_returned: int
    returned_rate: float | None = Field(description="transfers_returned / transfers.")


class SatisfactionMeasuresOut(Schema):
    resolutions: int = Field(description="Times appeals were resolved (a reopened appeal counts again).")
    ratings: int = Field(description="Ratings 1–5 given.")
    mean_score: float | None
    share_4_or_5: float | None = Field(description="Ratings of 4 or 5 / ratings.")
    response_rate: float | None = Field(description="ratings / resolutions.")
    contests: int = Field(description="Resolutions contested by the reporter.")


class AppealSeriesOut(Schema):
    period: date | None = Field(description="First day of the period (None without a period).")
    key: str | None = Field(description="The value of the breakdown (grid id, channel …).")
    label: str
    measures: AppealMeasuresOut


class SatisfactionSeriesOut(Schema):
    period: date | None
    key: str | None
    label: str
    measures: SatisfactionMeasuresOut


class TimesOut(Schema):
    key: str | None
    label: str
    contact_n: int
    contact_p50_h: float | None
    contact_p90_h: float | None
    land_n: int
    land_p50_h: float | None
    land_p90_h: float | None
    resolve_n: int
    resolve_p50_h: float | None
    resolve_p90_h: float | None


class RangeOut(Schema):
    start: date
    end: date


class AppealCompareOut(Schema):
    kind: str = Field(description="mom (the same number of days just before) or yoy (a year earlier).")
    range: RangeOut
    totals: AppealMeasuresOut
    change: dict[str, float | None] = Field(description="current / earlier − 1 per count or rate.")


class SatisfactionCompareOut(Schema):
    kind: str
    range: RangeOut
    totals: SatisfactionMeasuresOut
    change: dict[str, float | None]


class AppealStatsOut(Schema):
    range: RangeOut
    period: str | None
    by: str | None
    totals: AppealMeasuresOut
    series: list[AppealSeriesOut]
    times: list[TimesOut] = Field(description="Median and p90 hours from receipt, per breakdown value.")
    compare: AppealCompareOut | None


class SatisfactionStatsOut(Schema):
    range: RangeOut
    period: str | None
    by: str | None
    totals: SatisfactionMeasuresOut
    series: list[SatisfactionSeriesOut]
    compare: SatisfactionCompareOut | None


class HourCellOut(Schema):
    weekday: int = Field(description="ISO weekday, 1 = Monday.")
    hour: int = Field(description="Local hour 0–23.")
    received: int


class HoursOut(Schema):
    range: RangeOut
    cells: list[HourCellOut]


class TransferRowOut(Schema):
    key: str | None
    label: str
    transfers: int
    returned: int
    returned_rate: float | None
    acceptance_p50_h: float | None
    acceptance_p90_h: float | None
    outcome_p50_h: float | None
    outcome_p90_h: float | None
    accept_on_time_rate: float | None
    outcome_on_time_rate: float | None


class TransfersOut(Schema):
    range: RangeOut
    departments: list[TransferRowOut]


class CountOut(Schema):
    key: str
    count: int


class ResponseRowOut(Schema):
    key: str | None
    label: str
    arrivals: int
    response_p50_min: float | None
    response_p90_min: float | None


class IncidentsOut(Schema):
    range: RangeOut
    incidents: int
    by_priority: list[CountOut]
    by_status: list[CountOut]
    response_by_agency: list[ResponseRowOut]
    response_by_grid: list[ResponseRowOut]


class StatsErrorOut(Schema):
    detail: str


class IncidentTypeCountOut(Schema):
    key: str = Field(description="Incident type; empty when the dispatcher gave none.")
    label: str
    count: int


class IncidentTypesOut(Schema):
    range: RangeOut
    types: list[IncidentTypeCountOut]


class BusyHourOut(Schema):
    hour: int = Field(description="Local hour of day, 0–23.")
    busy_share: float | None = Field(description="Busy unit-seconds / (units × seconds of the hour).")


class AgencyBusyOut(Schema):
    agency: str
    label: str
    units: int
    hours: list[BusyHourOut]


class UnitsBusyOut(Schema):
    range: RangeOut
    agencies: list[AgencyBusyOut]


class WorkingDayClockOut(Schema):
    kind: str = Field(description="A clock kind whose deadline counts working days.")
    allowed_working_days: int
    met: int
    breached: int = Field(description="Breached, including met late.")
    open: int = Field(description="Running or paused.")
    on_time_rate: float | None = Field(description="met / (met + breached).")
    used_p50_working_days: float | None = Field(description="Working days from the start to the stop, p50.")
    used_p90_working_days: float | None


class WorkingDaysOut(Schema):
    range: RangeOut
    days: int = Field(description="Days of the range that have begun.")
    working_days: int = Field(description="Of those, working days on China's calendar (调休 included).")
    received: int
    received_per_day: float | None
    received_per_working_day: float | None
    transfers: int
    transfers_per_working_day: float | None
    clocks: list[WorkingDayClockOut]


# --- dashboards (/api/v1/stats/dashboards/…) ------------------------------------------------------


class ColumnOut(Schema):
    key: str
    label: str = Field(description="The column's heading, translated, with its unit.")
    kind: str = Field(description="text, count, rate (0–1), hours, score (1–5), change (ratio − 1) or value.")


class DashTableOut(Schema):
    name: str = Field(description="trend, grids, departments, categories, officers or hours.")
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(description="One object per row, keyed by the columns' keys.")
    links: list[dict[str, str]] = Field(
        description="Per row: column key → the appeal list (page) behind that number, or a dashboard."
    )


class KpiOut(Schema):
    key: str
    label: str
    kind: str
    value: Any
    yoy: float | None = Field(description="value / the same dates a year earlier − 1.")
    mom: float | None = Field(description="value / the same number of days just before − 1.")
    yoy_value: Any
    mom_value: Any
    link: str


class ChartOut(Schema):
    name: str
    title: str
    kind: str = Field(description="combo (bars and lines over periods), bar (a ranking) or heatmap.")
    x_label: str
    y_label: str
    right_label: str
    unit: str
    categories: list[str]
    y_categories: list[str]
    series: list[dict[str, Any]]


class DashboardOut(Schema):
    level: str = Field(description="leadership, community, grid or department.")
    target_id: int | None
    target_label: str
    target_code: str
    start: date
    end: date
    period: str = Field(description="The trend's step: day, week, month, quarter or year.")
    filters: dict[str, str]
    kpis: list[KpiOut]
    tables: list[DashTableOut]
    charts: list[ChartOut]
