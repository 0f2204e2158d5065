"""Request and response shapes of the appeals API (Django Ninja schemas)."""

from __future__ import annotations

from datetime import datetime

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
    into: int | None = None
    person: int | None = None


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


class TrackOut(Schema):
    reference: str
    state: str
    category: str | None
    created_at: datetime
    resolution: str
    department: str | None
    events: list[EventOut]


class RateIn(Schema):
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class ContestIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class ErrorOut(Schema):
    detail: str
