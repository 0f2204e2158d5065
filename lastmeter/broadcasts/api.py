"""/api/v1/broadcasts: list, compose, preview, act (submit/approve/decline/pause/resume/cancel),
report. Thin: the same services and selectors as the pages, through the caller's Scope."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import Department, OrgUnit
from lastmeter.broadcasts import services
from lastmeter.broadcasts.choices import BroadcastKind, Repeat
from lastmeter.broadcasts.models import Broadcast, ChatGroup
from lastmeter.broadcasts.selectors import (
    access_broadcast_by_scope,
    broadcast_report,
    can_compose,
    channel_previews,
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


class EventOut(Schema):
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
    events: list[EventOut]


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


@router.get("/broadcasts/{broadcast_id}", response=BroadcastOut, auth=API_AUTH)
def get_broadcast(request: HttpRequest, broadcast_id: int):
    return present(access_broadcast_by_scope(request_scope(request), broadcast_id))


@router.post("/broadcasts/{broadcast_id}/decline", response=BroadcastOut, auth=API_AUTH)
def decline(request: HttpRequest, broadcast_id: int, data: DeclineIn):
    scope = request_scope(request)
    access_broadcast_by_scope(scope, broadcast_id)
    return present(services.do_decline(scope, broadcast_id, data.note))


@router.get("/broadcasts/{broadcast_id}/report", auth=API_AUTH)
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


@router.post("/broadcasts/{broadcast_id}/{action}", response=BroadcastOut, auth=API_AUTH)
def act(request: HttpRequest, broadcast_id: int, action: str):
    scope = request_scope(request)
    access_broadcast_by_scope(scope, broadcast_id)
    if action not in ACTIONS:
        raise Http404(f"no action {action!r}")
    getattr(services, f"do_{action}")(scope, broadcast_id)
    return present(access_broadcast_by_scope(scope, broadcast_id))
