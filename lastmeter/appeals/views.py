"""Pages: the appeal queue, the appeal detail with its actions, the resident's tracking page.

Views stay thin: selectors read, services write, the same rules as the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.models import Department
from lastmeter.appeals import services
from lastmeter.appeals.actions import ACTIONS, run_action
from lastmeter.appeals.choices import AppealState
from lastmeter.appeals.filters import QueueFilter, filtered_queue
from lastmeter.appeals.models import Category
from lastmeter.appeals.presenters import appeal_detail, appeal_row, event_row
from lastmeter.appeals.schemas import ActionIn
from lastmeter.appeals.selectors import access_appeal_by_scope, access_appeal_by_token
from lastmeter.grids.models import Grid
from lastmeter.lib.transitions import TransitionError


def _to_bool(value: str | None) -> bool | None:
    return True if value in ("1", "true", "on") else None


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    f = QueueFilter(
        state=request.GET.get("state") or None,
        grid=int(request.GET["grid"]) if request.GET.get("grid", "").isdigit() else None,
        category=request.GET.get("category") or None,
        overdue=_to_bool(request.GET.get("overdue")),
        open=_to_bool(request.GET.get("open")),
    )
    rows = [appeal_row(a) for a in filtered_queue(request_scope(request), f)[:200]]
    return render(
        request,
        "appeals/queue.html",
        {
            "rows": rows,
            "filters": f,
            "states": AppealState.choices,
            "grids": Grid.objects.filter(active=True),
            "categories": Category.objects.filter(appeals__isnull=False).distinct(),
        },
    )


@login_required
def detail(request: HttpRequest, appeal_id: int) -> HttpResponse:
    scope = request_scope(request)
    appeal = access_appeal_by_scope(scope, appeal_id)
    return render(
        request,
        "appeals/detail.html",
        {
            "appeal": appeal,
            "data": appeal_detail(scope, appeal),
            "departments": Department.objects.all(),
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, appeal_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        return HttpResponseBadRequest("unknown action")

    def _float(name: str) -> float | None:
        try:
            return float(request.POST[name]) if request.POST.get(name) else None
        except ValueError:
            return None

    body = ActionIn(
        note=request.POST.get("note", ""),
        reason=request.POST.get("reason", ""),
        resolution=request.POST.get("resolution", ""),
        outcome=request.POST.get("outcome", ""),
        lat=_float("lat"),
        lon=_float("lon"),
        department=request.POST.get("department") or None,
        into=int(request.POST["into"]) if request.POST.get("into", "").isdigit() else None,
        person=int(request.POST["person"]) if request.POST.get("person", "").isdigit() else None,
    )
    try:
        run_action(request_scope(request), appeal_id, action, body)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("appeals:detail", appeal_id=appeal_id)
    except (services.ServiceError, TransitionError) as exc:
        messages.error(request, str(exc))
    return redirect("appeals:detail", appeal_id=appeal_id)


def track(request: HttpRequest, token: str) -> HttpResponse:
    appeal = access_appeal_by_token(token)
    events = [{**event_row(e), "actor": ""} for e in appeal.events.all()]
    return render(request, "appeals/track.html", {"appeal": appeal, "events": events, "token": token})


@require_POST
def track_feedback(request: HttpRequest, token: str) -> HttpResponse:
    access_appeal_by_token(token)
    try:
        if request.POST.get("contest"):
            services.do_contest(token, reason=request.POST.get("reason", ""))
        else:
            score = request.POST.get("score", "")
            services.do_rate(
                token, score=int(score) if score.isdigit() else 0, comment=request.POST.get("comment", "")
            )
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("appeals:track", token=token)
