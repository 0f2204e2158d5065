"""/api/v1/broadcasts: list, compose, preview, act (submit/approve/decline/pause/resume/cancel),
report. Thin: the same services and selectors as the pages, through the caller's Scope."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import Department, OrgUnit
from lastmeter.appeals.notify.reporter import public_url
from lastmeter.broadcasts import alerts, cap, services
from lastmeter.broadcasts.choices import AlertKind, BroadcastKind, Repeat
from lastmeter.broadcasts.models import Alert, Audience, Broadcast, ChatGroup
from lastmeter.broadcasts.selectors import (
    access_alert_by_scope,
    access_audience_by_scope,
    access_broadcast_by_scope,
    broadcast_report,
    can_compose,
    channel_previews,
    visible_alerts,
    visible_audiences,
    visible_broadcasts,
)
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import NotAllowed, ServiceError

router = Router(tags=["broadcasts"])
ACTIONS = ("submit", "approve", "pause", "resume", "cancel")


class BroadcastIn(Schema):
    title: str
    template: str
    variables: dict[str, str] = {}
    kind: str = BroadcastKind.NOTICE
    audience: int | None = None  # a saved audience; the audience fields below are then ignored
    communities: list[int] = []
    grids: list[int] = []
    groups: list[int] = []
    departments: list[int] = []
    area_groups: bool = True
    grid_members: bool = False
    building_heads: bool = False
    volunteers: bool = False
    sms_residents: bool = False
    repeat: str = Repeat.ONCE
    send_at: datetime | None = None
    times: list[str] = []
    until: date | None = None


class PreviewIn(Schema):
    title: str
    template: str
    variables: dict[str, str] = {}


class PreviewOut(Schema):
    channel: str
    format: str
    body: str
    note: str
    refused: bool


class BroadcastEventOut(Schema):
    kind: str
    actor: str | None
    note: str
    at: datetime


class BroadcastOut(Schema):
    id: int
    title: str
    kind: str
    state: str
    repeat: str
    times: list[str]
    next_run_at: datetime | None
    author: str
    approved_by: str | None
    needs_approval: bool
    sources: list[dict]
    events: list[BroadcastEventOut]


class DeclineIn(Schema):
    note: str = ""


def present(b: Broadcast) -> dict:
    return {
        "id": b.pk,
        "title": b.title,
        "kind": b.kind,
        "state": b.state,
        "repeat": b.repeat,
        "times": b.times,
        "next_run_at": b.next_run_at,
        "author": b.author.name,
        "approved_by": b.approved_by.name if b.approved_by else None,
        "needs_approval": services.needs_approval(b),
        "sources": b.sources,
        "events": [
            {"kind": e.kind, "actor": e.actor.name if e.actor else None, "note": e.note, "at": e.at}
            for e in b.events.select_related("actor")
        ],
    }


def _rows(model, ids: list[int], what: str) -> list:
    rows = list(model.objects.filter(id__in=ids))
    if len(rows) != len(set(ids)):
        raise ServiceError(f"unknown {what}: {sorted(set(ids) - {r.pk for r in rows})}")
    return rows


@router.get("/broadcasts", response=list[BroadcastOut], auth=API_AUTH)
def list_broadcasts(request: HttpRequest):
    return [present(b) for b in visible_broadcasts(request_scope(request))[:200]]


@router.post("/broadcasts", response={201: BroadcastOut}, auth=API_AUTH)
def create_broadcast(request: HttpRequest, data: BroadcastIn):
    scope = request_scope(request)
    if not can_compose(scope):
        raise NotAllowed("only officers and leaders write broadcasts")
    if data.kind in (BroadcastKind.ALERT, BroadcastKind.STAND_DOWN) or data.kind not in BroadcastKind.values:
        raise ServiceError(
            f"kind must be one of {[k for k in BroadcastKind.values if k not in ('alert', 'stand_down')]}"
        )
    if data.repeat not in Repeat.values:
        raise ServiceError(f"repeat must be one of {Repeat.values}")
    b = services.do_compose(
        scope,
        {
            **data.dict(),
            "saved_audience": access_audience_by_scope(scope, data.audience) if data.audience else None,
            "communities": _rows(OrgUnit, data.communities, "communities"),
            "grids": _rows(Grid, data.grids, "grids"),
            "groups": _rows(ChatGroup, data.groups, "groups"),
            "departments": _rows(Department, data.departments, "departments"),
        },
    )
    return 201, present(b)


@router.post("/broadcasts/preview", response=list[PreviewOut], auth=API_AUTH)
def preview(request: HttpRequest, data: PreviewIn):
    if not can_compose(request_scope(request)):
        raise NotAllowed("only officers and leaders write broadcasts")
    return channel_previews(data.title, services.preview_text(data.template, data.variables))


@router.get("/broadcasts/{int:broadcast_id}", response=BroadcastOut, auth=API_AUTH)
def get_broadcast(request: HttpRequest, broadcast_id: int):
    return present(access_broadcast_by_scope(request_scope(request), broadcast_id))


@router.post("/broadcasts/{int:broadcast_id}/decline", response=BroadcastOut, auth=API_AUTH)
def decline(request: HttpRequest, broadcast_id: int, data: DeclineIn):
    scope = request_scope(request)
    services.check_not_alert(access_broadcast_by_scope(scope, broadcast_id))
    return present(services.do_decline(scope, broadcast_id, data.note))


@router.get("/broadcasts/{int:broadcast_id}/report", auth=API_AUTH)
def report(request: HttpRequest, broadcast_id: int):
    b = access_broadcast_by_scope(request_scope(request), broadcast_id)
    return [
        {
            "slot": r.run.slot,
            "counts": dict(r.counts),
            "lines": [
                {
                    "to": x.label,
                    "transport": x.transport,
                    "status": x.status,
                    "why": x.why,
                    "attempts": x.attempts,
                    "sent_at": x.sent_at.isoformat() if x.sent_at else None,
                    "answer": x.answer,
                }
                for x in r.lines
            ],
        }
        for r in broadcast_report(b)
    ]


@router.post("/broadcasts/{int:broadcast_id}/{action}", response=BroadcastOut, auth=API_AUTH)
def act(request: HttpRequest, broadcast_id: int, action: str):
    scope = request_scope(request)
    services.check_not_alert(access_broadcast_by_scope(scope, broadcast_id))
    if action not in ACTIONS:
        raise Http404(f"no action {action!r}")
    getattr(services, f"do_{action}")(scope, broadcast_id)
    return present(access_broadcast_by_scope(scope, broadcast_id))


# --- alerts ------------------------------------------------------------------------------------


class AlertIn(Schema):
    kind: str
    headline: str
    description: str
    last_seen_at: datetime
    last_seen_place: str
    lat: float
    lon: float
    radius_m: int = 1000
    grids: list[int] = []
    audience: int | None = None  # a saved audience told besides the people around the place


class PhotoOut(Schema):
    url: str
    mime_type: str
    size: int | None
    digest: str


class AlertCloseIn(Schema):
    outcome: str


class AlertSightingOut(Schema):
    seen_at: datetime
    place: str
    sender: str
    text: str
    channel: str


class AlertOut(Schema):
    id: int
    code: str
    kind: str
    state: str
    headline: str
    author: str
    approved_by: str | None
    outcome: str
    photo: PhotoOut | None
    sightings: list[AlertSightingOut]


def present_photo(a: Alert) -> dict | None:
    if not a.photo:
        return None
    return {
        "url": public_url(reverse("broadcasts:alert_photo", args=[a.public_token])),
        "mime_type": cap.photo_type(a),
        "size": a.photo_size,
        "digest": a.photo_digest,
    }


def present_alert(a: Alert) -> dict:
    return {
        "id": a.pk,
        "code": a.code,
        "kind": a.kind,
        "state": a.state,
        "headline": a.headline,
        "author": a.author.name,
        "approved_by": a.approved_by.name if a.approved_by else None,
        "outcome": a.outcome,
        "photo": present_photo(a),
        "sightings": list(a.sightings.values("seen_at", "place", "sender", "text", "channel")),
    }


@router.get("/broadcasts/alerts", response=list[AlertOut], auth=API_AUTH)
def list_alerts(request: HttpRequest):
    return [present_alert(a) for a in visible_alerts(request_scope(request))[:200]]


@router.post("/broadcasts/alerts", response={201: AlertOut}, auth=API_AUTH)
def create_alert(request: HttpRequest, data: AlertIn):
    if data.kind not in AlertKind.values:
        raise ServiceError(f"kind must be one of {AlertKind.values}")
    if not 100 <= data.radius_m <= 20_000:
        raise ServiceError("radius_m must be between 100 and 20000")
    draft = alerts.AlertDraft(
        kind=data.kind,
        headline=data.headline,
        description=data.description[:300],
        last_seen_at=data.last_seen_at,
        last_seen_place=data.last_seen_place,
        lat=data.lat,
        lon=data.lon,
        radius_m=data.radius_m,
        grids=_rows(Grid, data.grids, "grids"),
    )
    scope = request_scope(request)
    if data.audience:
        draft.audience = access_audience_by_scope(scope, data.audience)
    return 201, present_alert(alerts.do_create_alert(scope, draft))


@router.get("/broadcasts/alerts/{int:alert_id}", response=AlertOut, auth=API_AUTH)
def get_alert(request: HttpRequest, alert_id: int):
    return present_alert(access_alert_by_scope(request_scope(request), alert_id))


@router.post("/broadcasts/alerts/{int:alert_id}/submit", response=AlertOut, auth=API_AUTH)
def submit_alert(request: HttpRequest, alert_id: int):
    scope = request_scope(request)
    access_alert_by_scope(scope, alert_id)
    return present_alert(alerts.do_submit_alert(scope, alert_id))


@router.post("/broadcasts/alerts/{int:alert_id}/approve", response=AlertOut, auth=API_AUTH)
def approve_alert(request: HttpRequest, alert_id: int):
    scope = request_scope(request)
    access_alert_by_scope(scope, alert_id)
    return present_alert(alerts.do_approve_alert(scope, alert_id))


@router.post("/broadcasts/alerts/{int:alert_id}/close", response=AlertOut, auth=API_AUTH)
def close_alert(request: HttpRequest, alert_id: int, data: AlertCloseIn):
    scope = request_scope(request)
    access_alert_by_scope(scope, alert_id)
    return present_alert(alerts.do_close_alert(scope, alert_id, data.outcome))


@router.post("/broadcasts/alerts/{int:alert_id}/photo", response=AlertOut, auth=API_AUTH)
def alert_photo(request: HttpRequest, alert_id: int, photo: UploadedFile = File(...)):  # noqa: B008
    """multipart/form-data with the file in ``photo``: JPEG, PNG or WebP, at most 8 MB; it is
    re-encoded without EXIF/GPS before it is kept, and replaces an earlier photo."""
    scope = request_scope(request)
    access_alert_by_scope(scope, alert_id)
    return present_alert(alerts.do_set_photo(scope, alert_id, photo))


# --- saved audiences ---------------------------------------------------------------------------


class AudienceIn(Schema):
    name: str
    communities: list[int] = []
    grids: list[int] = []
    groups: list[int] = []
    departments: list[int] = []
    area_groups: bool = True
    grid_members: bool = False
    building_heads: bool = False
    volunteers: bool = False
    sms_residents: bool = False


class AudienceOut(Schema):
    id: int
    name: str
    communities: list[int]
    grids: list[int]
    groups: list[int]
    departments: list[int]
    area_groups: bool
    grid_members: bool
    building_heads: bool
    volunteers: bool
    sms_residents: bool
    created_by: str | None
    updated_at: datetime


def present_audience(a: Audience) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "communities": sorted(a.communities.values_list("id", flat=True)),
        "grids": sorted(a.grids.values_list("id", flat=True)),
        "groups": sorted(a.groups.values_list("id", flat=True)),
        "departments": sorted(a.departments.values_list("id", flat=True)),
        "area_groups": a.area_groups,
        "grid_members": a.grid_members,
        "building_heads": a.building_heads,
        "volunteers": a.volunteers,
        "sms_residents": a.sms_residents,
        "created_by": a.created_by.name if a.created_by else None,
        "updated_at": a.updated_at,
    }


def audience_spec(data: AudienceIn) -> services.AudienceSpec:
    return services.AudienceSpec(
        name=data.name,
        communities=_rows(OrgUnit, data.communities, "communities"),
        grids=_rows(Grid, data.grids, "grids"),
        groups=_rows(ChatGroup, data.groups, "groups"),
        departments=_rows(Department, data.departments, "departments"),
        area_groups=data.area_groups,
        grid_members=data.grid_members,
        building_heads=data.building_heads,
        volunteers=data.volunteers,
        sms_residents=data.sms_residents,
    )


@router.get("/broadcasts/audiences", response=list[AudienceOut], auth=API_AUTH)
def list_audiences(request: HttpRequest):
    return [present_audience(a) for a in visible_audiences(request_scope(request))[:200]]


@router.post("/broadcasts/audiences", response={201: AudienceOut}, auth=API_AUTH)
def save_audience(request: HttpRequest, data: AudienceIn):
    return 201, present_audience(services.do_save_audience(request_scope(request), audience_spec(data)))


@router.get("/broadcasts/audiences/{int:audience_id}", response=AudienceOut, auth=API_AUTH)
def get_audience(request: HttpRequest, audience_id: int):
    return present_audience(access_audience_by_scope(request_scope(request), audience_id))


@router.put("/broadcasts/audiences/{int:audience_id}", response=AudienceOut, auth=API_AUTH)
def edit_audience(request: HttpRequest, audience_id: int, data: AudienceIn):
    scope = request_scope(request)
    audience = access_audience_by_scope(scope, audience_id)
    return present_audience(services.do_edit_audience(scope, audience, audience_spec(data)))
