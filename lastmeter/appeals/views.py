"""The appeal pages: the queue, the appeal detail with its actions, the resident's tracking page.

Views stay thin: forms read the input, selectors read, ``actions.run_action`` and the services
write, with the same rules as the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.models import Department
from lastmeter.accounts.services import log_access
from lastmeter.appeals import feedback, services, tracking
from lastmeter.appeals.actions import ACTIONS, run_action
from lastmeter.appeals.choices import AppealState, OutboxState
from lastmeter.appeals.filters import filtered_queue
from lastmeter.appeals.forms import (
    ActionForm,
    AssigneeSearchForm,
    FeedbackForm,
    NextPageForm,
    PageSwitchForm,
    QueueFilterForm,
)
from lastmeter.appeals.models import Appeal, AppealMedia, Category, Subscription
from lastmeter.appeals.notify.reporter import subscription_from_follow_token, tracking_link
from lastmeter.appeals.presenters import appeal_detail, appeal_row, assignee_row, transfer_row
from lastmeter.appeals.refusals import action_label
from lastmeter.appeals.selectors import (
    ASSIGNABLE_ROLES,
    access_appeal_by_scope,
    access_appeal_by_token,
    assignable_people,
    department_transfers,
)
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.transitions import TransitionError


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    f = form.queue_filter()
    rows = [appeal_row(a) for a in filtered_queue(request_scope(request), f)[:200]]
    return render(
        request,
        "appeals/queue.html",
        {
            "rows": rows,
            "filters": f,
            "figure_filters": form.figure_filters(),
            "states": AppealState.choices,
            "grids": Grid.objects.filter(active=True),
            # Categories in use: a semi-join (EXISTS), not DISTINCT over a join with every appeal.
            "categories": Category.objects.filter(Exists(Appeal.objects.filter(category=OuterRef("pk")))),
        },
    )


@login_required
def detail(request: HttpRequest, appeal_id: int) -> HttpResponse:
    scope = request_scope(request)
    appeal = access_appeal_by_scope(scope, appeal_id)
    log_access(scope.person, "appeal detail", appeal, "appeal page", user=request.user)
    outbox = list(appeal.outbox.order_by("-id")[:20])
    data = appeal_detail(scope, appeal)
    who, role = AssigneeSearchForm(request.GET).query(ASSIGNABLE_ROLES)
    assignees = []
    if "assign" in data["actions"]:
        # The picker's first list (narrowed by ?who= without JavaScript; as-you-type with it).
        people = assignable_people(scope, who, role=role).prefetch_related(
            "roles__grid", "roles__org_unit", "responsible_grids"
        )
        assignees = [assignee_row(p) for p in people[:50]]
    return render(
        request,
        "appeals/detail.html",
        {
            "appeal": appeal,
            "data": data,
            "departments": Department.objects.all(),
            "photos": appeal.media.all(),
            "outbox": outbox,
            "outbox_logged": any(m.state == OutboxState.LOGGED for m in outbox),
            "assignees": assignees,
            "who": who,
            "assignable_roles": [(r.value, r.label) for r in ASSIGNABLE_ROLES],
            "action_items": [(a, action_label(a)) for a in data["actions"]],
        },
    )


def _back(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """Back to the page the form was on (the department's inbox) or to the appeal."""
    form = NextPageForm(request.POST)
    target = form.cleaned_data["next"] if form.is_valid() else ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("appeals:detail", appeal_id=appeal_id)


@login_required
@require_POST
def act(request: HttpRequest, appeal_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        return HttpResponseBadRequest(_("Unknown action “%(action)s”.") % {"action": action})
    form = ActionForm(request.POST, action=action)
    refusal = form.refusal()
    if refusal:
        access_appeal_by_scope(request_scope(request), appeal_id)  # 404 first, as run_action does
        messages.error(request, refusal)
        return _back(request, appeal_id)
    try:
        appeal = run_action(request_scope(request), appeal_id, action, form.action_in())
    except (ServiceError, TransitionError) as exc:  # NotAllowed too: a refusal says why, on the page
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Done: %(action)s (appeal %(ref)s is now “%(state)s”).")
            % {"action": action_label(action), "ref": appeal.reference, "state": appeal.get_state_display()},
        )
    return _back(request, appeal_id)


@never_cache
@login_required
def department_inbox(request: HttpRequest) -> HttpResponse:
    """A department's queue of transfers: open ones by their deadline (acceptance, then outcome),
    then the latest finished ones. Liaisons see their own departments only; jurisdiction-wide
    staff see every department's; anyone else gets 404. ``?part=rows`` renders only the table's
    rows (the page refreshes them when the websocket says a transfer arrived or changed)."""
    scope = request_scope(request)
    if not scope.department_ids and not scope.jurisdiction_wide:
        raise Http404("no department")
    transfers = department_transfers(scope)
    open_rows = [transfer_row(scope, t) for t in transfers.filter(state__in=["pending", "accepted"])[:200]]
    open_rows.sort(key=lambda r: r["clock"]["due_at"] if r["clock"] else r["created_at"])
    done_rows = [transfer_row(scope, t) for t in transfers.filter(state__in=["returned", "completed"])[:30]]
    context = {
        "open_rows": open_rows,
        "done_rows": done_rows,
        "departments": Department.objects.filter(pk__in=scope.department_ids),
        "live_config": {
            "ws": "/ws/live/",
            "endpoints": {},
            "strings": {
                "connected": _("Live"),
                "disconnected": _("Reconnecting…"),
                "new_transfer": _("New transfer:"),
            },
        },
    }
    switches = PageSwitchForm(request.GET)
    if switches.is_valid() and switches.cleaned_data["part"] == "rows":
        return render(request, "appeals/_inbox_rows.html", context)
    return render(request, "appeals/department_inbox.html", context)


def track(request: HttpRequest, token: str) -> HttpResponse:
    """The reporter's page (no login): only what tracking.tracking_view whitelists."""
    appeal = access_appeal_by_token(token)
    switches = PageSwitchForm(request.GET)
    just_filed = bool(switches.is_valid() and switches.cleaned_data["new"])
    return render(
        request,
        "appeals/track.html",
        {
            "data": tracking.tracking_view(appeal),
            "token": token,
            "link": request.build_absolute_uri(tracking_link(appeal)),
            "just_filed": just_filed,
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
