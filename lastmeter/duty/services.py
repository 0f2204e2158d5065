"""Every write to duty posts and joint campaigns. ``check_*`` validate, ``do_*`` write inside a
transaction with the row locked; campaigns change state only through ``CAMPAIGN_TRANSITIONS``.

Refusals: a viewer outside the community (or a resident) may not plan; a campaign may not end
before it starts; a daily result must fall inside the campaign's period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from lastmeter.accounts.models import DutyShift, OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import Appeal, Category
from lastmeter.dispatching.choices import Agency
from lastmeter.dispatching.models import Unit
from lastmeter.duty.algorithms.hours import busy_windows
from lastmeter.duty.choices import CAMPAIGN_TRANSITIONS, RESULT_STATES, HoursSource, PostKind
from lastmeter.duty.models import Campaign, DailyResult, DutyPost, PostAssignment, PostHours
from lastmeter.duty.selectors import access_campaign_by_scope, access_post_by_scope, may_plan
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.geo import haversine_m, validate_lat_lon
from lastmeter.lib.transitions import check_transition
from lastmeter.planning.models import AccidentRecord
from lastmeter.planning.unit_services import accident_category_q

# The agency that answers appeals handled by this department code (everything else: police).
DEPARTMENT_AGENCY = {"urban_management": Agency.URBAN_MANAGEMENT}


def check_may_plan(scope: Scope, community: OrgUnit | None) -> None:
    if not may_plan(scope, community.pk if community else None):
        raise NotAllowed(_("You may not plan duty or campaigns in this community."))


def do_create_post(
    scope: Scope, *, name: str, kind: str, lat: float, lon: float, community: OrgUnit, radius_m: int = 150
) -> DutyPost:
    check_may_plan(scope, community)
    validate_lat_lon(lat, lon)
    if kind not in PostKind.values:
        raise ServiceError(_("Unknown kind of post."))
    if not name.strip():
        raise ServiceError(_("A post needs a name."))
    return DutyPost.objects.create(
        name=name.strip(), kind=kind, lat=lat, lon=lon, community=community, radius_m=max(20, radius_m)
    )


def hourly_counts(post: DutyPost, since: datetime) -> dict[str, list[float]]:
    """Accidents and appeals within the post's radius since ``since``, by local hour of day and
    by the agency that answers them: accidents, and appeals about accidents or congestion, the
    traffic police; appeals of urban management's categories, urban management; the rest, police."""
    counts: dict[str, list[float]] = {}
    # A bounding box first (about 111 km per degree of latitude), then the exact distance.
    d = post.radius_m / 111_000 * 1.5
    box = {"lat__range": (post.lat - d, post.lat + d), "lon__range": (post.lon - 2 * d, post.lon + 2 * d)}
    for lat, lon, at in AccidentRecord.objects.filter(occurred_at__gte=since, **box).values_list(
        "lat", "lon", "occurred_at"
    ):
        if haversine_m(post.lat, post.lon, lat, lon) <= post.radius_m:
            counts.setdefault(Agency.TRAFFIC_POLICE, [0.0] * 24)[timezone.localtime(at).hour] += 1
    appeals = Appeal.objects.filter(created_at__gte=since, **box)
    traffic = set(
        appeals.filter(accident_category_q() | Q(category__code__icontains="congestion")).values_list(
            "id", flat=True
        )
    )
    for a_id, a_lat, a_lon, a_at, dept in appeals.values_list(
        "id", "lat", "lon", "created_at", "category__department__code"
    ):
        if a_lat is None or a_lon is None or haversine_m(post.lat, post.lon, a_lat, a_lon) > post.radius_m:
            continue
        if a_id in traffic:
            agency = Agency.TRAFFIC_POLICE
        else:
            agency = DEPARTMENT_AGENCY.get(dept or "", Agency.POLICE)
        counts.setdefault(agency, [0.0] * 24)[timezone.localtime(a_at).hour] += 1
    return counts


def do_draft_hours(
    scope: Scope, post_id: int, *, since: datetime, share: float = 0.5, minimum: float = 2.0
) -> list[PostHours]:
    """Replace the post's drafted windows with the busy hours of the figures since ``since``;
    windows set by hand stay."""
    post = access_post_by_scope(scope, post_id)
    check_may_plan(scope, post.community)
    counts = hourly_counts(post, since)
    with transaction.atomic():
        DutyPost.objects.select_for_update().get(pk=post.pk)
        post.hours.filter(source=HoursSource.DRAFTED).delete()
        made = []
        for agency, hourly in sorted(counts.items()):
            for start, end in busy_windows(hourly, share=share, minimum=minimum):
                basis = _("%(n)d cases in these hours since %(since)s") % {
                    "n": int(sum(hourly[start:end])),
                    "since": timezone.localdate(since).isoformat(),
                }
                made.append(
                    PostHours.objects.create(
                        post=post,
                        agency=agency,
                        start_hour=start,
                        end_hour=end,
                        source=HoursSource.DRAFTED,
                        basis=basis,
                    )
                )
    return made


def do_set_hours(scope: Scope, post_id: int, *, agency: str, start_hour: int, end_hour: int) -> PostHours:
    post = access_post_by_scope(scope, post_id)
    check_may_plan(scope, post.community)
    if agency not in Agency.values:
        raise ServiceError(_("Unknown agency."))
    if not (0 <= start_hour < end_hour <= 24):
        raise ServiceError(_("The staffed hours must run forward within one day (0–24)."))
    return PostHours.objects.create(
        post=post, agency=agency, start_hour=start_hour, end_hour=end_hour, source=HoursSource.MANUAL
    )


def do_assign_shift(
    scope: Scope, post_id: int, *, shift: DutyShift, agency: str, unit: Unit | None = None
) -> PostAssignment:
    """Put a roster shift at a post. The unit, if any, must be of the agency it staffs."""
    post = access_post_by_scope(scope, post_id)
    check_may_plan(scope, post.community)
    if agency not in Agency.values:
        raise ServiceError(_("Unknown agency."))
    if unit is not None and unit.agency != agency:
        raise ServiceError(_("Unit %(code)s does not belong to that agency.") % {"code": unit.code})
    return PostAssignment.objects.create(post=post, shift=shift, agency=agency, unit=unit)


# --- joint campaigns -----------------------------------------------------------------------------


@dataclass
class NewCampaign:
    name: str
    community: OrgUnit
    target: str
    starts_on: date
    ends_on: date
    category: Category | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    area: dict | None = None
    agencies: list[str] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)


def check_campaign(new: NewCampaign) -> None:
    if not new.name.strip() or not new.target.strip():
        raise ServiceError(_("A campaign needs a name and a target."))
    if new.ends_on < new.starts_on:
        raise ServiceError(_("A campaign cannot end before it starts."))
    if new.area:
        try:
            polygon = shape(new.area)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise ServiceError(_("The target area is not a GeoJSON polygon.")) from None
        if polygon.geom_type not in ("Polygon", "MultiPolygon") or not polygon.is_valid:
            raise ServiceError(_("The target area is not a GeoJSON polygon."))
    else:
        validate_lat_lon(new.lat, new.lon)
        if new.lat is None or not new.radius_m:
            raise ServiceError(_("A campaign's target area needs a polygon or a point with a radius."))
    if not new.agencies or any(a not in Agency.values for a in new.agencies):
        raise ServiceError(_("Name the participating agencies."))
    for unit in new.units:
        if unit.agency not in new.agencies:
            raise ServiceError(
                _("Unit %(code)s does not belong to a participating agency.") % {"code": unit.code}
            )


def do_create_campaign(scope: Scope, new: NewCampaign) -> Campaign:
    check_may_plan(scope, new.community)
    check_campaign(new)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=new.name.strip(),
            community=new.community,
            category=new.category,
            target=new.target.strip(),
            lat=new.lat,
            lon=new.lon,
            radius_m=new.radius_m,
            area=new.area,
            starts_on=new.starts_on,
            ends_on=new.ends_on,
            agencies=sorted(set(new.agencies)),
            created_by=scope.person,
        )
        campaign.units.set(new.units)
    return campaign


def do_move_campaign(scope: Scope, campaign_id: int, target: str) -> Campaign:
    campaign = access_campaign_by_scope(scope, campaign_id)
    check_may_plan(scope, campaign.community)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        check_transition(CAMPAIGN_TRANSITIONS, campaign.state, target, "campaign")
        campaign.state = target
        campaign.save(update_fields=["state", "updated_at"])
    return campaign


def do_enter_result(
    scope: Scope,
    campaign_id: int,
    *,
    day: date,
    cases_handled: int,
    penalties: int,
    appeals_resolved: int,
    note: str = "",
) -> DailyResult:
    """Enter (or correct) one day's results; the day must lie within the campaign's period."""
    campaign = access_campaign_by_scope(scope, campaign_id)
    check_may_plan(scope, campaign.community)
    if min(cases_handled, penalties, appeals_resolved) < 0:
        raise ServiceError(_("Results cannot be negative."))
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.state not in RESULT_STATES:
            raise ServiceError(_("This campaign no longer takes results."))
        if not (campaign.starts_on <= day <= campaign.ends_on):
            raise ServiceError(
                _("%(day)s is outside the campaign's period (%(start)s to %(end)s).")
                % {"day": day, "start": campaign.starts_on, "end": campaign.ends_on}
            )
        result, _created = DailyResult.objects.update_or_create(
            campaign=campaign,
            day=day,
            defaults={
                "cases_handled": cases_handled,
                "penalties": penalties,
                "appeals_resolved": appeals_resolved,
                "note": note,
                "entered_by": scope.person,
            },
        )
    return result
