"""Planner pages: plans with their report tables, hand moves, adoption; platforms and service areas.

Server-rendered tables (the map comes from the JSON/GeoJSON endpoints of planning.api).
Thin: the same services and selectors as the API; input through planning/forms.py, and a refused
form is shown again as typed with the reason. Non-planners get 403.
"""

from __future__ import annotations

import json

from django import forms
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
from lastmeter.planning.forms import (
    AdoptForm,
    MoveUnitForm,
    PlanForm,
    PlanGridForm,
    PlatformForm,
    ServiceAreaForm,
    first_message,
)
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


def _index_page(request: HttpRequest, form: PlanForm | None = None, status: int = 200) -> HttpResponse:
    if form is None:
        initial = {
            "tolerance_pct": 5,
            "auxiliaries": 0,
            **{f"w_{f}": DEFAULT_WEIGHTS[f] for f in FACTOR_FIELDS},
        }
        form = PlanForm(creating=True, initial=initial)
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
            "form": form,
            "weights": [(f, form[f"w_{f}"]) for f in FACTOR_FIELDS],
        },
        status=status,
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _planner(request)
    return _index_page(request)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """A new plan; bad input shows the form again as typed, with what is wrong (HTTP 400)."""
    scope = _planner(request)
    form = PlanForm(request.POST, creating=True)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return _index_page(request, form, status=400)
    try:
        plan = services.do_create_plan(form.params(), scope.person)
    except PlanError as exc:
        messages.error(request, str(exc))
        return _index_page(request, form, status=400)
    return redirect("planning:plan", plan_id=plan.pk)


def _plan_page(
    request: HttpRequest, p: GridPlan, bound: forms.Form | None = None, status: int = 200
) -> HttpResponse:
    """The plan's page; ``bound`` is a form the planner sent that was refused, shown as typed."""
    tolerance_pct = round(100 * p.tolerance, 3)
    update = PlanForm(
        initial={
            "k": p.k,
            "method": p.method,
            "tolerance_pct": tolerance_pct,
            "auxiliaries": p.auxiliaries,
            **{f"w_{f}": p.weights.get(f, 0.0) for f in FACTOR_FIELDS},
        }
    )
    page_forms: dict[str, forms.Form] = {"update": update, "move": MoveUnitForm(), "grid": PlanGridForm()}
    slots: tuple[tuple[str, type[forms.Form]], ...] = (
        ("update", PlanForm),
        ("move", MoveUnitForm),
        ("grid", PlanGridForm),
    )
    for key, cls in slots:
        if bound is not None and isinstance(bound, cls):
            page_forms[key] = bound
    return render(
        request,
        "planning/plan.html",
        {
            "plan": p,
            "data": plan_detail(p),
            "methods": PlanMethod.choices,
            "weights": [(f, p.weights.get(f, 0.0)) for f in FACTOR_FIELDS],
            "weight_fields": [(f, page_forms["update"][f"w_{f}"]) for f in FACTOR_FIELDS],
            "tolerance_pct": tolerance_pct,
            "communities": OrgUnit.objects.filter(kind=OrgKind.COMMUNITY),
            "update_form": page_forms["update"],
            "move_form": page_forms["move"],
            "grid_form": page_forms["grid"],
        },
        status=status,
    )


@login_required
def plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, _plan(request, plan_id))


ACTIONS = {"preview", "adopt", "discard", "move", "update", "grid"}


FORMS: dict[str, type[forms.Form]] = {
    "adopt": AdoptForm,
    "move": MoveUnitForm,
    "update": PlanForm,
    "grid": PlanGridForm,
}


@login_required
@require_POST
def act(request: HttpRequest, plan_id: int, action: str) -> HttpResponse:
    """One action on the plan. A refused form comes back as typed, with the reason (HTTP 400)."""
    p = _plan(request, plan_id)
    scope = request_scope(request)
    if action not in ACTIONS:
        messages.error(request, _("Unknown action: use the plan page's buttons."))
        return redirect("planning:plan", plan_id=p.pk)
    form = FORMS[action](request.POST) if action in FORMS else None
    if form is not None and not form.is_valid():
        messages.error(request, first_message(form))
        return _plan_page(request, p, form, status=400)
    data = form.cleaned_data if form is not None else {}
    try:
        if action == "preview":
            services.do_preview_plan(p.pk)
        elif action == "adopt":
            services.do_adopt_plan(p.pk, scope.person, apply_staffing=data["apply_staffing"])
            messages.success(request, _("The plan is adopted: new appeals route by its grids."))
        elif action == "discard":
            services.do_discard_plan(p.pk)
        elif action == "move":
            services.do_move_unit(p.pk, data["unit"].strip(), data["to_grid"] - 1, scope.person)
        elif action == "update":
            assert isinstance(form, PlanForm)
            services.do_update_plan(p.pk, form.params())
        elif action == "grid":
            services.do_update_plan_grid(
                p.pk,
                data["number"] - 1,
                name=data["name"] or None,
                officer_id=data["officer"],
                community_id=data["community"],
            )
    except (PlanError, PlanTransitionError) as exc:
        messages.error(request, str(exc))
        if form is not None and action != "adopt":
            return _plan_page(request, GridPlan.objects.get(pk=p.pk), form, status=400)
    return redirect("planning:plan", plan_id=p.pk)


def _service_areas_page(
    request: HttpRequest, platform_form: PlatformForm | None = None, status: int = 200
) -> HttpResponse:
    """The analyses the query string asks for; a bad value is reported and its default used, the
    rest of the page still answers, and every field shows what was typed."""
    form = ServiceAreaForm(request.GET or None)
    values = form.values()
    if form.is_bound and form.errors:
        messages.error(request, first_message(form))
    speed, target = values["speed_kmh"], values["target_min"]
    ctx: dict = {
        "platforms": list(Platform.objects.all()),
        "speed_kmh": speed,
        "target_min": target,
        "form": form,
        "platform_form": platform_form or PlatformForm(initial={"kind": "platform"}),
        "exits_text": form["exits"].value() or "",
    }
    try:
        if ctx["platforms"]:
            ctx["report"] = platforms.service_area_report(
                speed_kmh=speed, target_min=target, rates=values["rates"], limit=100
            )
        if values["exits"]:
            ctx["blockade"] = platforms.blockade_report(values["exits"], speed_kmh=speed)
        if values["add_k"]:
            ctx["addition"] = platforms.addition_report(values["add_k"], speed_kmh=speed, target_min=target)
    except PlanError as exc:
        messages.error(request, str(exc))
    ctx["report_json"] = json.dumps(ctx.get("report", {}).get("platforms", []), ensure_ascii=False)
    return render(request, "planning/service_areas.html", ctx, status=status)


@login_required
def service_areas(request: HttpRequest) -> HttpResponse:
    _planner(request)
    return _service_areas_page(request)


@login_required
@require_POST
def save_platform(request: HttpRequest) -> HttpResponse:
    """Add or change a platform; a refused one is shown again as typed, with the reason (HTTP 400)."""
    _planner(request)
    form = PlatformForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return _service_areas_page(request, form, status=400)
    data = form.cleaned_data
    try:
        platforms.do_save_platform(
            code=data["code"],
            name=data["name"].strip(),
            lat=data["lat"],
            lon=data["lon"],
            kind=data["kind"] or "platform",
        )
    except PlanError as exc:
        messages.error(request, str(exc))
        return _service_areas_page(request, form, status=400)
    return redirect("planning:service_areas")
