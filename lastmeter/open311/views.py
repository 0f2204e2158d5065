"""Open311 GeoReport v2 server at /open311/v2/ (JSON and XML), with mySociety's
servicerequestupdates extension.

Services are the appeal categories; a service request is an appeal and its id is the appeal's
reference. Public reads show status, category, place, dates and deadline of every appeal, but the
free text (description, address, status notes) only of requests that were filed through Open311
itself: what residents said on chat, phone or the web form never leaves the station this way.
POSTs need an api_key (stored hashed); they go through the intake like every other channel.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from lastmeter.appeals.choices import OPEN_STATES, AppealState, Channel, ClockKind, EventKind
from lastmeter.appeals.models import Appeal, AppealEvent, Category, Clock
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.choices import Decision, ItemStatus
from lastmeter.intake.models import InboundItem
from lastmeter.intake.services import submit
from lastmeter.open311.forms import (
    LIMIT,
    RequestListForm,
    ServiceRequestForm,
    WindowForm,
    given_jurisdiction,
    nul_in,
    refusal,
)
from lastmeter.open311.render import FORMATS, error, respond, respond_one, utc


class Refused(Exception):
    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code


def _fmt(view):
    """Check the {format} suffix and turn Refused into the spec's error list."""

    def wrapped(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
        if fmt not in FORMATS:
            return error("json", 404, f"unknown format {fmt!r}: use json or xml")
        nul = nul_in(request, kwargs)
        if nul:
            # PostgreSQL refuses NUL in text: unchecked, such an id was a 500 (found by the fuzzer).
            return error(fmt, 400, f"{nul} must not contain NUL characters")
        jurisdiction = settings.LASTMETER_OPEN311_JURISDICTION
        given = given_jurisdiction(request)
        if given and jurisdiction and given != jurisdiction:
            return error(fmt, 404, f"unknown jurisdiction_id {given!r}")
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Refused as exc:
            return error(fmt, exc.status_code, str(exc))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- discovery and services --------------------------------------------------------------------


@require_GET
@_fmt
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:root"))
    data = {
        "changeset": "2026-11-01T00:00:00Z",
        "contact": settings.DEFAULT_FROM_EMAIL,
        "key_service": "Ask the station's administrator (lastmeter open311 issue-key NAME).",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base.rstrip("/"),
                "changeset": "2026-11-01T00:00:00Z",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    # endpoints → endpoint, formats → format: the element names of the discovery document.
    return respond_one(fmt, data, root="discovery", lists={"endpoints": "endpoint", "formats": "format"})


def _service(c: Category) -> dict:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.name_en or c.name,
        "metadata": False,
        "type": "realtime" if c.department_id is None else "batch",
        "keywords": ",".join(x for x in (c.name, c.name_en) if x),
        "group": c.parent.name if c.parent else ("police" if c.department_id is None else "department"),
    }


@require_GET
@_fmt
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [_service(c) for c in Category.objects.select_related("parent").order_by("code")]
    return respond(fmt, rows, root="services", item="service")


@require_GET
@_fmt
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if not Category.objects.filter(code=code).exists():
        raise Refused(404, f"service_code {code!r} not found")
    data = {"service_code": code, "attributes": []}
    return respond_one(fmt, data, root="service_definition", lists={"attributes": "attribute"})


# --- service requests --------------------------------------------------------------------------


def _public_text(appeal: Appeal) -> bool:
    return appeal.channel == Channel.OPEN311


def _row(appeal: Appeal) -> dict:
    land = next((c for c in getattr(appeal, "land_clocks", []) if c.kind == ClockKind.LAND), None)
    public = _public_text(appeal)
    status_open = appeal.state in OPEN_STATES
    notes = None
    if appeal.state == AppealState.MERGED:
        notes = "duplicate"
    elif appeal.department_id and appeal.state in (AppealState.TRANSFERRED, AppealState.ACCEPTED):
        notes = "transferred to the responsible department"
    elif public and appeal.resolution:
        notes = appeal.resolution[:1000]
    lat, lon = appeal.lat, appeal.lon
    if lat is not None and lon is not None and not public:
        # About 100 m: enough for a map of problems, not enough to find a reporter's door.
        lat, lon = round(lat, 3), round(lon, 3)
    return {
        "service_request_id": appeal.reference or str(appeal.pk),
        "status": "open" if status_open else "closed",
        "status_notes": notes,
        "service_name": appeal.category.name if appeal.category else None,
        "service_code": appeal.category.code if appeal.category else "uncategorised",
        "description": appeal.text[:4000] if public else None,
        "agency_responsible": appeal.department.name if appeal.department else _agency(),
        "service_notice": None,
        "requested_datetime": utc(appeal.created_at),
        "updated_datetime": utc(appeal.updated_at),
        "expected_datetime": utc(land.due_at) if land else None,
        "address": appeal.address if public and appeal.address else None,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": None,
    }


def _agency() -> str:
    return settings.LASTMETER_OPEN311_AGENCY or "公安派出所"


def _queryset() -> QuerySet[Appeal]:
    return Appeal.objects.select_related("category", "department").prefetch_related(
        Prefetch("clocks", queryset=Clock.objects.filter(kind=ClockKind.LAND), to_attr="land_clocks")
    )


def _checked(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data, or the spec's error for its first problem."""
    problem = refusal(form)
    if problem is not None:
        raise Refused(*problem)
    return form.cleaned_data


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    qs = _queryset()
    form = RequestListForm(request.GET)
    form.is_valid()  # a list of ids is used even when other parameters are bad
    ids = form.cleaned_data["service_request_id"]
    if ids:
        # The spec: a list of ids overrides every other filter (and the other parameters' checks).
        qs = qs.filter(reference__in=ids[:LIMIT])
    else:
        data = _checked(form)
        if data["service_code"]:
            qs = qs.filter(category__code__in=data["service_code"])
        start, end = data["window"]
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if data["status"] == {"open"}:
            qs = qs.filter(state__in=OPEN_STATES)
        elif data["status"] == {"closed"}:
            qs = qs.exclude(state__in=OPEN_STATES)
    rows = [_row(a) for a in qs.order_by("-created_at")[:LIMIT]]
    return respond(fmt, rows, root="service_requests", item="request")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_fmt
def requests_(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "GET":
        return _list(request, fmt)
    return _create(request, fmt)


@require_GET
@_fmt
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    appeal = _queryset().filter(reference=request_id).first()
    if appeal is None:
        raise Refused(404, f"service_request_id {request_id!r} not found")
    return respond(fmt, [_row(appeal)], root="service_requests", item="request")


@require_GET
@_fmt
def token(request: HttpRequest, token_id: str, fmt: str) -> HttpResponse:
    item = (
        InboundItem.objects.filter(token=token_id, channel=Channel.OPEN311).select_related("appeal").first()
    )
    if item is None:
        raise Refused(404, f"token {token_id!r} not found")
    ref = item.appeal.reference if item.appeal and item.decision == Decision.NEW_APPEAL else None
    return respond(
        fmt, [{"service_request_id": ref, "token": item.token}], root="service_requests", item="request"
    )


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    form = ServiceRequestForm(request.POST)
    data = _checked(form)
    key = data["api_key"]
    fields = request.POST.dict()  # every field as received (the idempotency hash and the raw record)
    fields.pop("api_key", None)
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()
    idem = request.headers.get("Idempotency-Key") or hashlib.sha256(body).hexdigest()
    msg = InboundMessage(
        channel=Channel.OPEN311,
        text=data["description"],
        sender_id=data["device_id"] or data["account_id"],
        sender_name=form.name(),
        phone=data["phone"],
        email=data["email"],
        lat=data["lat"],
        lon=data["long"],
        address=data["address_string"],
        category_code=data["service_code"],
        filed_by_id=key.person_id,
        media=[],
        raw=fields,
    )
    item, _ = submit(msg, key=f"key{key.pk}:{idem}", body=body, source=f"open311:{key.name}")
    type(key).objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    if item.status == ItemStatus.REJECTED:
        raise Refused(400, item.decision_reason)
    row: dict = {"service_notice": None, "account_id": None}
    if item.appeal is not None and item.decision == Decision.NEW_APPEAL:
        row = {"service_request_id": item.appeal.reference, **row}
    else:
        row = {"token": item.token, **row}
    return respond(fmt, [row], root="service_requests", item="request", status=201)


@csrf_exempt
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /open311/v2/: the spec's error list, in XML if the path asks for it."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    return error(fmt, 404, "no such GeoReport v2 endpoint: see discovery.json")


# --- mySociety servicerequestupdates extension ---------------------------------------------


@require_GET
@_fmt
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    start, end = _checked(WindowForm(request.GET))["window"]
    events = (
        AppealEvent.objects.filter(kind=EventKind.STATE, at__gte=start, at__lte=end)
        .select_related("appeal")
        .order_by("at", "id")[:LIMIT]
    )
    rows = []
    for event in events:
        appeal = event.appeal
        public = _public_text(appeal)
        rows.append(
            {
                "update_id": str(event.pk),
                "service_request_id": appeal.reference or str(appeal.pk),
                "status": _update_status(event.to_state),
                "updated_datetime": utc(event.at),
                "description": (event.note[:1000] if public and event.note else event.get_kind_display()),
                "media_url": None,
            }
        )
    return respond(fmt, rows, root="service_request_updates", item="request_update")


def _update_status(state: str) -> str:
    """mySociety's status words for our appeal states."""
    words: dict[str, str] = {
        AppealState.ACKNOWLEDGED: "investigating",
        AppealState.CONTACTED: "in_progress",
        AppealState.LANDED: "action_scheduled",
        AppealState.RESOLVED: "fixed",
        AppealState.CLOSED: "closed",
        AppealState.TRANSFERRED: "not_councils_responsibility",
        AppealState.ACCEPTED: "in_progress",
        AppealState.RETURNED: "open",
        AppealState.MERGED: "duplicate",
        AppealState.REOPENED: "open",
    }
    return words.get(state, "open")
