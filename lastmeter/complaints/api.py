"""The complaints API under /api/v1/complaints: thin handlers over selectors and services."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import Person
from lastmeter.accounts.services import log_access
from lastmeter.complaints import selectors, services
from lastmeter.complaints.actions import run_action
from lastmeter.complaints.presenters import complaint_detail, complaint_row
from lastmeter.complaints.statements import (
    access_complaint_about_me,
    complaints_about_me,
    do_submit_statement,
    statement_view,
)
from lastmeter.lib.errors import NotAllowed

router = Router(tags=["complaints"])


class ComplaintIn(Schema):
    channel: str = "api"
    subject_kind: str
    text: str
    complainant_name: str
    complainant_phone: str = ""
    complainant_email: str = ""
    complainant_address: str = ""
    decision_number: str = ""
    ticket_number: str = ""
    incident_at: datetime | None = None
    place: str = ""
    officer: int | None = None
    officer_description: str = ""


class ComplaintOut(Schema):
    id: int
    reference: str
    state: str
    state_label: str
    channel: str
    subject_kind: str
    number: str
    complainant: str
    officer: str
    unit: str
    reviewer: str
    round: int
    next_deadline_at: datetime | None
    created_at: datetime


class ComplaintDetailOut(ComplaintOut):
    text: str
    phone: str
    email: str
    address: str
    contact_shown: bool
    actions: list[str]
    clocks: list[dict]
    evidence: list[dict]
    decisions: list[dict]
    events: list[dict]


class ComplaintActionIn(Schema):
    note: str = ""
    reason: str = ""
    officer: int | None = None
    reviewer: int | None = None
    kind: str = ""
    description: str = ""
    reasons: str = ""


class ComplaintErrorOut(Schema):
    detail: str


class StatementIn(Schema):
    text: str


class StatementOut(Schema):
    """A complaint as its officer concerned sees it: nothing of the complainant."""

    id: int
    reference: str
    state: str
    state_label: str
    subject_label: str
    number: str
    incident_at: datetime | None
    place: str
    text: str
    round: int
    open: bool
    statement: str
    statement_at: datetime | None


@router.get("/complaints/about-me", response=list[StatementOut], auth=API_AUTH)
def complaints_about_me_api(request: HttpRequest):
    """The complaints about the caller, with the statement they gave (the officer concerned's
    view: no complainant's name or contact details)."""
    scope = request_scope(request)
    return [statement_view(c, scope) for c in complaints_about_me(scope)[:100]]


@router.post(
    "/complaints/{complaint_id}/statement",
    response={201: StatementOut, 400: ComplaintErrorOut, 403: ComplaintErrorOut, 404: ComplaintErrorOut},
    auth=API_AUTH,
)
def submit_statement(request: HttpRequest, complaint_id: int, body: StatementIn):
    """The officer concerned gives their statement (once per round, while under review); 404
    for anyone else."""
    scope = request_scope(request)
    do_submit_statement(scope, complaint_id, text=body.text)
    return 201, statement_view(access_complaint_about_me(scope, complaint_id), scope)


@router.get("/complaints", response=list[ComplaintOut], auth=API_AUTH)
def list_complaints(request: HttpRequest, offset: int = 0, limit: int = 100):
    qs = selectors.visible_complaints(request_scope(request))
    return [
        complaint_row(c)
        for c in qs[min(max(0, offset), 10**9) : min(max(0, offset), 10**9) + max(1, min(limit, 500))]
    ]


@router.post(
    "/complaints",
    response={201: ComplaintDetailOut, 400: ComplaintErrorOut, 403: ComplaintErrorOut},
    auth=API_AUTH,
)
def file_complaint(request: HttpRequest, payload: ComplaintIn):
    """Record a complaint received on any channel (staff of the legal office or the station)."""
    scope = request_scope(request)
    if not selectors.works_on_complaints(scope):
        raise NotAllowed("only the legal office and the station's staff record complaints")
    data = payload.dict()
    officer_id = data.pop("officer")
    officer = Person.objects.filter(pk=officer_id).first() if officer_id else None
    if officer_id and officer is None:
        return 400, {"detail": f"no person {officer_id}"}
    complaint = services.do_file_complaint(services.NewComplaint(**data, officer=officer), actor=scope.person)
    return 201, complaint_detail(scope, complaint)


@router.get("/complaints/{complaint_id}", response=ComplaintDetailOut, auth=API_AUTH)
def get_complaint(request: HttpRequest, complaint_id: int):
    scope = request_scope(request)
    complaint = selectors.access_complaint_by_scope(scope, complaint_id)
    data = complaint_detail(scope, complaint)
    if data["contact_shown"]:
        log_access(scope.person, "complainant contact", complaint, "API", user=getattr(request, "user", None))
    return data


@router.post(
    "/complaints/{complaint_id}/actions/{action}",
    response={
        200: ComplaintDetailOut,
        400: ComplaintErrorOut,
        403: ComplaintErrorOut,
        404: ComplaintErrorOut,
        409: ComplaintErrorOut,
    },
    auth=API_AUTH,
)
def act(request: HttpRequest, complaint_id: int, action: str, body: ComplaintActionIn):
    """One action (``actions`` on the complaint lists what the caller may do now); evidence
    files are added on the page, the API records evidence as text."""
    scope = request_scope(request)
    complaint = run_action(scope, complaint_id, action, body.dict())
    if not selectors.visible_complaints(scope).filter(pk=complaint.pk).exists():
        return 200, complaint_row(complaint) | {
            "text": "",
            "phone": "",
            "email": "",
            "address": "",
            "contact_shown": False,
            "actions": [],
            "clocks": [],
            "evidence": [],
            "decisions": [],
            "events": [],
        }
    return 200, complaint_detail(scope, complaint)
