"""The duty API under /api/v1/duty: posts and the roster check, who is on post now (the command
centre reads it), and joint campaigns with their daily results and before/after figure. Thin
handlers over selectors and services."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.models import OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import Category
from lastmeter.dispatching.models import Unit
from lastmeter.duty import selectors, services
from lastmeter.duty.models import Campaign
from lastmeter.lib.errors import ServiceError

router = Router(tags=["duty"])


class StaffedHoursOut(Schema):
    agency: str
    start_hour: int
    end_hour: int
    source: str
    basis: str


class PostOut(Schema):
    id: int
    name: str
    kind: str
    lat: float
    lon: float
    community: str
    hours: list[StaffedHoursOut]


class GapOut(Schema):
    post: int
    post_name: str
    agency: str
    hours: list[int]


class OnPostOut(Schema):
    post: int
    post_name: str
    lat: float
    lon: float
    person: str
    agency: str
    unit: str
    until: str


class CampaignIn(Schema):
    name: str
    community: int
    target: str
    starts_on: date
    ends_on: date
    agencies: list[str]
    category: str = ""  # a category code
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    area: dict | None = None
    units: list[str] = []  # call signs


class CampaignOut(Schema):
    id: int
    name: str
    target: str
    community: str
    category: str
    state: str
    starts_on: date
    ends_on: date
    agencies: list[str]
    units: list[str]
    totals: dict[str, int]


class ResultIn(Schema):
    day: date
    cases_handled: int = 0
    penalties: int = 0
    appeals_resolved: int = 0
    note: str = ""


class BeforeAfterOut(Schema):
    days: int
    before_start: date
    before_end: date
    during_start: date
    during_end: date
    before: int
    during: int
    change: float | None


class DutyErrorOut(Schema):
    detail: str


def viewer(request: HttpRequest) -> Scope:
    scope = request_scope(request)
    if not selectors.may_view(scope):
        raise Http404("no duty here")
    return scope


@router.get("/duty/posts", response=list[PostOut], auth=API_AUTH)
def list_posts(request: HttpRequest):
    return [
        {
            "id": p.pk,
            "name": p.name,
            "kind": p.kind,
            "lat": p.lat,
            "lon": p.lon,
            "community": p.community.name,
            "hours": list(p.hours.all()),
        }
        for p in selectors.visible_posts(viewer(request))
    ]


@router.get("/duty/gaps", response=list[GapOut], auth=API_AUTH)
def roster_gaps(request: HttpRequest, day: date | None = None):
    gaps = selectors.roster_gaps(viewer(request), day or timezone.localdate())
    return [{"post": g.post.pk, "post_name": g.post.name, "agency": g.agency, "hours": g.hours} for g in gaps]


@router.get("/duty/on-post", response=list[OnPostOut], auth=API_AUTH, url_name="duty_on_post")
def on_post(request: HttpRequest):
    return [
        {
            "post": a.post_id,
            "post_name": a.post.name,
            "lat": a.post.lat,
            "lon": a.post.lon,
            "person": a.shift.person.name,
            "agency": a.get_agency_display(),
            "unit": a.unit.code if a.unit else "",
            "until": timezone.localtime(a.shift.ends_at).strftime("%H:%M"),
        }
        for a in selectors.on_post_now(viewer(request))
    ]


def campaign_row(c: Campaign) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "target": c.target,
        "community": c.community.name,
        "category": c.category.code if c.category else "",
        "state": c.state,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "agencies": c.agencies,
        "units": [u.code for u in c.units.all()],
        "totals": selectors.campaign_totals(c),
    }


@router.get("/duty/campaigns", response=list[CampaignOut], auth=API_AUTH)
def list_campaigns(request: HttpRequest):
    return [
        campaign_row(c)
        for c in selectors.visible_campaigns(viewer(request)).prefetch_related("units", "results")
    ]


@router.post(
    "/duty/campaigns", response={201: CampaignOut, 400: DutyErrorOut, 403: DutyErrorOut}, auth=API_AUTH
)
def create_campaign(request: HttpRequest, payload: CampaignIn):
    scope = request_scope(request)
    community = OrgUnit.objects.filter(pk=payload.community).first()
    if community is None:
        raise ServiceError("no such community")
    category = None
    if payload.category:
        category = Category.objects.filter(code=payload.category).first()
        if category is None:
            raise ServiceError(f"no category {payload.category}")
    units = list(Unit.objects.filter(code__in=payload.units))
    if len(units) != len(set(payload.units)):
        raise ServiceError("unknown unit call sign")
    new = services.NewCampaign(
        name=payload.name,
        community=community,
        target=payload.target,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        category=category,
        lat=payload.lat,
        lon=payload.lon,
        radius_m=payload.radius_m,
        area=payload.area,
        agencies=payload.agencies,
        units=units,
    )
    return 201, campaign_row(services.do_create_campaign(scope, new))


@router.get("/duty/campaigns/{campaign_id}", response=CampaignOut, auth=API_AUTH)
def get_campaign(request: HttpRequest, campaign_id: int):
    return campaign_row(selectors.access_campaign_by_scope(viewer(request), campaign_id))


@router.put(
    "/duty/campaigns/{campaign_id}/results", response={200: CampaignOut, 400: DutyErrorOut}, auth=API_AUTH
)
def enter_result(request: HttpRequest, campaign_id: int, payload: ResultIn):
    scope = request_scope(request)
    services.do_enter_result(scope, campaign_id, **payload.dict())
    return campaign_row(selectors.access_campaign_by_scope(scope, campaign_id))


@router.get("/duty/campaigns/{campaign_id}/before-after", response=BeforeAfterOut, auth=API_AUTH)
def before_after(request: HttpRequest, campaign_id: int):
    scope = viewer(request)
    figure = selectors.before_after(scope, selectors.access_campaign_by_scope(scope, campaign_id))
    return {**figure.__dict__, "change": figure.change}
