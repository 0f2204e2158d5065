"""Intake pages: the resident's form, staff's call form, volunteers' on-behalf form, the intake
inbox (failed/undecided items, reversals) and the locate queue. Thin: services do the writing."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.accounts.services import log_access
from lastmeter.appeals.choices import Channel
from lastmeter.appeals.models import Category
from lastmeter.grids.models import Grid
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.choices import REVERSALS, Decision, ItemStatus
from lastmeter.intake.forms import (
    CategoryForm,
    DecisionFilterForm,
    LocationForm,
    ReportForm,
    ReverseForm,
)
from lastmeter.intake.media import store_photo
from lastmeter.intake.models import InboundItem
from lastmeter.intake.selectors import visible_items
from lastmeter.intake.services import do_reverse, process_item, requeue_failed, submit
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.lib.transitions import TransitionError
from lastmeter.roads.services import RoadError, network_geojson
from lastmeter.triage.services import do_correct_category, do_set_location, locate_queue

VOLUNTEER_ROLES = {Role.BUILDING_HEAD, Role.VOLUNTEER, Role.GRID_MEMBER, Role.COMMUNITY_POLICE}
CALL_ROLES = {Role.DISPATCHER, Role.COMMUNITY_POLICE, Role.GRID_MEMBER, Role.LEADERSHIP, Role.ADMINISTRATOR}


def _store_photo(upload: UploadedFile | None) -> list[dict[str, str]]:
    """Store a photo that ``ReportForm`` accepted; the media list of the inbound message."""
    if upload is None:
        return []
    # Re-encoded on store: no copy with the phone's EXIF (its GPS position) is kept (media.py).
    return [store_photo(upload.read())]


def _submit_form(
    request: HttpRequest, form: ReportForm, msg: InboundMessage, *, submitted_by=None
) -> InboundItem:
    nonce = form.cleaned_data["nonce"] or secrets.token_hex(16)
    fields = request.POST.dict()  # the raw fields, as received, for the item's body
    fields.pop("csrfmiddlewaretoken", None)
    body = json.dumps({"fields": fields, "media": msg.media}, ensure_ascii=False).encode()
    item, _created = submit(
        msg,
        key=f"form:{nonce}",
        body=body,
        source=request.path,
        submitted_by=submitted_by,
        headers={"User-Agent": request.headers.get("User-Agent", "")},
    )
    return item


def _after(request: HttpRequest, item: InboundItem) -> HttpResponse:
    if item.appeal is not None and item.decision in (Decision.NEW_APPEAL, Decision.UPDATE):
        # The tracking page opens with "please save this link" and a copy button.
        return redirect(reverse("appeals:track", args=[item.appeal.tracking_token]) + "?new=1")
    return render(request, "intake/received.html", {"item": item})


def public_grids_geojson() -> dict[str, Any]:
    """The active grids for the resident's map: outline and name only (no officer, no id)."""
    features = [
        {"type": "Feature", "geometry": boundary, "properties": {"name": name}}
        for name, boundary in Grid.objects.filter(active=True).order_by("id").values_list("name", "boundary")
    ]
    return {"type": "FeatureCollection", "features": features}


def report(request: HttpRequest) -> HttpResponse:
    """The resident's form: problem, place (a pin on the map of our grids and roads, the
    browser's position, or an address), optional photo. A pin outside every grid is refused."""
    context = {
        "nonce": secrets.token_hex(16),
        "categories": Category.objects.all(),
        "map_grids": public_grids_geojson(),
        "map_config": {
            "roads_url": reverse("intake:report_roads"),
            "tile_url": settings.LASTMETER_TILE_URL,
            "outside": _(
                "This place is outside our jurisdiction: move the pin inside the area drawn on the map."
            ),
            "inside": _("Grid: %(name)s"),
        },
    }
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, with_photo=True, within_jurisdiction=True)
        if not form.is_valid():
            context.update(
                error=first_message(form), data=request.POST, nonce=form.data.get("nonce", context["nonce"])
            )
            return render(request, "intake/report.html", context, status=400)
        msg = form.message(Channel.WEB)
        msg.media = _store_photo(form.cleaned_data["photo"])
        return _after(request, _submit_form(request, form, msg))
    return render(request, "intake/report.html", context)


@cache_control(public=True, max_age=3600)
def report_roads(request: HttpRequest) -> HttpResponse:
    """The road network as GeoJSON for the resident's map (public OpenStreetMap data; empty when
    no road file is loaded, and the map then shows the grids only)."""
    try:
        geo = network_geojson(tolerance_m=10.0)
    except RoadError:
        geo = {"type": "FeatureCollection", "features": []}
    return JsonResponse(geo)


def _person_form(request: HttpRequest, *, channel: str, roles: set[Role], template: str) -> HttpResponse:
    scope = request_scope(request)
    if scope.person is None or not (scope.superuser or scope.roles & roles):
        raise Http404("no such page")
    context = {"nonce": secrets.token_hex(16), "categories": Category.objects.all()}
    if request.method == "POST":
        form = ReportForm(request.POST)
        if not form.is_valid():
            context.update(error=first_message(form), data=request.POST)
            return render(request, template, context, status=400)
        msg = form.message(channel, filed_by_id=scope.person.pk)
        item = _submit_form(request, form, msg, submitted_by=scope.person)
        if item.appeal is not None:
            messages.success(request, _("Filed as %(ref)s") % {"ref": item.appeal.reference})
            return redirect(reverse("appeals:detail", args=[item.appeal.pk]))
        messages.warning(request, item.decision_reason or item.last_error or _("received; not decided yet"))
        return redirect(request.path)
    return render(request, template, context)


@login_required
def record_call(request: HttpRequest) -> HttpResponse:
    """Staff record a call on behalf of a caller (channel hotline, filed by the staff member)."""
    return _person_form(request, channel=Channel.HOTLINE, roles=CALL_ROLES, template="intake/call.html")


@login_required
def on_behalf(request: HttpRequest) -> HttpResponse:
    """Building heads, grid members and volunteers file for a resident (filed_by = them)."""
    return _person_form(
        request, channel=Channel.VOLUNTEER, roles=VOLUNTEER_ROLES, template="intake/on_behalf.html"
    )


# --- staff: the intake inbox -------------------------------------------------------------------


def _require_staff(scope: Scope) -> None:
    if not scope.jurisdiction_wide:
        raise Http404("no such page")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    _require_staff(scope)
    stale = timezone.now() - timedelta(minutes=5)
    problems = InboundItem.objects.filter(
        Q(status=ItemStatus.FAILED)
        | Q(status=ItemStatus.PENDING, attempts__gt=0)
        | Q(status=ItemStatus.PENDING, received_at__lt=stale)
    ).order_by("received_at")[:200]
    decision = DecisionFilterForm(request.GET).decision_value()
    recent = InboundItem.objects.exclude(status=ItemStatus.PENDING).select_related("appeal")
    if decision:
        recent = recent.filter(decision=decision)
    return render(
        request,
        "intake/inbox.html",
        {"problems": problems, "recent": recent[:200], "decisions": Decision.choices, "decision": decision},
    )


@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    scope = request_scope(request)
    item = visible_items(scope).select_related("appeal").filter(pk=item_id).first()
    if item is None:
        raise Http404("no such item")
    # The raw message holds the sender's text and contact data.
    log_access(scope.person, "inbound item", item, "intake item page", user=request.user)
    return render(
        request,
        "intake/item.html",
        {
            "item": item,
            "decisions": item.decisions.select_related("by", "appeal"),
            "reversals": sorted(REVERSALS.get(item.decision, frozenset())) if scope.jurisdiction_wide else [],
            "normalised": json.dumps(item.normalised, ensure_ascii=False, indent=1),
        },
    )


@login_required
@require_POST
def reverse_item(request: HttpRequest, item_id: int) -> HttpResponse:
    scope = request_scope(request)
    _require_staff(scope)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("intake:item", item_id=item_id)
    target = form.cleaned_data["target_appeal"]
    try:
        do_reverse(
            scope,
            item_id,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
            target_appeal_id=target.pk if target is not None else None,
        )
    except (ServiceError, TransitionError) as exc:
        messages.error(request, str(exc))
    except InboundItem.DoesNotExist:
        raise Http404("no such item") from None
    return redirect("intake:item", item_id=item_id)


@login_required
@require_POST
def retry_item(request: HttpRequest, item_id: int) -> HttpResponse:
    scope = request_scope(request)
    _require_staff(scope)
    if requeue_failed(item_id) or InboundItem.objects.filter(pk=item_id, status=ItemStatus.PENDING).exists():
        process_item(item_id)
    return redirect("intake:item", item_id=item_id)


# --- the locate queue --------------------------------------------------------------------------


@login_required
def locate(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if scope.person is None and not scope.superuser:
        raise Http404("no such page")
    return render(request, "intake/locate.html", {"appeals": locate_queue(scope)[:200]})


@login_required
@require_POST
def set_location(request: HttpRequest, appeal_id: int) -> HttpResponse:
    scope = request_scope(request)
    form = LocationForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("intake:locate")
    data = form.cleaned_data
    try:
        do_set_location(scope, appeal_id, lat=data["lat"], lon=data["lon"], address=data["address"])
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("intake:locate")


@login_required
@require_POST
def correct_category(request: HttpRequest, appeal_id: int) -> HttpResponse:
    scope = request_scope(request)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            do_correct_category(scope, appeal_id, category=form.cleaned_data["category"])
        except (ServiceError, TransitionError) as exc:
            messages.error(request, str(exc))
    return redirect(form.cleaned_data.get("next") or reverse("appeals:detail", args=[appeal_id]))
