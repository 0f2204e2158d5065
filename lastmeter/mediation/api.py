"""The mediation API under /api/v1/mediation: thin handlers over selectors and services."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.services import log_access
from lastmeter.appeals.models import Appeal
from lastmeter.lib.errors import ServiceError
from lastmeter.mediation import selectors, services
from lastmeter.mediation.actions import run_action
from lastmeter.mediation.models import MediationCase

router = Router(tags=["mediation"])


class PartyIn(Schema):
    name: str
    side: str
    phone: str = ""


class CaseIn(Schema):
    dispute_type: str
    summary: str
    mediator: int
    mediator_kind: str
    appeal: str = ""  # an appeal's reference; empty for a walk-in
    community: int | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    parties: list[PartyIn] = []


class CaseOut(Schema):
    id: int
    reference: str
    state: str
    source: str
    dispute_type: str
    mediator: str
    mediator_kind: str
    community: str
    outcome: str
    recurrence_flag: bool
    opened_at: datetime
    agreed_at: datetime | None


class CaseDetailOut(CaseOut):
    summary: str
    actions: list[str]
    parties: list[dict]
    sessions: list[dict]
    follow_ups: list[dict]
    recurrences: list[dict]


class MediationActionIn(Schema):
    note: str = ""
    name: str = ""
    phone: str = ""
    side: str = ""
    party: int | None = None
    how: str = ""
    held_at: datetime | None = None
    place: str = ""
    attendees: str = ""
    notes: str = ""
    text: str = ""
    terms: str = ""
    partial: bool = False
    target: str = ""
    department: int | None = None
    follow_up: int | None = None
    kept: bool = False


class MediationErrorOut(Schema):
    detail: str


def _row(case: MediationCase) -> dict:
    return {
        "id": case.pk,
        "reference": case.reference,
        "state": case.state,
        "source": case.source,
        "dispute_type": case.dispute_type,
        "mediator": case.mediator.name,
        "mediator_kind": case.mediator_kind,
        "community": case.community.name if case.community else "",
        "outcome": case.outcome,
        "recurrence_flag": case.recurrence_flag,
        "opened_at": case.opened_at,
        "agreed_at": case.agreed_at,
    }


def _detail(request: HttpRequest, case: MediationCase) -> dict:
    scope = request_scope(request)
    log_access(scope.person, "mediation parties", case, "API", user=getattr(request, "user", None))
    return _row(case) | {
        "summary": case.summary,
        "actions": selectors.available_actions(scope, case),
        "parties": [
            {"id": p.pk, "name": p.name, "phone": p.phone, "side": p.side, "consent_at": p.consent_at}
            for p in case.parties.all()
        ],
        "sessions": [{"held_at": s.held_at, "place": s.place, "notes": s.notes} for s in case.sessions.all()],
        "follow_ups": [
            {"id": f.pk, "due_on": f.due_on, "state": f.state, "kept": f.kept} for f in case.follow_ups.all()
        ],
        "recurrences": [
            {"appeal": r.appeal.reference, "reason": r.reason}
            for r in case.recurrences.select_related("appeal")
        ],
    }


@router.get("/mediation/cases", response=list[CaseOut], auth=API_AUTH)
def list_cases(request: HttpRequest, offset: int = 0, limit: int = 100):
    qs = selectors.visible_cases(request_scope(request))
    return [
        _row(c) for c in qs[min(max(0, offset), 10**9) : min(max(0, offset), 10**9) + max(1, min(limit, 500))]
    ]


@router.post(
    "/mediation/cases",
    response={201: CaseDetailOut, 400: MediationErrorOut, 403: MediationErrorOut, 404: MediationErrorOut},
    auth=API_AUTH,
)
def open_case(request: HttpRequest, payload: CaseIn):
    scope = request_scope(request)
    mediator = Person.objects.filter(pk=payload.mediator).first()
    if mediator is None:
        raise ServiceError(f"no person {payload.mediator}")
    appeal = None
    if payload.appeal:
        appeal = Appeal.objects.filter(reference=payload.appeal).first()
        if appeal is None:
            return 404, {"detail": f"no appeal {payload.appeal}"}
    community = OrgUnit.objects.filter(pk=payload.community).first() if payload.community else None
    case = services.do_open_case(
        scope,
        services.NewCase(
            dispute_type=payload.dispute_type,
            summary=payload.summary,
            mediator=mediator,
            mediator_kind=payload.mediator_kind,
            appeal=appeal,
            community=community,
            address=payload.address,
            lat=payload.lat,
            lon=payload.lon,
            parties=[services.NewParty(p.name, p.side, p.phone) for p in payload.parties],
        ),
    )
    return 201, _detail(request, case)


@router.get("/mediation/cases/{case_id}", response=CaseDetailOut, auth=API_AUTH)
def get_case(request: HttpRequest, case_id: int):
    return _detail(request, selectors.access_case_by_scope(request_scope(request), case_id))


@router.post(
    "/mediation/cases/{case_id}/actions/{action}",
    response={
        200: CaseDetailOut,
        400: MediationErrorOut,
        403: MediationErrorOut,
        404: MediationErrorOut,
        409: MediationErrorOut,
    },
    auth=API_AUTH,
)
def act(request: HttpRequest, case_id: int, action: str, body: MediationActionIn):
    """One action (``actions`` on the case lists what the caller may do now)."""
    case = run_action(request_scope(request), case_id, action, body.dict())
    return 200, _detail(request, case)
