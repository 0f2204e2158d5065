"""Planner pages: plans with their report tables, hand moves, adoption; platforms and service areas.

Server-rendered tables (the map comes from the JSON/GeoJSON endpoints of planning.api).
Thin: the same services and selectors as the API. Non-planners get 403.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.lib.errors import NotAllowed
from lastmeter.planning import platforms, services
from lastmeter.planning.choices import PlanMethod, PlanTransitionError
from lastmeter.planning.models import DEFAULT_WEIGHTS, FACTOR_FIELDS, BasicUnit, GridPlan, Platform
from lastmeter.planning.presenters import plan_detail, plan_row
from lastmeter.planning.report import PlanError
from lastmeter.planning.selectors import access_plan_by_scope, require_planner


def _planner(request: HttpRequest) -> Scope:
    scope = request_scope(request)
    try:
        require_planner(scope)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    return scope


def _plan(request: HttpRequest, plan_id: int) -> GridPlan:
    _planner(request)
    return access_plan_by_scope(request_scope(request), plan_id)


def _float(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise PlanError(_("%(value)r is not a number") % {"value": value}) from None


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise PlanError(_("%(value)r is not a whole number") % {"value": value}) from None


def _percent(value: str | None) -> float | None:
    pct = _float(value)
    return None if pct is None else pct / 100.0


def _params(post) -> services.PlanParams:
    weights = {f: _float(post.get(f"w_{f}")) for f in FACTOR_FIELDS}
    weights = {f: w for f, w in weights.items() if w is not None}
    return services.PlanParams(
        name=post.get("name") or None,
        k=_int(post.get("k")),
        method=post.get("method") or None,
        tolerance=_percent(post.get("tolerance_pct")),
        weights=weights or None,
        auxiliaries=_int(post.get("auxiliaries")),
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _planner(request)
    totals = BasicUnit.objects.aggregate(
        road_km=Sum("road_km"), accidents=Sum("accidents"), difficulty=Sum("difficulty")
    )
    return render(
        request,
        "planning/index.html",
        {
            "plans": [plan_row(p) for p in GridPlan.objects.select_related("created_by")[:100]],
            "unit_count": BasicUnit.objects.count(),
            "totals": totals,
            "methods": PlanMethod.choices,
            "weights": [(f, DEFAULT_WEIGHTS[f]) for f in FACTOR_FIELDS],
        },
    )


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    scope = _planner(request)
    try:
        plan = services.do_create_plan(_params(request.POST), scope.person)
    except PlanError as exc:
        messages.error(request, str(exc))
        return redirect("planning:index")
    return redirect("planning:plan", plan_id=plan.pk)


@login_required
def plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    p = _plan(request, plan_id)
    data = plan_detail(p)
    return render(
        request,
        "planning/plan.html",
        {
            "plan": p,
            "data": data,
            "methods": PlanMethod.choices,
            "weights": [(f, p.weights.get(f, 0.0)) for f in FACTOR_FIELDS],
            "tolerance_pct": round(100 * p.tolerance, 3),
            "communities": OrgUnit.objects.filter(kind=OrgKind.COMMUNITY),
        },
    )


ACTIONS = {"preview", "adopt", "discard", "move", "update", "grid"}


@login_required
@require_POST
def act(request: HttpRequest, plan_id: int, action: str) -> HttpResponse:
    p = _plan(request, plan_id)
    scope = request_scope(request)
    if action not in ACTIONS:
        messages.error(request, _("unknown action"))
        return redirect("planning:plan", plan_id=p.pk)
    post = request.POST
    try:
        if action == "preview":
            services.do_preview_plan(p.pk)
        elif action == "adopt":
            services.do_adopt_plan(p.pk, scope.person, apply_staffing=post.get("apply_staffing", "1") == "1")
            messages.success(request, _("The plan is adopted: new appeals route by its grids."))
        elif action == "discard":
            services.do_discard_plan(p.pk)
        elif action == "move":
            to = _int(post.get("to_grid"))
            if to is None:
                raise PlanError(_("choose the grid to move the unit to"))
            services.do_move_unit(p.pk, (post.get("unit") or "").strip(), to - 1, scope.person)
        elif action == "update":
            services.do_update_plan(p.pk, _params(post))
        elif action == "grid":
            number = _int(post.get("number"))
            if number is None:
                raise PlanError(_("which grid?"))
            services.do_update_plan_grid(
                p.pk,
                number - 1,
                name=post.get("name") or None,
                officer_id=_int(post.get("officer")),
                community_id=_int(post.get("community")),
            )
    except (PlanError, PlanTransitionError) as exc:
        messages.error(request, str(exc))
    return redirect("planning:plan", plan_id=p.pk)


def _exits(text: str) -> list[dict]:
    exits = []
    for line in text.replace(";", "\n").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = [x.strip() for x in line.split(",")]
        if len(parts) == 2:
            exits.append({"lat": _float(parts[0]), "lon": _float(parts[1])})
        elif len(parts) == 1:
            exits.append({"node": _int(parts[0])})
        else:
            raise PlanError(_("an exit is 'lat,lon' or a road node id, got %(line)r") % {"line": line})
    return exits


@login_required
def service_areas(request: HttpRequest) -> HttpResponse:
    _planner(request)
    ctx: dict = {"platforms": list(Platform.objects.all())}
    try:
        speed = _float(request.GET.get("speed_kmh")) or 60.0
        target = _float(request.GET.get("target_min")) or 3.0
        ctx.update(speed_kmh=speed, target_min=target)
        if ctx["platforms"]:
            ctx["report"] = platforms.service_area_report(
                speed_kmh=speed, target_min=target, rates=request.GET.get("rates") or "appeals", limit=100
            )
        if request.GET.get("exits"):
            ctx["exits_text"] = request.GET["exits"]
            ctx["blockade"] = platforms.blockade_report(_exits(request.GET["exits"]), speed_kmh=speed)
        if request.GET.get("add_k"):
            ctx["addition"] = platforms.addition_report(
                _int(request.GET["add_k"]) or 1, speed_kmh=speed, target_min=target
            )
    except PlanError as exc:
        messages.error(request, str(exc))
    ctx["report_json"] = json.dumps(ctx.get("report", {}).get("platforms", []), ensure_ascii=False)
    return render(request, "planning/service_areas.html", ctx)


@login_required
@require_POST
def save_platform(request: HttpRequest) -> HttpResponse:
    _planner(request)
    post = request.POST
    try:
        lat, lon = _float(post.get("lat")), _float(post.get("lon"))
        if lat is None or lon is None or not post.get("code") or not post.get("name"):
            raise PlanError(_("a platform needs a code, a name, a latitude and a longitude"))
        platforms.do_save_platform(
            code=post["code"].strip(),
            name=post["name"].strip(),
            lat=lat,
            lon=lon,
            kind=post.get("kind") or "platform",
        )
    except PlanError as exc:
        messages.error(request, str(exc))
    return redirect("planning:service_areas")
