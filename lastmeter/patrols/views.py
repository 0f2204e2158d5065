"""The patrol pages: plans and teams, a new plan, a plan with its cells, shifts and coverage, the
phone's shift page (check-in/out, positions, sightings), and a network member's own page.
Thin: forms read, selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.lib.transitions import TransitionError
from lastmeter.patrols import selectors, services
from lastmeter.patrols.forms import AssignTeamForm, CheckForm, PlanForm, PlanStateForm, SightingForm
from lastmeter.patrols.models import Badge, SupportRecord, TeamMember
from lastmeter.patrols.plan_map import plan_map


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.sees_patrols(scope):
        raise Http404("no patrols here")
    return render(
        request,
        "patrols/index.html",
        {
            "plans": selectors.visible_plans(scope)[:100],
            "teams": selectors.visible_teams(scope).prefetch_related("members__person"),
            "shifts": selectors.my_shifts(scope.person)[:20],
            "may_plan": selectors.may_manage_any(scope),
        },
    )


@login_required
def new_plan(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.may_manage_any(scope):
        raise Http404("no patrols here")
    form = PlanForm(request.POST or None, initial={"community": next(iter(scope.community_ids), None)})
    form.fields["community"].queryset = selectors.managed_communities(scope)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = services.do_generate_plan(
                scope,
                services.PlanRequest(
                    community=d["community"],
                    day=d["day"],
                    band=d["band"],
                    source=d["source"],
                    history_days=d["history_days"],
                    cell_m=d["cell_m"],
                    max_cells=d["max_cells"],
                ),
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Patrol plan made with %(n)d hot cells.") % {"n": plan.cells.count()})
            return redirect("patrols:plan", patrol_plan_id=plan.pk)
    return render(request, "patrols/new_plan.html", {"form": form})


@login_required
def plan_detail(request: HttpRequest, patrol_plan_id: int) -> HttpResponse:
    scope = request_scope(request)
    plan = selectors.access_plan(scope, patrol_plan_id)
    visited, share = services.plan_coverage(plan)
    manages = selectors.manages(scope, plan.community_id)
    assign = AssignTeamForm()
    assign.fields["team"].queryset = plan.community.patrol_teams.filter(active=True)  # type: ignore[attr-defined]
    cells = list(plan.cells.select_related("shift__team"))
    shifts = list(plan.shifts.select_related("team"))
    return render(
        request,
        "patrols/plan.html",
        {
            "plan": plan,
            "cells": cells,
            "shifts": shifts,
            "map_data": plan_map(plan, cells, shifts, set(visited)),
            "visited": visited,
            "coverage": share,
            "manages": manages,
            "assign": assign,
            "mine": set(selectors.my_shifts(scope.person).filter(plan=plan).values_list("pk", flat=True)),
        },
    )


@login_required
@require_POST
def plan_state(request: HttpRequest, patrol_plan_id: int) -> HttpResponse:
    scope = request_scope(request)
    form = PlanStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            plan = services.do_move_plan(scope, patrol_plan_id, form.cleaned_data["state"])
        except (ServiceError, TransitionError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The plan is now “%(s)s”.") % {"s": plan.get_state_display()})
    return redirect("patrols:plan", patrol_plan_id=patrol_plan_id)


@login_required
@require_POST
def assign_team(request: HttpRequest, patrol_plan_id: int) -> HttpResponse:
    scope = request_scope(request)
    form = AssignTeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            services.do_assign_team(scope, patrol_plan_id, form.cleaned_data["team"])
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Team assigned."))
    return redirect("patrols:plan", patrol_plan_id=patrol_plan_id)


@login_required
def shift_phone(request: HttpRequest, shift_id: int) -> HttpResponse:
    scope = request_scope(request)
    shift = selectors.access_shift(scope, shift_id)
    member = TeamMember.objects.filter(team=shift.team, person=scope.person).exists()
    return render(
        request,
        "patrols/shift.html",
        {
            "shift": shift,
            "member": member,
            "cells": shift.plan.cells.filter(shift=shift),
            "checkins": shift.checkins.select_related("person"),
            "sightings": shift.sightings.select_related("appeal", "person"),
            "check_form": CheckForm(),
            "sighting_form": SightingForm(),
        },
    )


@login_required
@require_POST
def check(request: HttpRequest, shift_id: int) -> HttpResponse:
    scope = request_scope(request)
    form = CheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        d = form.cleaned_data
        try:
            c = services.do_check(scope, shift_id, d["kind"], d["lat"], d["lon"])
        except (ServiceError, TransitionError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(kind)s recorded, %(d).0f m from the plan.")
                % {"kind": c.get_kind_display(), "d": c.distance_m},
            )
    return redirect("patrols:shift", shift_id=shift_id)


@login_required
@require_POST
def sighting(request: HttpRequest, shift_id: int) -> HttpResponse:
    scope = request_scope(request)
    form = SightingForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        d = form.cleaned_data
        try:
            s = services.do_report_sighting(
                scope, shift_id, text=d["text"], lat=d["lat"], lon=d["lon"], category_code=d["category"]
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            if s.appeal is not None:
                messages.success(request, _("Filed as %(ref)s") % {"ref": s.appeal.reference})
            else:
                messages.warning(request, s.intake_note or _("received; not decided yet"))
    return redirect("patrols:shift", shift_id=shift_id)


@login_required
def my_network(request: HttpRequest) -> HttpResponse:
    """A network member's own page: badge, training attended, tasks, points, support."""
    scope = request_scope(request)
    person = scope.person
    if person is None:
        raise Http404("no such page")
    return render(
        request,
        "patrols/me.html",
        {
            "person": person,
            "badge": Badge.objects.filter(person=person).first(),
            "trainings": person.trainings_attended.all(),
            "tasks": selectors.my_tasks(person),
            "points": selectors.total_points(person),
            "records": person.network_points.all()[:50],
            "support": SupportRecord.objects.filter(person=person),
        },
    )


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    scope = request_scope(request)
    try:
        task = services.do_finish_task(scope, task_id)
    except (ServiceError, TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Task done: %(t)s") % {"t": task.title})
    return redirect("patrols:me")
