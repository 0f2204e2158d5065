"""The pieces the dashboards are made of: the shape of a dashboard (KPIs, tables, charts), the
columns and their labels, periods of a range, and links to the appeals behind a figure.

``stats.dashboards`` fills these from ``stats.measures``; the page, the JSON API and the exports
read them as they are, so the three always show the same numbers under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

# How a column's values read: "text" (a name), "count", "rate" (0–1, shown as %), "hours",
# "minutes" (incident response times), "days" (mediation: days to agreement),
# "score" (1–5), "change" (current / earlier − 1, shown as ±%) and "value" (the kind is the
# row's own ``kind``: the headline table mixes measures).
KINDS = ("text", "count", "rate", "hours", "minutes", "days", "score", "change", "value")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str


@dataclass
class DashTable:
    """One table of a dashboard: its rows are plain dicts keyed by the columns' keys; ``links``
    holds, per row, the appeal-list address behind some of its numbers (column key → URL)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    empty: str = ""  # what an empty table says (default: no appeals in the range)

    def cells(self) -> list[list[tuple[Column, Any, str]]]:
        """Per row, (column, value, link or "") in column order: what a template or export walks."""
        links = self.links or [{} for _ in self.rows]
        return [
            [(c, row.get(c.key), link.get(c.key, "")) for c in self.columns]
            for row, link in zip(self.rows, links, strict=True)
        ]


@dataclass
class Kpi:
    """A headline figure with the same measure a year earlier (yoy) and just before (mom)."""

    key: str
    label: str
    kind: str
    value: Any
    yoy: float | None = None
    mom: float | None = None
    yoy_value: Any = None
    mom_value: Any = None
    link: str = ""


@dataclass
class Chart:
    """An ECharts chart drawn from a table: ``x`` the category column, ``series`` the columns
    drawn (bars on the left axis, lines on the right one when ``right`` is set)."""

    name: str
    title: str
    kind: str  # "combo" (bars + lines), "bar" (horizontal ranking) or "heatmap"
    x_label: str
    y_label: str
    categories: list[str]
    series: list[dict[str, Any]]
    right_label: str = ""
    unit: str = ""  # "%" when the bars are rates (in percent), else empty
    y_categories: list[str] = field(default_factory=list)


@dataclass
class Dashboard:
    level: str
    target_id: int | None
    target_label: str
    target_code: str
    start: date
    end: date
    period: str
    filters: dict[str, str]
    kpis: list[Kpi]
    tables: list[DashTable]
    charts: list[Chart]

    def table(self, name: str) -> DashTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """The dashboard as plain data (the API's answer). The tables' rows are shared, not
        copied: ``dataclasses.asdict`` deep-copies every cell, some 80 ms for a leadership
        dashboard, and nobody changes the dicts afterwards."""
        return _plain(self)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list) and value and is_dataclass(value[0]):
        return [_plain(v) for v in value]
    return value


def column_labels() -> dict[str, str]:
    """Every column's label, with its unit where it has one (translated at call time)."""
    return {
        "label": _("Name"),
        "rank": _("Rank"),
        "period": _("Period"),
        "community": _("Community"),
        "received": _("Appeals received in the range"),
        "contact_on_time_rate": _("Contacted on time (%)"),
        "landed_within_24h_rate": _("Landed within 24 h (%)"),
        "breaches": _("Deadlines breached"),
        "resolved": _("Resolved"),
        "reopen_rate": _("Reopened (%)"),
        "mean_score": _("Mean rating (1–5)"),
        "share_4_or_5": _("Rated 4–5 (%)"),
        "returned_rate": _("Transfers returned (%)"),
        "transferred": _("Transferred"),
        "contact_p50_h": _("Median time to contact (h)"),
        "land_p50_h": _("Median time to land (h)"),
        "land_p90_h": _("90th percentile time to land (h)"),
        "resolve_p50_h": _("Median time to resolve (h)"),
        "transfers": _("Transfers"),
        "returned": _("Returned"),
        "accepted": _("Accepted"),
        "completed": _("Completed"),
        "acceptance_p50_h": _("Median time to accept (h)"),
        "acceptance_p90_h": _("90th percentile time to accept (h)"),
        "outcome_p50_h": _("Median time to outcome (h)"),
        "outcome_p90_h": _("90th percentile time to outcome (h)"),
        "accept_on_time_rate": _("Accepted on time (%)"),
        "outcome_on_time_rate": _("Outcome on time (%)"),
        "overdue": _("Overdue now"),
        "weekday": _("Weekday"),
        "incidents": _("Incidents"),
        "arrivals": _("Units arrived on scene"),
        "response_p50_min": _("Median response time (min)"),
        "response_p90_min": _("90th percentile response time (min)"),
        # community work (stats.community_work)
        "complaints": _("Complaints received in the range"),
        "decisions": _("Decisions made in the range"),
        "replies_due": _("Replies due"),
        "replied_on_time": _("Replied on time"),
        "replied_late": _("Replied late"),
        "replies_overdue": _("Overdue, not replied"),
        "reply_on_time_rate": _("Replies on time (%)"),
        "cases": _("Cases opened in the range"),
        "concluded": _("Concluded"),
        "agreed": _("Full agreement"),
        "partial": _("Partial agreement"),
        "failed": _("Failed"),
        "success_rate": _("Success rate (%)"),
        "agreements": _("Agreements reached in the range"),
        "agreement_p50_days": _("Median days to agreement"),
        "agreement_p90_days": _("90th percentile days to agreement"),
        "agreed_cases": _("Cases agreed in the range"),
        "recurred_in_90d": _("Recurred within 90 days"),
        "recurrence_rate": _("Recurrence within 90 days (%)"),
    }


KIND_OF = {
    "label": "text",
    "rank": "count",
    "period": "text",
    "community": "text",
    "weekday": "text",
    "mean_score": "score",
}


def kind_of(key: str) -> str:
    if key in KIND_OF:
        return KIND_OF[key]
    if key.endswith("_rate") or key == "share_4_or_5":
        return "rate"
    if key.endswith("_h"):
        return "hours"
    if key.endswith("_min"):
        return "minutes"
    if key.endswith("_days"):
        return "days"
    return "count"


def columns(*keys: str, first: str = "label", first_label: str | None = None) -> list[Column]:
    names = column_labels()
    out = [Column(first, first_label or names[first], kind_of(first))]
    return out + [Column(k, names.get(k, k), kind_of(k)) for k in keys]


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def kpi_table(dashboard: Dashboard) -> DashTable:
    """The headline figures as a table (for the exports): value, a year earlier, the change, the
    previous period and the change. Each value keeps its measure's kind in its row."""
    cols = [
        Column("label", _("Measure"), "text"),
        Column("value", _("Value"), "value"),
        Column("yoy_value", _("A year earlier"), "value"),
        Column("yoy", _("Change on a year earlier"), "change"),
        Column("mom_value", _("Previous period"), "value"),
        Column("mom", _("Change on the previous period"), "change"),
    ]
    table = DashTable("kpis", _("Headline figures"), cols)
    for k in dashboard.kpis:
        table.rows.append(
            {
                "label": k.label,
                "kind": k.kind,
                "value": k.value,
                "yoy_value": k.yoy_value,
                "yoy": k.yoy,
                "mom_value": k.mom_value,
                "mom": k.mom,
            }
        )
    return table


# --- periods ----------------------------------------------------------------------------------


def auto_period(start: date, end: date) -> str:
    """The trend's step when none is asked for: days up to two months, weeks up to a year, then
    months (a daily series over a year is refused by stats.selectors anyway)."""
    days = (end - start).days + 1
    if days <= 62:
        return "day"
    if days <= 366:
        return "week"
    return "month"


def period_start(d: date, period: str) -> date:
    if period == "day":
        return d
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    if period == "quarter":
        return d.replace(month=(d.month - 1) // 3 * 3 + 1, day=1)
    return d.replace(month=1, day=1)


def next_period(d: date, period: str) -> date:
    if period == "day":
        return d + timedelta(days=1)
    if period == "week":
        return d + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month = d.month - 1 + months
    return date(d.year + month // 12, month % 12 + 1, 1)


def periods(start: date, end: date, period: str) -> list[tuple[date, date, date]]:
    """(period start, first day inside the range, last day inside the range) for every period
    that meets the range, so a trend shows empty periods as zeros rather than skipping them."""
    out = []
    p = period_start(start, period)
    while p <= end:
        following = next_period(p, period)
        out.append((p, max(p, start), min(following - timedelta(days=1), end)))
        p = following
    return out


def period_label(p: date, period: str) -> str:
    if period in ("day", "week"):
        return p.isoformat()
    if period == "month":
        return p.strftime("%Y-%m")
    if period == "quarter":
        return _("%(year)d Q%(quarter)d") % {"year": p.year, "quarter": (p.month - 1) // 3 + 1}
    return str(p.year)


# --- links to the appeals behind a figure -----------------------------------------------------


def appeals_link(filters: dict[str, Any], **more: Any) -> str:
    """The appeal queue filtered to the appeals behind a figure (appeals.filters.QueueFilter)."""
    query = {k: v.isoformat() if isinstance(v, date) else v for k, v in {**filters, **more}.items() if v}
    return reverse("appeals:queue") + "?" + urlencode(query)


# --- charts -----------------------------------------------------------------------------------


def percent(value: Any) -> float | None:
    return None if value is None else round(value * 100, 1)


def trend_chart(trend: DashTable) -> Chart:
    names = column_labels()
    return Chart(
        name="trend",
        title=_("Appeals and on-time rates"),
        kind="combo",
        x_label=_("Period"),
        y_label=_("Appeals (count)"),
        right_label=_("Rate (%)"),
        categories=[r["period"] for r in trend.rows],
        series=[
            {"name": names["received"], "type": "bar", "data": [r["received"] for r in trend.rows]},
            *(
                {
                    "name": names[k],
                    "type": "line",
                    "right": True,
                    "data": [percent(r[k]) for r in trend.rows],
                }
                for k in ("contact_on_time_rate", "landed_within_24h_rate")
            ),
        ],
    )


def bar_chart(table: DashTable, key: str, title: str, x_label: str) -> Chart:
    column = next(c for c in table.columns if c.key == key)
    data = [percent(r[key]) if column.kind == "rate" else r[key] for r in table.rows]
    return Chart(
        name=f"{table.name}-{key}",
        title=title,
        kind="bar",
        x_label=x_label,
        y_label=column.label,
        categories=[str(r["label"]) for r in table.rows],
        series=[{"name": column.label, "type": "bar", "data": data}],
        unit="%" if column.kind == "rate" else "",
    )


def heatmap_chart(hours: DashTable) -> Chart:
    data = [[h, day, row[f"h{h:02d}"]] for day, row in enumerate(hours.rows) for h in range(24)]
    return Chart(
        name="hours",
        title=hours.title,
        kind="heatmap",
        x_label=_("Hour of day"),
        y_label=_("Weekday"),
        categories=[f"{h:02d}" for h in range(24)],
        y_categories=[r["weekday"] for r in hours.rows],
        series=[{"name": _("Appeals received in the range"), "type": "heatmap", "data": data}],
    )


__all__ = [
    "KINDS",
    "Chart",
    "Column",
    "DashTable",
    "Dashboard",
    "Kpi",
    "appeals_link",
    "auto_period",
    "bar_chart",
    "column_labels",
    "columns",
    "heatmap_chart",
    "kind_of",
    "kpi_table",
    "percent",
    "period_label",
    "periods",
    "trend_chart",
    "weekday_names",
]
