"""The figures pages of community work for the people who handle it: /stats/complaints/ (the
legal office and the station's staff) and /stats/mediation/ (the station's staff and the
community's field people). They show the tables of ``stats.dashboard_community`` — the same
numbers as the leadership dashboard, from the same ``stats.community_work`` functions — over a
range (``from``/``to``, local dates; default the last 30 days), each table downloadable as CSV
(``?table=…&format=csv``). A viewer who is not one of those people gets 404, as before the
figures moved here from the complaints and mediation apps.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.services import log_access
from lastmeter.complaints.selectors import works_on_complaints
from lastmeter.lib.errors import ServiceError
from lastmeter.mediation.selectors import may_open_cases
from lastmeter.stats.dashboard_community import complaint_tables, mediation_tables
from lastmeter.stats.dashboard_parts import DashTable
from lastmeter.stats.exports import table_csv
from lastmeter.stats.measures import Slice
from lastmeter.stats.selectors import check_dates


def _figures(
    request: HttpRequest, title: str, build: Callable[[Slice], list[DashTable]], what: str
) -> HttpResponse:
    raw = request.GET
    try:
        first, last = check_dates(raw.get("from") or None, raw.get("to") or None, period=None)
    except ServiceError as exc:
        refused = {"title": title, "error": str(exc), "start": raw.get("from", ""), "end": raw.get("to", "")}
        return render(request, "stats/community_figures.html", refused, status=400)
    tables = build(Slice(start=first, end=last))
    name = raw.get("table")
    if name:
        table = next((t for t in tables if t.name == name), None)
        if table is None or raw.get("format", "csv") != "csv":
            message = _(
                "These figures have no table “%(table)s” as %(format)s; ask for one of: %(choices)s."
            ) % {
                "table": name,
                "format": raw.get("format", "csv"),
                "choices": ", ".join(t.name for t in tables),
            }
            return render(request, "stats/error.html", {"message": message, "status": 400}, status=400)
        log_access(
            request_scope(request).person,
            f"stats export: {what} figures, {name} (csv)",
            None,
            f"{first.isoformat()}..{last.isoformat()}; aggregate figures",
            user=request.user,
        )
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{what}-{name}-{first}-{last}.csv"'
        return response
    context: dict[str, object] = {
        "title": title,
        "tables": tables,
        "start": first.isoformat(),
        "end": last.isoformat(),
    }
    return render(request, "stats/community_figures.html", context)


@login_required
def complaint_figures(request: HttpRequest) -> HttpResponse:
    if not works_on_complaints(request_scope(request)):
        raise Http404("no complaints here")
    return _figures(
        request, _("Complaint figures"), lambda sl: complaint_tables(sl, per_officer=True), "complaints"
    )


@login_required
def mediation_figures(request: HttpRequest) -> HttpResponse:
    if not may_open_cases(request_scope(request)):
        raise Http404("no mediation here")
    return _figures(request, _("Mediation figures"), mediation_tables, "mediation")


__all__ = ["complaint_figures", "mediation_figures"]
