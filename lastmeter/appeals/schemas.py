"""Request and response shapes of the appeals API (Django Ninja schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class AppealIn(Schema):
    text: str = Field(..., min_length=1, max_length=20000)
    channel: str = "api"
    title: str = ""
    reporter_name: str = Field("", max_length=100)
    reporter_phone: str = Field("", max_length=40)
    reporter_email: str = ""
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=300)
    category: str | None = Field(None, description="category code")
    priority: int | None = Field(None, ge=1, le=4)


class AppealListOut(Schema):
    id: int
    reference: str | None
    state: str
    channel: str
    category: str | None
    grid: str | None
    assignee: str | None
    reporter: str = Field(..., description="masked name and phone")
    text: str
    lat: float | None
    lon: float | None
    priority: int
    created_at: datetime
    next_deadline_at: datetime | None
    overdue: bool
    updated_at: datetime | None = Field(None, description="last change; a client keeps the newest row")


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str
    channel: str
    from_state: str
    to_state: str
    note: str


class ClockOut(Schema):
    kind: str
    state: str
    started_at: datetime
    due_at: datetime
    warned_at: datetime | None
    breached_at: datetime | None
    met_at: datetime | None


class AppealDetailOut(AppealListOut):
    tracking_token: str | None = None
    address: str
    resolution: str
    department: str | None
    waiting_for_reporter: bool
    actions: list[str]
    can_call_reporter: bool = Field(
        False, description="the viewer may reveal the reporter's full number (POST …/reporter-phone)"
    )
    clocks: list[ClockOut]
    events: list[EventOut]


class ActionIn(Schema):
    note: str = ""
    reason: str = ""
    resolution: str = ""
    outcome: str = ""
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    department: str | None = None
    into: int | None = Field(None, description="id of the appeal to merge into")
    into_reference: str | None = Field(None, description="or its reference, e.g. LM20260302000123")
    person: int | None = Field(None, description="id of the person to assign (see /appeals/{id}/assignable)")


class AssigneeOut(Schema):
    id: int
    name: str
    roles: list[str]
    grids: list[str]
    units: list[str]


class RevealIn(Schema):
    reason: str = Field(..., max_length=300, description="why the full number is needed (access log)")


class RevealOut(Schema):
    appeal: int
    phone: str
    tel: str


class CreatedOut(Schema):
    id: int
    reference: str
    tracking_token: str
    tracking_url: str
    state: str


class TrackEventOut(Schema):
    at: datetime
    kind: str
    state: str
    label: str
    text: str


class TrackProgressOut(Schema):
    reference: str
    state: str
    state_label: str
    category: str | None
    created_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    land_due_at: datetime | None
    resolution: str = Field(..., description="the public reply")
    unit: str = Field(..., description="the responsible unit (community and grid, or department)")
    department: str | None
    events: list[TrackEventOut]


class TrackOut(TrackProgressOut):
    """What the reporter may see: public states and dates, the reply, the responsible unit, their
    own text; never staff notes, internal reasons, officers' names or another resident's text."""

    text: str
    merged_into: TrackProgressOut | None
    can_rate: bool
    can_contest: bool
    contests_left: int
    code_destination: str = Field(..., description="where a one-time code goes, masked")


class CodeOut(Schema):
    sent_to: str


class RateIn(Schema):
    score: Any = Field(..., description="a whole number from 1 to 5")
    comment: str = Field("", max_length=2000)
    code: str = Field("", max_length=20, description="the one-time code sent to the reporter")


class ContestIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)
    code: str = Field("", max_length=20, description="the one-time code sent to the reporter")


class ErrorOut(Schema):
    detail: str
