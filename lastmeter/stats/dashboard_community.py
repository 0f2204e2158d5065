"""The dashboards' tables of community work: enforcement complaints and mediation
(``stats.community_work`` measures them; ``stats.dashboards`` appends these tables on the
leadership and community levels, so the page, the JSON API and the CSV/XLSX exports show them
like every other table).

Eight queries whatever the number of complaints, cases, units or officers.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from lastmeter.stats import community_work
from lastmeter.stats.dashboard_parts import DashTable, columns
from lastmeter.stats.measures import Slice

REPLY_KEYS = ("replies_due", "replied_on_time", "replied_late", "replies_overdue", "reply_on_time_rate")
MEDIATION_KEYS = (
    "concluded",
    "agreed",
    "partial",
    "failed",
    "success_rate",
    "agreements",
    "agreement_p50_days",
    "agreement_p90_days",
    "agreed_cases",
    "recurred_in_90d",
    "recurrence_rate",
)


def _counts(name: str, title: str, first_label: str, key: str, rows: list[dict], empty: str) -> DashTable:
    table = DashTable(name, title, columns(key, first_label=first_label))
    for r in rows:
        table.rows.append({"label": r["label"] or empty, key: r[key]})
    return table


def community_work_tables(sl: Slice, *, per_officer: bool) -> list[DashTable]:
    """The tables of complaints and mediation of the slice (its community when it has one).

    ``per_officer``: the complaints per named officer are shown on the leadership dashboard
    only — a community dashboard is read by the community's own officers, the very people the
    complaints are about, and a count per named colleague belongs to the station's leadership
    and the legal office (who also have the complaints' own figures page)."""
    return complaint_tables(sl, per_officer=per_officer) + mediation_tables(sl)


def complaint_tables(sl: Slice, *, per_officer: bool) -> list[DashTable]:
    """Complaints per unit (and per officer), decisions by kind, replies on time. Four queries
    (three without the officers)."""
    nobody = _("Officer not identified yet")
    tables = [
        _counts(
            "complaints_units",
            _("Complaints against enforcement, by unit"),
            _("Unit of the officer concerned"),
            "complaints",
            community_work.complaints_per_unit(sl),
            nobody,
        )
    ]
    if per_officer:
        tables.append(
            _counts(
                "complaints_officers",
                _("Complaints against enforcement, by officer concerned"),
                _("Officer concerned"),
                "complaints",
                community_work.complaints_per_officer(sl),
                nobody,
            )
        )
    tables.append(
        _counts(
            "complaint_decisions",
            _("Complaint decisions, by kind"),
            _("Decision"),
            "decisions",
            community_work.decisions_by_kind(sl),
            "",
        )
    )
    replies = DashTable("complaint_replies", _("Complaint replies due in the range"), columns(*REPLY_KEYS))
    replies.rows.append({"label": _("Reply clocks"), **community_work.on_time_reply_rate(sl)})
    tables.append(replies)
    for t in tables:
        t.empty = _("No complaints in this range.")
    return tables


def mediation_tables(sl: Slice) -> list[DashTable]:
    """Cases by type, and one row of outcomes: success, days to agreement, recurrence. Four
    queries."""
    by_type = _counts(
        "mediation_types",
        _("Mediation cases opened, by type of dispute"),
        _("Type of dispute"),
        "cases",
        community_work.mediation_cases_by_type(sl),
        "",
    )
    outcomes = DashTable("mediation_outcomes", _("Mediation outcomes"), columns(*MEDIATION_KEYS))
    outcomes.rows.append(
        {
            "label": _("Mediation cases"),
            **community_work.mediation_success_rate(sl),
            **community_work.days_to_agreement(sl),
            **community_work.recurrence_within_90_days(sl),
        }
    )
    return [by_type, outcomes]


__all__ = ["community_work_tables", "complaint_tables", "mediation_tables"]
