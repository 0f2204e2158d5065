"""The dashboard pages (/stats/…) and their CSV/XLSX exports. Thin: the form reads the input,
``stats.dashboards.build_dashboard`` checks scope and input and measures, the templates show it.

Refusals are pages with the sentence that explains them: 403 for someone with no figures (or a
non-leader at the leadership dashboard), 404 for a community, grid or department that is not the
viewer's (the same as a missing one), 400 for bad input (a backwards range, twenty years, an
unknown category).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.services import log_access
from lastmeter.appeals.choices import Channel
from lastmeter.appeals.models import Category
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.stats.dashboard_parts import Dashboard
from lastmeter.stats.dashboards import (
    access_dashboard,
    build_dashboard,
    build_for,
    dashboard_targets,
    dashboard_url,
)
from lastmeter.stats.exports import export_filename, export_tables, table_csv, tables_xlsx
from lastmeter.stats.forms import PERIOD_CHOICES, QUICK_RANGES, DashboardForm, ExportForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def level_titles() -> dict[str, str]:
    return {
        "leadership": _("Leadership dashboard"),
        "community": _("Community dashboard"),
        "grid": _("Grid dashboard"),
        "department": _("Department dashboard"),
    }


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "stats/error.html", {"message": message, "status": status}, status=status)


def _refusal(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, NotAllowed):
        return _error(request, str(exc), 403)
    if isinstance(exc, Http404):
        return _error(request, str(exc) or _("This page does not exist, or it is not yours to see."), 404)
    return _error(request, str(exc), 400)


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """/stats/: straight to the viewer's dashboard, or a choice when they have several."""
    targets = dashboard_targets(request_scope(request))
    if not targets:
        return _error(
            request,
            _("Figures are for police staff and grid members; you have no area to see figures of."),
            403,
        )
    query = request.GET.urlencode()
    links = [(t, dashboard_url(t.level, t.id) + (f"?{query}" if query else "")) for t in targets]
    if len(links) == 1:
        return redirect(links[0][1])
    return render(request, "stats/landing.html", {"links": links, "titles": level_titles()})


def _target_id(level: str, kwargs: dict[str, Any]) -> int | None:
    return kwargs.get(f"{level}_id")


@login_required
def dashboard(request: HttpRequest, level: str, **kwargs: Any) -> HttpResponse:
    scope = request_scope(request)
    target_id = _target_id(level, kwargs)
    form = DashboardForm(request.GET)
    try:
        if not form.is_valid():
            access_dashboard(scope, level, target_id)  # a refusal wins over bad dates
            return _page(request, level, target_id, form, None, status=400)
        d = form.cleaned_data
        dash = build_dashboard(scope, level, target_id, d["start"], d["end"], **form.options())
    except (ServiceError, Http404) as exc:
        if isinstance(exc, ServiceError) and not isinstance(exc, NotAllowed):
            form.add_error(None, str(exc))
            return _page(request, level, target_id, form, None, status=400)
        return _refusal(request, exc)
    return _page(request, level, target_id, form, dash)


def _query(dash: Dashboard, **more: str) -> str:
    return urlencode({"from": dash.start.isoformat(), "to": dash.end.isoformat(), **dash.filters, **more})


def _page(
    request: HttpRequest,
    level: str,
    target_id: int | None,
    form: DashboardForm,
    dash: Dashboard | None,
    status: int = 200,
) -> HttpResponse:
    raw = form.data
    exports: dict[str, dict[str, str]] = {}
    export_all = ""
    if dash is not None:
        path = dashboard_url(level, target_id) + "export/"
        keep = {"period": raw["period"]} if raw.get("period") else {}
        export_all = f"{path}?{_query(dash, format='xlsx', **keep)}"
        for t in dash.tables:
            exports[t.name] = {
                fmt: f"{path}?{_query(dash, table=t.name, format=fmt, **keep)}" for fmt in ("csv", "xlsx")
            }
    context = {
        "level": level,
        "title": level_titles()[level],
        "dash": dash,
        "form": form,
        "start": dash.start.isoformat() if dash else raw.get("from", ""),
        "end": dash.end.isoformat() if dash else raw.get("to", ""),
        "period": raw.get("period", ""),
        "category": raw.get("category", ""),
        "channel": raw.get("channel", ""),
        "quick_ranges": QUICK_RANGES,
        "period_choices": PERIOD_CHOICES,
        "categories": Category.objects.order_by("code").values_list("code", "name"),
        "channels": Channel.choices,
        "exports": exports,
        "export_all": export_all,
        "charts": [c.__dict__ for c in dash.charts] if dash else [],
    }
    return render(request, "stats/dashboard.html", context, status=status)


@login_required
def export(request: HttpRequest, level: str, **kwargs: Any) -> HttpResponse:
    """One table as CSV or XLSX, or every table of the dashboard as one XLSX; each export is
    written to the access log (what, whose figures, which range)."""
    scope = request_scope(request)
    target_id = _target_id(level, kwargs)
    form = ExportForm(request.GET)
    try:
        if not form.is_valid():
            access_dashboard(scope, level, target_id)
            return _error(request, " ".join(str(m) for errors in form.errors.values() for m in errors), 400)
        d = form.cleaned_data
        target = access_dashboard(scope, level, target_id)
        dash = build_for(target, d["start"], d["end"], **form.options())
        tables = export_tables(dash, d.get("table") or None)
    except KeyError:
        return _error(
            request,
            _("This dashboard has no table “%(table)s”.") % {"table": form.cleaned_data.get("table")},
            400,
        )
    except (ServiceError, Http404) as exc:
        return _refusal(request, exc)
    fmt = d["format"]
    name = d.get("table") or None
    if fmt == "csv":
        body, content_type = table_csv(tables[0]), "text/csv; charset=utf-8"
    else:
        body, content_type = tables_xlsx(dash, tables), XLSX
    personal = any(t.name in ("officers", "complaints_officers") for t in tables)
    log_access(
        scope.person,
        f"stats export: {level} dashboard, {name or 'all tables'} ({fmt})",
        target.obj,
        f"{dash.start.isoformat()}..{dash.end.isoformat()}; aggregate figures"
        + ("; with officers' names" if personal else "; no personal data"),
        user=request.user,
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(dash, name, fmt)}"'
    return response


__all__ = ["dashboard", "export", "landing", "level_titles"]
