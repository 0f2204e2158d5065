"""Reads of duty posts and campaigns through the viewer's scope, the roster check, who is on post
now, and a campaign's before/after figure.

Posts and campaigns belong to a community: jurisdiction-wide staff see all of them, a community
officer and the grid people of that community see its own. ``access_*`` raise Http404 for a row
that is missing and for one the viewer may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from shapely.geometry import Point, shape

from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.selectors import visible_appeals
from lastmeter.duty.algorithms.hours import uncovered_hours
from lastmeter.duty.models import Campaign, DutyPost, PostAssignment
from lastmeter.grids.models import Grid
from lastmeter.lib.geo import haversine_m


def community_ids_of(scope: Scope) -> set[int]:
    """The communities a non-jurisdiction-wide viewer works in: their own as community officer,
    and those of their grids."""
    ids = set(scope.community_ids)
    if scope.grid_ids:
        ids.update(Grid.objects.filter(id__in=scope.grid_ids).values_list("community_id", flat=True))
    return ids


def may_plan(scope: Scope, community_id: int | None = None) -> bool:
    """Who drafts posts, assigns shifts and runs campaigns: station staff anywhere, a community
    officer in their own community."""
    if scope.person is None and not scope.superuser:
        return False
    if scope.jurisdiction_wide:
        return True
    if Role.COMMUNITY_POLICE not in scope.roles:
        return False
    return community_id is None or community_id in scope.community_ids


def may_view(scope: Scope) -> bool:
    return scope.jurisdiction_wide or bool(community_ids_of(scope))


def visible_posts(scope: Scope) -> QuerySet[DutyPost]:
    base = DutyPost.objects.select_related("community").prefetch_related("hours")
    if scope.jurisdiction_wide:
        return base
    return base.filter(community_id__in=community_ids_of(scope))


def access_post_by_scope(scope: Scope, post_id: int) -> DutyPost:
    try:
        return visible_posts(scope).get(pk=post_id)
    except (DutyPost.DoesNotExist, ValueError, TypeError):
        raise Http404("no such duty post") from None


def visible_campaigns(scope: Scope) -> QuerySet[Campaign]:
    base = Campaign.objects.select_related("community", "category")
    if scope.jurisdiction_wide:
        return base
    return base.filter(community_id__in=community_ids_of(scope))


def access_campaign_by_scope(scope: Scope, campaign_id: int) -> Campaign:
    try:
        return visible_campaigns(scope).get(pk=campaign_id)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404("no such campaign") from None


# --- the roster check and who is on post ---------------------------------------------------------


@dataclass
class Gap:
    post: DutyPost
    agency: str
    hours: list[int]  # local hours of the day nobody of this agency covers


def _local_hours(day: date, start: datetime, end: datetime) -> tuple[float, float]:
    """A shift as hours of ``day`` (local time), clipped to that day."""
    midnight = timezone.make_aware(datetime.combine(day, time()))
    lo = (timezone.localtime(start) - midnight).total_seconds() / 3600
    hi = (timezone.localtime(end) - midnight).total_seconds() / 3600
    return max(lo, 0.0), min(hi, 24.0)


def roster_gaps(scope: Scope, day: date) -> list[Gap]:
    """Every staffed window of the visible posts on ``day`` with the hours no assigned shift of
    that agency covers (two queries whatever the number of posts)."""
    posts = list(visible_posts(scope))
    midnight = timezone.make_aware(datetime.combine(day, time()))
    assignments = PostAssignment.objects.filter(
        post__in=posts, shift__starts_at__lt=midnight + timedelta(days=1), shift__ends_at__gt=midnight
    ).select_related("shift")
    spans: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for a in assignments:
        spans.setdefault((a.post_id, a.agency), []).append(
            _local_hours(day, a.shift.starts_at, a.shift.ends_at)
        )
    gaps: list[Gap] = []
    for post in posts:
        for window in post.hours.all():
            missing = uncovered_hours(
                (window.start_hour, window.end_hour), spans.get((post.pk, window.agency), [])
            )
            if missing:
                gaps.append(Gap(post, window.agency, missing))
    return gaps


def on_post_now(scope: Scope, now: datetime | None = None) -> QuerySet[PostAssignment]:
    """The assignments whose shift is running now, at the posts the viewer sees."""
    now = now or timezone.now()
    return (
        PostAssignment.objects.filter(
            post__in=visible_posts(scope), shift__starts_at__lte=now, shift__ends_at__gt=now
        )
        .select_related("post", "shift__person", "unit")
        .order_by("post__name", "id")
    )


# --- a campaign's target area and its before/after figure ---------------------------------------


def in_target_area(campaign: Campaign, lat: float, lon: float) -> bool:
    if campaign.area:
        return bool(shape(campaign.area).covers(Point(lon, lat)))
    if campaign.lat is not None and campaign.lon is not None and campaign.radius_m:
        return haversine_m(campaign.lat, campaign.lon, lat, lon) <= campaign.radius_m
    return False


@dataclass
class BeforeAfter:
    days: int
    before_start: date
    before_end: date
    during_start: date
    during_end: date
    before: int
    during: int

    @property
    def change(self) -> float | None:
        """Relative change during vs before (−0.5 = half as many appeals); None without a base."""
        if self.before == 0:
            return None
        return (self.during - self.before) / self.before


def _appeals_between(scope: Scope, campaign: Campaign, first: date, last: date) -> int:
    start = timezone.make_aware(datetime.combine(first, time()))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time()))
    rows: QuerySet[Appeal] = visible_appeals(scope).filter(
        created_at__gte=start, created_at__lt=end, lat__isnull=False, lon__isnull=False
    )
    if campaign.category_id:
        rows = rows.filter(Q(category_id=campaign.category_id) | Q(category__parent_id=campaign.category_id))
    # The id keeps two appeals at one spot apart (visible_appeals is DISTINCT).
    count = 0
    for _id, lat, lon in rows.values_list("id", "lat", "lon"):
        if lat is not None and lon is not None and in_target_area(campaign, lat, lon):
            count += 1
    return count


def before_after(scope: Scope, campaign: Campaign, today: date | None = None) -> BeforeAfter:
    """Appeals of the target category in the target area (those the viewer may see), during the
    campaign so far versus the same number of days just before it started."""
    today = today or timezone.localdate()
    during_end = min(campaign.ends_on, max(today, campaign.starts_on))
    days = (during_end - campaign.starts_on).days + 1
    before_end = campaign.starts_on - timedelta(days=1)
    before_start = campaign.starts_on - timedelta(days=days)
    return BeforeAfter(
        days=days,
        before_start=before_start,
        before_end=before_end,
        during_start=campaign.starts_on,
        during_end=during_end,
        before=_appeals_between(scope, campaign, before_start, before_end),
        during=_appeals_between(scope, campaign, campaign.starts_on, during_end),
    )


def campaign_totals(campaign: Campaign) -> dict[str, int]:
    totals = {"cases_handled": 0, "penalties": 0, "appeals_resolved": 0}
    for row in campaign.results.all():
        for key in totals:
            totals[key] += getattr(row, key)
    return totals
