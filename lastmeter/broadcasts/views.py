"""Pages of broadcasts and alerts (staff), the public alert page, CAP/Atom, and the SMS reply hook.

Thin: input through forms.py, writes through services/alerts, reads through selectors.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lastmeter.accounts.selectors import Scope, scope_for_user
from lastmeter.broadcasts import alerts, cap, publicity, services
from lastmeter.broadcasts.choices import AlertState, BroadcastState
from lastmeter.broadcasts.forms import (
    ActionForm,
    AlertActionForm,
    AlertForm,
    ComposeForm,
    DraftsForm,
    EditForm,
    SavedAudienceForm,
)
from lastmeter.broadcasts.models import Alert
from lastmeter.broadcasts.replies import SMS_CHANNEL
from lastmeter.broadcasts.selectors import (
    access_alert_by_scope,
    access_audience_by_scope,
    access_broadcast_by_scope,
    broadcast_report,
    can_approve,
    can_compose,
    channel_previews,
    communities_of,
    visible_alerts,
    visible_audiences,
    visible_broadcasts,
)
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.services import process_item, store_raw
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.lib.text import mask_phone


def staff_scope(request: HttpRequest) -> Scope:
    scope = scope_for_user(request.user)
    if not can_compose(scope):
        raise Http404("no broadcasts here")
    return scope


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = staff_scope(request)
    return render(
        request,
        "broadcasts/index.html",
        {
            "broadcasts": visible_broadcasts(scope).exclude(kind__in=["alert", "stand_down"])[:100],
            "alerts": visible_alerts(scope)[:50],
            "drafts_form": DraftsForm(),
        },
    )


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    scope = staff_scope(request)
    form = ComposeForm(request.POST or None, scope=scope)
    previews = []
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, first_message(form))
        else:
            data = form.cleaned_data
            try:
                text = services.preview_text(data["template"], data["variables"])
                previews = channel_previews(data["title"], text)
                if "save" in request.POST:
                    broadcast = services.do_compose(scope, data)
                    return redirect("broadcasts:detail", broadcast.pk)
            except ServiceError as exc:
                messages.error(request, str(exc))
    return render(request, "broadcasts/compose.html", {"form": form, "previews": previews})


@login_required
def detail(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    scope = staff_scope(request)
    broadcast = access_broadcast_by_scope(scope, broadcast_id)
    try:
        previews = channel_previews(broadcast.title, services.render(broadcast))
    except ServiceError as exc:
        previews, problem = [], str(exc)
    else:
        problem = ""
    mine = scope.person is not None and broadcast.author_id == scope.person.pk
    state = broadcast.state
    actions = []
    if mine and state == BroadcastState.DRAFT and broadcast.kind not in ("alert", "stand_down"):
        actions.append(("submit", _("Send / submit for approval")))
    if (
        can_approve(scope)
        and not mine
        and state == BroadcastState.AWAITING_APPROVAL
        and not broadcast.alert_id
    ):
        actions += [("approve", _("Approve")), ("decline", _("Decline"))]
    if state == BroadcastState.SCHEDULED and broadcast.repeat != "once":
        actions.append(("pause", _("Pause")))
    if state == BroadcastState.PAUSED:
        actions.append(("resume", _("Resume")))
    if state in (
        BroadcastState.DRAFT,
        BroadcastState.AWAITING_APPROVAL,
        BroadcastState.SCHEDULED,
        BroadcastState.PAUSED,
    ):
        actions.append(("cancel", _("Cancel")))
    if broadcast.alert_id is not None:
        actions = []  # an alert's messages are acted on through the alert's page
    return render(
        request,
        "broadcasts/detail.html",
        {
            "b": broadcast,
            "previews": previews,
            "problem": problem,
            "actions": actions,
            "events": broadcast.events.select_related("actor"),
            "reports": broadcast_report(broadcast),
            "needs_approval": services.needs_approval(broadcast),
            "edit_form": EditForm(
                initial={
                    "template": broadcast.template,
                    "variables": "\n".join(f"{k}={v}" for k, v in broadcast.variables.items()),
                }
            )
            if mine and state == BroadcastState.DRAFT and broadcast.kind not in ("alert", "stand_down")
            else None,
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    scope = staff_scope(request)
    broadcast = access_broadcast_by_scope(scope, broadcast_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("broadcasts:detail", broadcast_id)
    action = form.cleaned_data["action"]
    try:
        services.check_not_alert(broadcast)
        if action == "decline":
            services.do_decline(scope, broadcast_id, form.cleaned_data["note"])
        else:
            getattr(services, f"do_{action}")(scope, broadcast_id)
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("broadcasts:detail", broadcast_id)


@login_required
@require_POST
def edit(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    scope = staff_scope(request)
    access_broadcast_by_scope(scope, broadcast_id)
    form = EditForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            services.do_edit(
                scope,
                broadcast_id,
                template=form.cleaned_data["template"],
                variables=form.cleaned_data["variables"],
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
    return redirect("broadcasts:detail", broadcast_id)


@login_required
@require_POST
def make_drafts(request: HttpRequest) -> HttpResponse:
    """Publicity drafts from the figures: rush-hour reminders, accident season, anti-fraud."""
    scope = staff_scope(request)
    form = DraftsForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("broadcasts:index")
    kind = form.cleaned_data["kind"]
    try:
        if kind == "rush_hour":
            made = publicity.rush_hour_drafts(scope)
        elif kind == "accident_season":
            made = [publicity.accident_season_draft(scope, list(communities_of(scope)))]
        else:
            made = [publicity.anti_fraud_draft(scope)]
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("broadcasts:index")
    if not made:
        messages.error(request, _("No road in your area has enough rush-hour accidents for a reminder."))
        return redirect("broadcasts:index")
    return redirect("broadcasts:detail", made[0].pk)


# --- alerts ------------------------------------------------------------------------------------


@login_required
def alert_new(request: HttpRequest) -> HttpResponse:
    scope = staff_scope(request)
    form = AlertForm(request.POST or None, request.FILES or None, scope=scope)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, first_message(form))
        else:
            d = form.cleaned_data
            try:
                alert = alerts.do_create_alert(
                    scope,
                    alerts.AlertDraft(
                        kind=d["kind"],
                        headline=d["headline"],
                        description=d["description"],
                        last_seen_at=d["last_seen_at"],
                        last_seen_place=d["last_seen_place"],
                        lat=d["lat"],
                        lon=d["lon"],
                        radius_m=d["radius_m"],
                        grids=list(d["grids"]),
                        photo=d.get("photo"),
                        audience=d.get("saved_audience"),
                    ),
                )
                return redirect("broadcasts:alert", alert.pk)
            except ServiceError as exc:
                messages.error(request, str(exc))
    return render(request, "broadcasts/alert_new.html", {"form": form})


@login_required
def audiences(request: HttpRequest) -> HttpResponse:
    """The saved audiences the viewer may pick, and a form to save a new one."""
    scope = staff_scope(request)
    form = SavedAudienceForm(request.POST or None, scope=scope)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, first_message(form))
        else:
            try:
                services.do_save_audience(scope, form.spec())
                return redirect("broadcasts:audiences")
            except ServiceError as exc:
                messages.error(request, str(exc))
    return render(
        request, "broadcasts/audiences.html", {"form": form, "audiences": visible_audiences(scope)[:200]}
    )


@login_required
def audience_edit(request: HttpRequest, audience_id: int) -> HttpResponse:
    scope = staff_scope(request)
    audience = access_audience_by_scope(scope, audience_id)
    initial = {**services.spec_of(audience).__dict__}
    form = SavedAudienceForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, first_message(form))
        else:
            try:
                services.do_edit_audience(scope, audience, form.spec())
                return redirect("broadcasts:audiences")
            except ServiceError as exc:
                messages.error(request, str(exc))
    return render(request, "broadcasts/audience_edit.html", {"form": form, "audience": audience})


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    scope = staff_scope(request)
    alert = access_alert_by_scope(scope, alert_id)
    mine = scope.person is not None and alert.author_id == scope.person.pk
    runs = []
    for b in alert.broadcasts.order_by("id"):
        runs += broadcast_report(b)
    return render(
        request,
        "broadcasts/alert.html",
        {
            "alert": alert,
            "can_submit": mine and alert.state == AlertState.DRAFT,
            "can_approve": can_approve(scope) and not mine and alert.state == AlertState.AWAITING_APPROVAL,
            "can_close": alert.state == AlertState.ACTIVE,
            "sightings": alert.sightings.all(),
            "grids": alert.grids.all(),
            "reports": runs,
            "public_link": reverse("broadcasts:alert_public", args=[alert.public_token]),
            "events": [e for b in alert.broadcasts.order_by("id") for e in b.events.select_related("actor")],
        },
    )


@login_required
@require_POST
def alert_act(request: HttpRequest, alert_id: int) -> HttpResponse:
    scope = staff_scope(request)
    access_alert_by_scope(scope, alert_id)
    form = AlertActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("broadcasts:alert", alert_id)
    action = form.cleaned_data["action"]
    try:
        if action == "submit":
            alerts.do_submit_alert(scope, alert_id)
        elif action == "approve":
            alerts.do_approve_alert(scope, alert_id)
        elif action == "decline":
            alerts.do_decline_alert(scope, alert_id, form.cleaned_data["note"])
        else:
            alerts.do_close_alert(scope, alert_id, form.cleaned_data["outcome"])
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("broadcasts:alert", alert_id)


# --- public ------------------------------------------------------------------------------------


def public_alert(token: str) -> Alert:
    alert = get_object_or_404(Alert, public_token=token)
    if alert.state in (AlertState.DRAFT, AlertState.AWAITING_APPROVAL):
        raise Http404("no such alert")
    return alert


def alert_public(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "broadcasts/alert_public.html", {"alert": public_alert(token)})


def alert_photo(request: HttpRequest, token: str) -> FileResponse:
    alert = get_object_or_404(Alert, public_token=token)
    staff_may_see = (
        request.user.is_authenticated
        and alert.state in (AlertState.DRAFT, AlertState.AWAITING_APPROVAL)
        and visible_alerts(scope_for_user(request.user)).filter(pk=alert.pk).exists()
    )
    if not alert.photo or (alert.state != AlertState.ACTIVE and not staff_may_see):
        # published while active (and shown to the staff who may see the alert before that);
        # after the stand-down the photo is no longer published
        raise Http404("no photo")
    return FileResponse(alert.photo.open("rb"), content_type=cap.photo_type(alert))


def alert_cap(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(cap.cap_xml(public_alert(token)), content_type="application/cap+xml; charset=utf-8")


def alerts_feed(request: HttpRequest) -> HttpResponse:
    body = cap.active_feed(request.build_absolute_uri())
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """Replies from the SMS gateway: ``POST {"from": phone, "text": ..., "id": gateway id}`` with
    ``Authorization: Bearer LASTMETER_SMS_HTTP_TOKEN``. Stored raw through intake first, then
    processed (退订, sightings, or an appeal like any other message)."""
    token = settings.LASTMETER_SMS_HTTP_TOKEN
    if not token:
        return JsonResponse({"detail": "SMS replies are not configured"}, status=404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return JsonResponse({"detail": "not authentic"}, status=401)
    body = request.body[: settings.LASTMETER_MAX_BODY_BYTES]
    try:
        data = json.loads(body)
        phone, text, key = str(data["from"]).strip(), str(data["text"]).strip(), str(data["id"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "send JSON with from, text and id"}, status=400)
    if not phone or not text:
        return JsonResponse({"detail": "from and text must not be empty"}, status=400)
    msg = InboundMessage(
        channel=SMS_CHANNEL,
        text=text,
        phone=phone,
        sender_id=phone,
        sender_name=mask_phone(phone),
        sent_at=timezone.now(),
    )
    item, created = store_raw(
        channel=SMS_CHANNEL, key=key, body=body, content_type="application/json", normalised=msg
    )
    if created:
        item = process_item(item.pk)
    return JsonResponse({"ok": True, "decision": item.decision, "duplicate": not created})
