"""The appeals API under /api/v1: thin handlers over selectors and services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.services import log_access
from lastmeter.appeals import feedback, services, tracking
from lastmeter.appeals.actions import run_action
from lastmeter.appeals.choices import Channel
from lastmeter.appeals.filters import QueueFilter, filtered_queue
from lastmeter.appeals.models import Appeal, Category
from lastmeter.appeals.notify.reporter import tracking_link
from lastmeter.appeals.presenters import appeal_detail, appeal_row, assignee_row
from lastmeter.appeals.refusals import action_refusal
from lastmeter.appeals.reveal import do_reveal_reporter_phone
from lastmeter.appeals.schemas import (
    ActionIn,
    AppealDetailOut,
    AppealIn,
    AppealListOut,
    AssigneeOut,
    CodeOut,
    ContestIn,
    CreatedOut,
    ErrorOut,
    RateIn,
    RevealIn,
    RevealOut,
    TrackOut,
)
from lastmeter.appeals.selectors import (
    access_appeal_by_scope,
    access_appeal_by_token,
    assignable_people,
    available_actions,
)

router = Router(tags=["appeals"])
public_router = Router(tags=["tracking"])


@router.get("/appeals", response=list[AppealListOut], auth=API_AUTH)
def list_appeals(request: HttpRequest, filters: Query[QueueFilter]):
    limit, offset = (
        max(1, min(filters.limit, 500)),
        min(max(0, filters.offset), 10**9),
    )  # beyond any table; larger overflows SQLite
    qs = filtered_queue(request_scope(request), filters)[offset : offset + limit]
    return [appeal_row(a) for a in qs]


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
        "tracking_url": tracking_link(appeal),
        "state": appeal.state,
    }


@router.get("/appeals/{appeal_id}", response=AppealDetailOut, auth=API_AUTH)
def get_appeal(request: HttpRequest, appeal_id: int):
    scope = request_scope(request)
    appeal = access_appeal_by_scope(scope, appeal_id)
    log_access(scope.person, "appeal detail", appeal, "API", user=getattr(request, "user", None))
    return appeal_detail(scope, appeal)


@router.post(
    "/appeals/{appeal_id}/actions/{action}",
    response={200: AppealDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=API_AUTH,
)
def act_on_appeal(request: HttpRequest, appeal_id: int, action: str, body: ActionIn):
    """Perform one action (see `actions` on the appeal for what the caller may do now)."""
    scope = request_scope(request)
    appeal = run_action(scope, appeal_id, action, body)
    return 200, appeal_detail(scope, Appeal.objects.get(pk=appeal.pk))


@router.get(
    "/appeals/{appeal_id}/assignable",
    response={200: list[AssigneeOut], 403: ErrorOut, 404: ErrorOut},
    auth=API_AUTH,
)
def assignable(
    request: HttpRequest, appeal_id: int, q: str = "", grid: int | None = None, role: str | None = None
):
    """People the caller may assign this appeal to, by part of a name or of a grid's name, optionally
    in one grid (id) or with one role (community_police, grid_member); at most 50."""
    scope = request_scope(request)
    appeal = access_appeal_by_scope(scope, appeal_id)
    if "assign" not in available_actions(scope, appeal):
        return 403, {"detail": action_refusal(scope, appeal, "assign")[1]}
    people = assignable_people(scope, q[:50], grid_id=grid, role=role).prefetch_related(
        "roles__grid", "roles__org_unit", "responsible_grids"
    )
    return 200, [assignee_row(p) for p in people[:50]]


@router.post(
    "/appeals/{appeal_id}/reporter-phone",
    response={200: RevealOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=API_AUTH,
)
def reveal_reporter_phone(request: HttpRequest, appeal_id: int, body: RevealIn, response: HttpResponse):
    """The reporter's full number, for the officer who calls them (`can_call_reporter` on the
    appeal says whether the caller may). Each reveal is written to the access log with `reason`."""
    revealed = do_reveal_reporter_phone(request_scope(request), appeal_id, body.reason)
    response["Cache-Control"] = "no-store"
    return 200, {"appeal": revealed.appeal_id, "phone": revealed.phone, "tel": revealed.tel}


@public_router.get("/track/{token}", response=TrackOut, auth=None)
def track(request: HttpRequest, token: str):
    """The reporter's view of their appeal (see lastmeter.appeals.tracking for what it holds)."""
    return tracking.tracking_view(access_appeal_by_token(token))


@public_router.post("/track/{token}/code", response={200: CodeOut, 400: ErrorOut, 404: ErrorOut}, auth=None)
def send_code(request: HttpRequest, token: str):
    """Send the reporter a one-time code (SMS, else e-mail) needed to rate or contest."""
    issued = feedback.issue_feedback_code(token)
    return 200, {"sent_to": issued.destination}


@public_router.post(
    "/track/{token}/rate", response={200: TrackOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}, auth=None
)
def rate(request: HttpRequest, token: str, body: RateIn):
    services.do_rate(token, code=body.code, score=body.score, comment=body.comment)
    return 200, tracking.tracking_view(access_appeal_by_token(token))


@public_router.post(
    "/track/{token}/contest", response={200: TrackOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}, auth=None
)
def contest(request: HttpRequest, token: str, body: ContestIn):
    services.do_contest(token, code=body.code, reason=body.reason)
    return 200, tracking.tracking_view(access_appeal_by_token(token))
