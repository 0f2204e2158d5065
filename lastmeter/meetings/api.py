"""The meetings API under /api/v1/meetings and /api/v1/counter: thin handlers over selectors
and services (errors become 400/403/404/409 through the project's handlers)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import OrgUnit
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.meetings import selectors, services
from lastmeter.meetings.actions import run_action
from lastmeter.meetings.models import CounterVisit, Meeting

router = Router(tags=["meetings"])


class MeetingIn(Schema):
    community: int
    title: str
    held_at: datetime
    place: str


class MeetingActionIn(Schema):
    title: str = ""
    name: str = ""
    kind: str = ""
    department: int | None = None
    minutes: str = ""
    item: int | None = None
    decision: str = ""
    task: str = ""
    owner: int | None = None
    working_days: int = 0
    report: str = ""
    done: bool = False


class VisitIn(Schema):
    community: int
    kind: str
    matter: str
    visitor: str = ""


class FinishIn(Schema):
    outcome: str = ""


class MeetingErrorOut(Schema):
    detail: str


def _meeting(request: HttpRequest, meeting: Meeting) -> dict:
    scope = request_scope(request)
    return {
        "id": meeting.pk,
        "reference": meeting.reference,
        "title": meeting.title,
        "state": meeting.state,
        "community": meeting.community.name,
        "held_at": meeting.held_at,
        "place": meeting.place,
        "minutes": meeting.minutes,
        "actions": selectors.available_actions(scope, meeting),
        "agenda": [
            {
                "id": i.pk,
                "kind": i.kind,
                "title": i.title,
                "appeals": [a.reference for a in i.appeals.all()],
                "action_item": i.action_item_id,
            }
            for i in meeting.items.prefetch_related("appeals")
        ],
        "attendees": [{"name": a.name, "kind": a.kind} for a in meeting.attendees.all()],
        "action_items": [
            {
                "id": x.pk,
                "decision": x.decision,
                "task": x.task,
                "owner": x.owner.name,
                "due_at": x.due_at,
                "state": x.state,
                "report": x.report,
            }
            for x in meeting.action_items.select_related("owner")
        ],
    }


def _visit(v: CounterVisit) -> dict:
    return {
        "id": v.pk,
        "kind": v.kind,
        "matter": v.matter,
        "arrived_at": v.arrived_at,
        "served_at": v.served_at,
        "finished_at": v.finished_at,
        "outcome": v.outcome,
    }


def _start(offset: int) -> int:
    """The offset held to 0..10**9, as the other lists do: a huge one overflowed SQLite's
    integers (a 500, found by bench/fuzz_api.py)."""
    return min(max(0, offset), 10**9)


@router.get("/meetings", auth=API_AUTH)
def list_meetings(request: HttpRequest, offset: int = 0, limit: int = 100):
    qs = selectors.visible_meetings(request_scope(request))
    return [
        {"id": m.pk, "reference": m.reference, "title": m.title, "state": m.state, "held_at": m.held_at}
        for m in qs[_start(offset) : _start(offset) + max(1, min(limit, 500))]
    ]


@router.post("/meetings", response={201: dict, 400: MeetingErrorOut, 403: MeetingErrorOut}, auth=API_AUTH)
def schedule(request: HttpRequest, payload: MeetingIn):
    community = OrgUnit.objects.filter(pk=payload.community, kind="community").first()
    if community is None:
        raise ServiceError(f"no community {payload.community}")
    meeting = services.do_schedule_meeting(
        request_scope(request),
        community=community,
        title=payload.title,
        held_at=payload.held_at,
        place=payload.place,
    )
    return 201, _meeting(request, meeting)


@router.get("/meetings/{meeting_id}", auth=API_AUTH)
def get_meeting(request: HttpRequest, meeting_id: int):
    return _meeting(request, selectors.access_meeting_by_scope(request_scope(request), meeting_id))


@router.post(
    "/meetings/{meeting_id}/actions/{action}",
    response={
        200: dict,
        400: MeetingErrorOut,
        403: MeetingErrorOut,
        404: MeetingErrorOut,
        409: MeetingErrorOut,
    },
    auth=API_AUTH,
)
def act(request: HttpRequest, meeting_id: int, action: str, body: MeetingActionIn):
    """One action (``actions`` on the meeting lists what the caller may do now)."""
    return 200, _meeting(request, run_action(request_scope(request), meeting_id, action, body.dict()))


@router.get("/counter/visits", auth=API_AUTH)
def list_visits(request: HttpRequest, offset: int = 0, limit: int = 100):
    qs = selectors.visible_counter_visits(request_scope(request))
    return [_visit(v) for v in qs[_start(offset) : _start(offset) + max(1, min(limit, 500))]]


@router.post(
    "/counter/visits", response={201: dict, 400: MeetingErrorOut, 403: MeetingErrorOut}, auth=API_AUTH
)
def log_arrival(request: HttpRequest, payload: VisitIn):
    community = OrgUnit.objects.filter(pk=payload.community, kind="community").first()
    if community is None:
        raise ServiceError(f"no community {payload.community}")
    visit = services.do_log_arrival(
        request_scope(request),
        community=community,
        kind=payload.kind,
        matter=payload.matter,
        visitor=payload.visitor,
    )
    return 201, _visit(visit)


@router.post(
    "/counter/visits/{visit_id}/serve",
    response={200: dict, 400: MeetingErrorOut, 403: MeetingErrorOut},
    auth=API_AUTH,
)
def serve(request: HttpRequest, visit_id: int):
    return 200, _visit(services.do_serve(request_scope(request), visit_id))


@router.post(
    "/counter/visits/{visit_id}/finish",
    response={200: dict, 400: MeetingErrorOut, 403: MeetingErrorOut},
    auth=API_AUTH,
)
def finish(request: HttpRequest, visit_id: int, body: FinishIn):
    return 200, _visit(services.do_finish(request_scope(request), visit_id, outcome=body.outcome))


@router.get("/counter/figures", auth=API_AUTH)
def counter_figures(request: HttpRequest, start: datetime | None = None, end: datetime | None = None):
    scope = request_scope(request)
    if not selectors.may_organise(scope):
        raise NotAllowed("the counter figures are for the station's staff and the community's officers")
    f = selectors.counter_figures(selectors.visible_counter_visits(scope), start, end)
    return {
        "visits": f.visits,
        "finished": f.finished,
        "median_handling_min": f.median_handling_min,
        "median_waiting_min": f.median_waiting_min,
        "by_kind": {
            k.key: {"count": k.count, "median_handling_min": k.median_handling_min} for k in f.by_kind
        },
    }
