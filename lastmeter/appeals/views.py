"""The appeal pages: the queue, the appeal detail with its actions, the resident's tracking page.

Views stay thin: forms read the input, selectors read, ``actions.run_action`` and the services
write, with the same rules as the API.
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
from lastmeter.appeals.filters import filtered_queue
from lastmeter.appeals.forms import ActionForm, FeedbackForm, QueueFilterForm
from lastmeter.appeals.models import Category
from lastmeter.appeals.presenters import appeal_detail, appeal_row, event_row
from lastmeter.appeals.selectors import access_appeal_by_scope, access_appeal_by_token
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.transitions import TransitionError


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    f = QueueFilterForm(request.GET).queue_filter()
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
    try:
        run_action(request_scope(request), appeal_id, action, ActionForm(request.POST).action_in())
    except (ServiceError, TransitionError) as exc:  # NotAllowed too: a refusal says why, on the page
        messages.error(request, str(exc))
    return redirect("appeals:detail", appeal_id=appeal_id)


def track(request: HttpRequest, token: str) -> HttpResponse:
    appeal = access_appeal_by_token(token)
    events = [{**event_row(e), "actor": ""} for e in appeal.events.all()]
    return render(request, "appeals/track.html", {"appeal": appeal, "events": events, "token": token})


@require_POST
def track_feedback(request: HttpRequest, token: str) -> HttpResponse:
    access_appeal_by_token(token)
    feedback = FeedbackForm(request.POST).feedback()
    try:
        if feedback["contest"]:
            services.do_contest(token, reason=feedback["reason"])
        else:
            services.do_rate(token, score=feedback["score"], comment=feedback["comment"])
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("appeals:track", token=token)
