"""The printable report page: /stats/report/<level>/?period=week|month&start=YYYY-MM-DD&target=…

Thin: the query string goes through ``ReportForm``, ``stats.reports.build_report`` measures, and
this module only turns numbers into the words and signs printed on paper. A refusal is shown on
the same page (so the picker stays at hand) with its status: 400 bad input, 403 not for this
role, 404 unknown or not yours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.selectors import Scope
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.stats.reports import LEVELS, Figure, Report, build_report, level_name, target_choices


class ReportForm(forms.Form):
    period = forms.ChoiceField(
        choices=[("week", gettext_lazy("Weekly")), ("month", gettext_lazy("Monthly"))], required=False
    )
    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    target = forms.CharField(required=False, max_length=60)


@dataclass
class FigureRow:
    key: str
    label: str
    value: str
    previous: str
    change_previous: str
    year_ago: str
    change_year: str
    trend: str  # up, down or "" (for the arrow's colour on screen)


def number(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "score":
        return f"{value:.2f}"
    if kind in ("per_day", "hours"):
        return f"{value:.1f}"
    return f"{int(value)}"


def change(value: float | None, earlier: float | None, kind: str) -> str:
    """Rates change in percentage points, scores by their difference, counts in per cent."""
    if value is None or earlier is None:
        return "—"
    if kind == "rate":
        points = (value - earlier) * 100
        return _("%(sign)s%(points)s pt") % {
            "sign": "+" if points >= 0 else "−",
            "points": f"{abs(points):.1f}",
        }
    if kind == "score":
        return f"{value - earlier:+.2f}"
    if not earlier:
        return "—"
    share = (value / earlier - 1) * 100
    return f"{'+' if share >= 0 else '−'}{abs(share):.1f}%"


def figure_row(f: Figure) -> FigureRow:
    previous = change(f.value, f.previous, f.kind)
    trend = ""
    if previous != "—" and f.value != f.previous:  # an arrow only beside a change worth a number
        trend = "up" if (f.value or 0) > (f.previous or 0) else "down"
    return FigureRow(
        f.key,
        f.label,
        number(f.value, f.kind),
        number(f.previous, f.kind),
        previous,
        number(f.year_ago, f.kind),
        change(f.value, f.year_ago, f.kind),
        trend,
    )


def open_levels(scope: Scope) -> list[tuple[str, str]]:
    """The levels whose report this viewer may open (the page's tabs). No query."""
    levels = []
    if scope.jurisdiction_wide:
        levels.append("leadership")
    if scope.jurisdiction_wide or scope.community_ids:
        levels.append("community")
    if scope.jurisdiction_wide or scope.community_ids or scope.grid_ids:
        levels.append("grid")
    if scope.jurisdiction_wide or scope.department_ids:
        levels.append("department")
    return [(level, level_name(level)) for level in levels]


def _title(report: Report) -> str:
    kind = _("weekly report") if report.period.kind == "week" else _("monthly report")
    return _("%(target)s %(kind)s") % {"target": report.target_name, "kind": kind}


@login_required
def report_page(request: HttpRequest, level: str) -> HttpResponse:
    scope = request_scope(request)
    form = ReportForm(request.GET)
    report: Report | None = None
    error, status = "", 200
    if not form.is_valid():
        error, status = " ".join(str(m) for ms in form.errors.values() for m in ms), 400
    else:
        data = form.cleaned_data
        start: date | None = data["start"]
        try:
            report = build_report(scope, level, data["target"] or None, data["period"] or "week", start)
        except NotAllowed as exc:
            error, status = str(exc), 403
        except ServiceError as exc:
            error, status = str(exc), 400
        except Http404 as exc:
            error, status = str(exc), 404
    context = {
        "form": form,
        "level": level,
        "levels": open_levels(scope),
        "choices": target_choices(scope, level) if level in LEVELS and level != "leadership" else [],
        "error": error,
        "report": report,
    }
    if report is not None:
        context |= {
            "title": _title(report),
            "figures": [figure_row(f) for f in report.figures],
            "accidents": [
                figure_row(f)
                for f in (
                    (
                        report.accidents.accidents,
                        report.accidents.victims,
                        report.accidents.serious,
                        report.accidents.deaths,
                    )
                    if report.accidents
                    else ()
                )
            ],
            "period_value": report.period.kind,
            "start_value": report.period.start.isoformat(),
            "target_value": "" if report.target_id is None else str(report.target_id),
        }
    else:
        context |= {
            "period_value": form.data.get("period") or "week",
            "start_value": form.data.get("start", ""),
            "target_value": form.data.get("target", ""),
        }
    return render(request, "stats/report.html", context, status=status)
