"""The appeals API under /api/v1: thin handlers over selectors and services."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import Department, Person
from lastmeter.appeals import services, transfers
from lastmeter.appeals.choices import OPEN_STATES, Channel
from lastmeter.appeals.models import Appeal, Category
from lastmeter.appeals.presenters import appeal_detail, appeal_row, event_row
from lastmeter.appeals.schemas import (
    ActionIn,
    AppealDetailOut,
    AppealIn,
    AppealListOut,
    ContestIn,
    CreatedOut,
    ErrorOut,
    RateIn,
    TrackOut,
)
from lastmeter.appeals.selectors import access_appeal_by_scope, access_appeal_by_token, visible_appeals

router = Router(tags=["appeals"])
public_router = Router(tags=["tracking"])


class QueueFilter(Schema):
    state: str | None = None
    grid: int | None = None
    category: str | None = None
    overdue: bool | None = None
    open: bool | None = None
    limit: int = 100
    offset: int = 0


def filtered_queue(request: HttpRequest, f: QueueFilter):
    qs = visible_appeals(request_scope(request)).order_by("next_deadline_at", "-created_at")
    if f.state:
        qs = qs.filter(state=f.state)
    if f.open:
        qs = qs.filter(state__in=OPEN_STATES)
    if f.grid:
        qs = qs.filter(grid_id=f.grid)
    if f.category:
        qs = qs.filter(category__code=f.category)
    if f.overdue is True:
        # Overdue: a clock already breached, or the next running deadline has passed (the sweeper
        # may not have run yet).
        qs = qs.filter(Q(clocks__state="breached") | Q(next_deadline_at__lte=timezone.now())).distinct()
    return qs


@router.get("/appeals", response=list[AppealListOut], auth=API_AUTH)
def list_appeals(request: HttpRequest, filters: Query[QueueFilter]):
    limit = max(1, min(filters.limit, 500))
    qs = filtered_queue(request, filters)[filters.offset : filters.offset + limit]
    return [appeal_row(a) for a in qs]


def tracking_url(appeal: Appeal) -> str:
    return reverse("web:track", args=[appeal.tracking_token])


@router.post("/appeals", response={201: CreatedOut, 400: ErrorOut}, auth=API_AUTH)
def create_appeal(request: HttpRequest, payload: AppealIn):
    scope = request_scope(request)
    category = None
    if payload.category:
        category = Category.objects.filter(code=payload.category).first()
        if category is None:
            return 400, {"detail": f"unknown category {payload.category!r}"}
    channel = payload.channel if payload.channel in Channel.values else None
    if channel is None:
        return 400, {"detail": f"unknown channel {payload.channel!r}"}
    data = services.NewAppeal(
        channel=channel,
        text=payload.text,
        title=payload.title,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        reporter_email=payload.reporter_email,
        lat=payload.lat,
        lon=payload.lon,
        address=payload.address,
        category=category,
        priority=payload.priority,
        filed_by=scope.person,
    )
    appeal = services.do_create_appeal(data, actor=scope.person)
    return 201, {
        "id": appeal.pk,
        "reference": appeal.reference,
        "tracking_token": appeal.tracking_token,
        "tracking_url": tracking_url(appeal),
        "state": appeal.state,
    }


@router.get("/appeals/{appeal_id}", response=AppealDetailOut, auth=API_AUTH)
def get_appeal(request: HttpRequest, appeal_id: int):
    scope = request_scope(request)
    appeal = access_appeal_by_scope(scope, appeal_id)
    return appeal_detail(scope, appeal)


def _run_action(request: HttpRequest, appeal_id: int, action: str, body: ActionIn) -> Appeal:
    scope = request_scope(request)
    access_appeal_by_scope(scope, appeal_id)  # 404 for both missing and not visible
    if action == "acknowledge":
        return services.do_acknowledge(scope, appeal_id, note=body.note)
    if action == "contact":
        return services.do_contact(scope, appeal_id, note=body.note)
    if action == "land":
        return services.do_land(
            scope, appeal_id, lat=body.lat, lon=body.lon, accuracy_m=body.accuracy_m, note=body.note
        )
    if action == "resolve":
        return services.do_resolve(scope, appeal_id, resolution=body.resolution or body.note)
    if action == "close":
        return services.do_close(scope, appeal_id, reason=body.reason or body.note)
    if action == "reopen":
        return services.do_reopen(scope, appeal_id, reason=body.reason or body.note)
    if action == "pause":
        return services.do_pause(scope, appeal_id, reason=body.reason or body.note)
    if action == "resume":
        return services.do_resume(scope, appeal_id)
    if action == "merge":
        if body.into is None:
            raise services.ServiceError("say which appeal to merge into ('into')")
        access_appeal_by_scope(scope, body.into)
        return services.do_merge(scope, appeal_id, into_id=body.into)
    if action == "assign":
        person = get_object_or_404(Person, pk=body.person or 0, active=True)
        return services.do_assign(scope, appeal_id, person=person)
    if action == "note":
        services.do_add_note(scope, appeal_id, note=body.note)
        return Appeal.objects.get(pk=appeal_id)
    if action == "transfer":
        department = Department.objects.filter(code=body.department or "").first()
        if department is None:
            raise services.ServiceError(f"unknown department {body.department!r}")
        transfers.do_transfer(scope, appeal_id, department=department, note=body.note)
        return Appeal.objects.get(pk=appeal_id)
    if action == "accept_transfer":
        transfers.do_accept_transfer(scope, appeal_id, note=body.note)
    elif action == "return_transfer":
        transfers.do_return_transfer(scope, appeal_id, reason=body.reason or body.note)
    elif action == "complete_transfer":
        transfers.do_complete_transfer(scope, appeal_id, outcome=body.outcome or body.note)
    else:
        raise services.ServiceError(f"unknown action {action!r}")
    return Appeal.objects.get(pk=appeal_id)


ACTIONS = (
    "acknowledge",
    "contact",
    "land",
    "resolve",
    "close",
    "reopen",
    "pause",
    "resume",
    "merge",
    "assign",
    "note",
    "transfer",
    "accept_transfer",
    "return_transfer",
    "complete_transfer",
)


@router.post(
    "/appeals/{appeal_id}/actions/{action}",
    response={200: AppealDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=API_AUTH,
)
def act_on_appeal(request: HttpRequest, appeal_id: int, action: str, body: ActionIn):
    """Perform one action (see `actions` on the appeal for what the caller may do now)."""
    appeal = _run_action(request, appeal_id, action, body)
    scope = request_scope(request)
    return 200, appeal_detail(scope, Appeal.objects.get(pk=appeal.pk))


def _track(appeal: Appeal) -> dict:
    return {
        "reference": appeal.reference or "",
        "state": appeal.state,
        "category": appeal.category.name if appeal.category else None,
        "created_at": appeal.created_at,
        "resolution": appeal.resolution,
        "department": appeal.department.name if appeal.department else None,
        # The reporter sees what happened, not who inside the station did it.
        "events": [{**event_row(e), "actor": ""} for e in appeal.events.all()],
    }


@public_router.get("/track/{token}", response=TrackOut, auth=None)
def track(request: HttpRequest, token: str):
    return _track(access_appeal_by_token(token))


@public_router.post(
    "/track/{token}/rate", response={200: TrackOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}, auth=None
)
def rate(request: HttpRequest, token: str, body: RateIn):
    services.do_rate(token, score=body.score, comment=body.comment)
    return 200, _track(access_appeal_by_token(token))


@public_router.post(
    "/track/{token}/contest", response={200: TrackOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}, auth=None
)
def contest(request: HttpRequest, token: str, body: ContestIn):
    services.do_contest(token, reason=body.reason)
    return 200, _track(access_appeal_by_token(token))
