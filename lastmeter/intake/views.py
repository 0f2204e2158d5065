"""Intake pages: the resident's form, staff's call form, volunteers' on-behalf form, the intake
inbox (failed/undecided items, reversals) and the locate queue. Thin: services do the writing."""

from __future__ import annotations

import json
import math
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals import services as appeal_services
from lastmeter.appeals.choices import Channel
from lastmeter.appeals.models import Category
from lastmeter.appeals.selectors import visible_appeals
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.choices import REVERSALS, Decision, ItemStatus
from lastmeter.intake.models import InboundItem
from lastmeter.intake.services import do_reverse, requeue_failed, submit
from lastmeter.lib.geo import CoordinateError, validate_lat_lon
from lastmeter.lib.transitions import TransitionError

PHOTO_TYPES = {"image/jpeg": (b"\xff\xd8\xff", "jpg"), "image/png": (b"\x89PNG\r\n\x1a\n", "png")}
VOLUNTEER_ROLES = {Role.BUILDING_HEAD, Role.VOLUNTEER, Role.GRID_MEMBER, Role.COMMUNITY_POLICE}
CALL_ROLES = {Role.DISPATCHER, Role.COMMUNITY_POLICE, Role.GRID_MEMBER, Role.LEADERSHIP, Role.ADMINISTRATOR}


class FormError(ValueError):
    pass


def _coordinates(post) -> tuple[float | None, float | None]:
    def number(name: str) -> float | None:
        raw = (post.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise FormError(_("%(name)s must be a number") % {"name": name}) from None
        if not math.isfinite(value):
            raise FormError(_("%(name)s must be a finite number") % {"name": name})
        return value

    lat, lon = number("lat"), number("lon")
    try:
        validate_lat_lon(lat, lon)
    except CoordinateError as exc:
        said = {
            "half": _("give both latitude and longitude, or neither"),
            "not_finite": _("coordinates must be finite numbers"),
            "latitude": _("latitude %(value)s is outside -90..90") % {"value": lat},
            "longitude": _("longitude %(value)s is outside -180..180") % {"value": lon},
        }
        raise FormError(said.get(exc.code, str(exc))) from None
    return lat, lon


def _photo(request: HttpRequest) -> list[dict[str, str]]:
    """Validate (declared type, magic bytes, size) and store the photo before anything else."""
    upload = request.FILES.get("photo")
    if upload is None:
        return []
    limit = settings.LASTMETER_MAX_PHOTO_BYTES
    if (upload.size or 0) > limit:
        raise FormError(_("the photo is larger than %(mb)d MB") % {"mb": limit // (1024 * 1024)})
    expected = PHOTO_TYPES.get(upload.content_type or "")
    head = upload.read(16)
    upload.seek(0)
    if expected is None or not head.startswith(expected[0]):
        raise FormError(_("the photo must be a JPEG or PNG image"))
    name = default_storage.save(
        f"intake/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{expected[1]}", ContentFile(upload.read())
    )
    return [{"path": name, "content_type": upload.content_type or ""}]


def _form_message(request: HttpRequest, channel: str, **extra) -> InboundMessage:
    post = request.POST
    text = (post.get("text") or "").strip()
    if not text:
        raise FormError(_("describe the problem"))
    if len(text) > 4000:
        raise FormError(_("the description is longer than 4000 characters"))
    lat, lon = _coordinates(post)
    return InboundMessage(
        channel=channel,
        text=text,
        sender_name=(post.get("name") or "").strip()[:100],
        phone=(post.get("phone") or "").strip()[:40],
        email=(post.get("email") or "").strip()[:200],
        address=(post.get("address") or "").strip()[:300],
        lat=lat,
        lon=lon,
        category_code=(post.get("category") or "").strip(),
        **extra,
    )


def _submit_form(request: HttpRequest, msg: InboundMessage, *, submitted_by=None) -> InboundItem:
    nonce = (request.POST.get("nonce") or "").strip()[:64] or secrets.token_hex(16)
    fields = {k: request.POST.get(k, "") for k in request.POST if k != "csrfmiddlewaretoken"}
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
        return redirect(reverse("web:track", args=[item.appeal.tracking_token]))
    return render(request, "intake/received.html", {"item": item})


def report(request: HttpRequest) -> HttpResponse:
    """The resident's form: problem, place (pin from the browser or address), optional photo."""
    context = {"nonce": secrets.token_hex(16), "categories": Category.objects.all()}
    if request.method == "POST":
        try:
            msg = _form_message(request, Channel.WEB)
            msg.media = _photo(request)
        except FormError as exc:
            context.update(
                error=str(exc), data=request.POST, nonce=request.POST.get("nonce", context["nonce"])
            )
            return render(request, "intake/report.html", context, status=400)
        return _after(request, _submit_form(request, msg))
    return render(request, "intake/report.html", context)


def _person_form(request: HttpRequest, *, channel: str, roles: set[Role], template: str) -> HttpResponse:
    scope = request_scope(request)
    if scope.person is None or not (scope.superuser or scope.roles & roles):
        raise Http404("no such page")
    context = {"nonce": secrets.token_hex(16), "categories": Category.objects.all()}
    if request.method == "POST":
        try:
            msg = _form_message(request, channel, filed_by_id=scope.person.pk)
        except FormError as exc:
            context.update(error=str(exc), data=request.POST)
            return render(request, template, context, status=400)
        item = _submit_form(request, msg, submitted_by=scope.person)
        if item.appeal is not None:
            messages.success(request, _("Filed as %(ref)s") % {"ref": item.appeal.reference})
            return redirect(reverse("web:detail", args=[item.appeal.pk]))
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


def visible_items(scope: Scope):
    """Items this viewer may see: all for station staff; for an officer, the items whose appeal
    they can see. Residents see none (they follow their appeal by its tracking link)."""
    if scope.jurisdiction_wide:
        return InboundItem.objects.all()
    if scope.person is None:
        return InboundItem.objects.none()
    return InboundItem.objects.filter(appeal__in=visible_appeals(scope))


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
    decision = request.GET.get("decision") or ""
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
    target = request.POST.get("target_appeal", "").strip()
    target_id = None
    if target:
        from lastmeter.appeals.models import Appeal

        found = Appeal.objects.filter(
            Q(reference=target) | Q(pk=int(target) if target.isdigit() else -1)
        ).first()
        if found is None:
            messages.error(request, _("no appeal %(ref)s") % {"ref": target})
            return redirect("intake:item", item_id=item_id)
        target_id = found.pk
    try:
        do_reverse(
            scope,
            item_id,
            to=request.POST.get("to", ""),
            reason=request.POST.get("reason", ""),
            target_appeal_id=target_id,
        )
    except (appeal_services.ServiceError, TransitionError) as exc:
        messages.error(request, str(exc))
    except InboundItem.DoesNotExist:
        raise Http404("no such item") from None
    return redirect("intake:item", item_id=item_id)


@login_required
@require_POST
def retry_item(request: HttpRequest, item_id: int) -> HttpResponse:
    scope = request_scope(request)
    _require_staff(scope)
    from lastmeter.intake.services import process_item

    if requeue_failed(item_id) or InboundItem.objects.filter(pk=item_id, status=ItemStatus.PENDING).exists():
        process_item(item_id)
    return redirect("intake:item", item_id=item_id)


# --- the locate queue --------------------------------------------------------------------------


@login_required
def locate(request: HttpRequest) -> HttpResponse:
    from lastmeter.triage.services import locate_queue

    scope = request_scope(request)
    if scope.person is None and not scope.superuser:
        raise Http404("no such page")
    return render(request, "intake/locate.html", {"appeals": locate_queue(scope)[:200]})


@login_required
@require_POST
def set_location(request: HttpRequest, appeal_id: int) -> HttpResponse:
    from lastmeter.triage.services import do_set_location

    scope = request_scope(request)
    try:
        lat, lon = _coordinates(request.POST)
        if lat is None or lon is None:
            raise FormError(_("give latitude and longitude"))
        do_set_location(scope, appeal_id, lat=lat, lon=lon, address=request.POST.get("address", ""))
    except (FormError, appeal_services.ServiceError) as exc:
        messages.error(request, str(exc))
    return redirect("intake:locate")


@login_required
@require_POST
def correct_category(request: HttpRequest, appeal_id: int) -> HttpResponse:
    from lastmeter.triage.services import do_correct_category

    scope = request_scope(request)
    category = Category.objects.filter(code=request.POST.get("category", "")).first()
    if category is None:
        messages.error(request, _("unknown category"))
    else:
        try:
            do_correct_category(scope, appeal_id, category=category)
        except (appeal_services.ServiceError, TransitionError) as exc:
            messages.error(request, str(exc))
    return redirect(request.POST.get("next") or reverse("web:detail", args=[appeal_id]))
