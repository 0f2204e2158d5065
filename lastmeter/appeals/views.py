"""The appeal pages: the queue, the appeal detail with its actions, the resident's tracking page.

Views stay thin: forms read the input, selectors read, ``actions.run_action`` and the services
write, with the same rules as the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.models import Department
from lastmeter.accounts.services import log_access
from lastmeter.appeals import feedback, services, tracking
from lastmeter.appeals.actions import ACTIONS, run_action
from lastmeter.appeals.choices import AppealState, OutboxState
from lastmeter.appeals.filters import filtered_queue
from lastmeter.appeals.forms import ActionForm, FeedbackForm, QueueFilterForm
from lastmeter.appeals.models import AppealMedia, Category, Subscription
from lastmeter.appeals.notify.reporter import subscription_from_follow_token, tracking_link
from lastmeter.appeals.presenters import appeal_detail, appeal_row
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
    log_access(scope.person, "appeal detail", appeal, "appeal page", user=request.user)
    outbox = list(appeal.outbox.order_by("-id")[:20])
    return render(
        request,
        "appeals/detail.html",
        {
            "appeal": appeal,
            "data": appeal_detail(scope, appeal),
            "departments": Department.objects.all(),
            "photos": appeal.media.all(),
            "outbox": outbox,
            "outbox_logged": any(m.state == OutboxState.LOGGED for m in outbox),
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
    """The reporter's page (no login): only what tracking.tracking_view whitelists."""
    appeal = access_appeal_by_token(token)
    return render(
        request,
        "appeals/track.html",
        {
            "data": tracking.tracking_view(appeal),
            "token": token,
            "link": request.build_absolute_uri(tracking_link(appeal)),
            "just_filed": request.GET.get("new") == "1",
        },
    )


def follow(request: HttpRequest, signed: str) -> HttpResponse:
    """A subscriber's page: the public progress of the appeal they follow, nobody's text."""
    subscription_id = subscription_from_follow_token(signed)
    subscription = (
        Subscription.objects.select_related("appeal").filter(pk=subscription_id).first()
        if subscription_id is not None
        else None
    )
    if subscription is None:
        raise Http404("no such appeal")
    return render(
        request, "appeals/track.html", {"data": tracking.follow_view(subscription.appeal), "follower": True}
    )


@require_POST
def track_code(request: HttpRequest, token: str) -> HttpResponse:
    """Send the reporter a one-time code (to their phone or e-mail) for rating or contesting."""
    access_appeal_by_token(token)
    try:
        issued = feedback.issue_feedback_code(token)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("A code has been sent by %(where)s.") % {"where": issued.destination})
    return redirect(reverse("appeals:track", args=[token]) + "#feedback")


@require_POST
def track_feedback(request: HttpRequest, token: str) -> HttpResponse:
    access_appeal_by_token(token)
    form = FeedbackForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        if data.get("contest"):
            services.do_contest(token, code=data.get("code", ""), reason=data.get("reason", ""))
            messages.success(request, _("Your appeal has been reopened."))
        else:
            services.do_rate(
                token, code=data.get("code", ""), score=data.get("score", ""), comment=data.get("comment", "")
            )
            messages.success(request, _("Thank you for your rating."))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("appeals:track", args=[token]) + "#feedback")


@login_required
def media(request: HttpRequest, appeal_id: int, media_id: int) -> FileResponse:
    """A photo of the appeal, for staff who may see the appeal (404 otherwise); each view is
    written to the access log. Files are never under a public URL."""
    scope = request_scope(request)
    appeal = access_appeal_by_scope(scope, appeal_id)
    item = AppealMedia.objects.filter(appeal=appeal, pk=media_id).first()
    if item is None or not item.file.name or not default_storage.exists(item.file.name):
        raise Http404("no such file")
    log_access(scope.person, "appeal photo", appeal, f"photo {item.pk}", user=request.user)
    response = FileResponse(
        default_storage.open(item.file.name, "rb"), content_type=item.content_type or None
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
