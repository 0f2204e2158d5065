"""Publicity drafts made from the system's own figures, for an officer to edit and send.

Each draft is an ordinary broadcast in state draft: its ``sources`` name every figure it used,
with the link where it can be checked. Rush-hour reminders recur on working days before the
peak (China's calendar, so holidays are skipped) and leave ``{detour}`` for the officer to fill:
a draft cannot be sent until a person has named the detour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.broadcasts import services
from lastmeter.broadcasts.choices import BroadcastKind, Repeat
from lastmeter.broadcasts.figures import (
    ACCIDENT_FIGURES_URL,
    EVENING_PEAK,
    MORNING_PEAK,
    accidents_by_road_and_hour,
    accidents_in,
    fraud_appeals,
)
from lastmeter.broadcasts.models import Broadcast
from lastmeter.broadcasts.selectors import grids_near, scope_community_ids
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import ServiceError

REMINDER_LEAD = timedelta(minutes=45)  # before the peak hour starts: time to choose a route
ROAD_REACH_M = 500  # the groups of the grids this close to a road's accidents get its reminder


def _in_scope(scope: Scope, grids: list[Grid]) -> list[Grid]:
    allowed = scope_community_ids(scope)
    return grids if allowed is None else [g for g in grids if g.community_id in allowed]


def _reminder_time(hour: int) -> str:
    minutes = hour * 60 - int(REMINDER_LEAD.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def rush_hour_drafts(
    scope: Scope, now: datetime | None = None, weeks: int = 12, top: int = 3
) -> list[Broadcast]:
    """One recurring reminder per congestion-prone road (most working-day rush-hour accidents in
    the last ``weeks``), to the groups of the grids around it, before its usual peaks."""
    now = now or timezone.now()
    drafts: list[Broadcast] = []
    with transaction.atomic():
        for road in accidents_by_road_and_hour(now - timedelta(weeks=weeks), now):
            if len(drafts) >= top:
                break
            grids = _in_scope(scope, grids_near(road.lat, road.lon, ROAD_REACH_M))
            if not grids:
                continue
            peaks = [p for p in (road.peak_hour(MORNING_PEAK), road.peak_hour(EVENING_PEAK)) if p]
            sources = [
                {
                    "label": _(
                        "%(road)s: accidents on working days %(hour)02d:00–%(hour)02d:59, last %(weeks)d weeks"
                    )
                    % {"road": road.street, "hour": hour, "weeks": weeks},
                    "value": _("%(n)d accidents") % {"n": n},
                    "url": ACCIDENT_FIGURES_URL,
                }
                for hour, n in peaks
            ]
            peak_words = "、".join(f"{h}:00–{h + 1}:00" for h, _n in peaks)
            audience = services.do_create_audience(
                scope, services.AudienceSpec(road.street, [], grids, [], [], area_groups=True)
            )
            drafts.append(
                services.do_create_broadcast(
                    scope,
                    services.Draft(
                        title=_("Rush-hour reminder: %(road)s") % {"road": road.street},
                        template=_(
                            "{road} is busy on working days around {peak}; {count} accidents happened there at these"
                            " hours in the last {weeks} weeks. Leave early or take {detour}, and mind pedestrians."
                        ),
                        variables={
                            "road": road.street,
                            "peak": peak_words,
                            "count": str(road.total),
                            "weeks": str(weeks),
                        },
                        audience=audience,
                        kind=BroadcastKind.RUSH_HOUR,
                        repeat=Repeat.WORKING_DAYS,
                        times=[_reminder_time(h) for h, _n in peaks],
                        sources=sources,
                    ),
                )
            )
    return drafts


def _month_start(day: datetime) -> datetime:
    return timezone.localtime(day).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def accident_season_draft(scope: Scope, communities: list[OrgUnit], now: datetime | None = None) -> Broadcast:
    """This month's safety publicity from the same month last year: how many accidents, the
    commonest types, places, hours and weather."""
    now = now or timezone.now()
    start = _month_start(now)
    last_year = start.replace(year=start.year - 1)
    end = (last_year + timedelta(days=32)).replace(day=1)
    f = accidents_in(last_year, end)
    if not f.count:
        raise ServiceError(
            _("No accident records for %(month)s: nothing to base the draft on.")
            % {"month": f"{last_year:%Y-%m}"}
        )

    def words(items) -> str:
        return "、".join(f"{k}（{n}）" for k, n in items) or "—"

    sources = [
        {
            "label": _("Accidents in %(month)s") % {"month": f"{last_year:%Y-%m}"},
            "value": str(f.count),
            "url": ACCIDENT_FIGURES_URL,
        },
        {"label": _("Commonest types"), "value": words(f.types), "url": ACCIDENT_FIGURES_URL},
        {"label": _("Commonest places"), "value": words(f.streets), "url": ACCIDENT_FIGURES_URL},
        {
            "label": _("Commonest hours"),
            "value": words((f"{h}时", n) for h, n in f.hours),
            "url": ACCIDENT_FIGURES_URL,
        },
        {"label": _("Weather"), "value": words(f.weather), "url": ACCIDENT_FIGURES_URL},
    ]
    with transaction.atomic():
        audience = services.do_create_audience(
            scope,
            services.AudienceSpec(_("Accident-season publicity"), communities, [], [], [], area_groups=True),
        )
        return services.do_create_broadcast(
            scope,
            services.Draft(
                title=_("Traffic safety this month (%(month)d)") % {"month": start.month},
                template=_(
                    "In this month last year there were {count} accidents in our area, most often {types}, at {places},"
                    " around {hours}; weather: {weather}. Slow down at these places and hours."
                ),
                variables={
                    "count": str(f.count),
                    "types": words(f.types),
                    "places": words(f.streets),
                    "hours": words((f"{h}时", n) for h, n in f.hours),
                    "weather": words(f.weather),
                },
                audience=audience,
                kind=BroadcastKind.ACCIDENT_SEASON,
                sources=sources,
            ),
        )


def anti_fraud_draft(scope: Scope, now: datetime | None = None, weeks: int = 4, top: int = 3) -> Broadcast:
    """Anti-fraud publicity from the fraud appeals of the last weeks (kinds and amounts only),
    to the communities with the most of them that the author may send to."""
    now = now or timezone.now()
    f = fraud_appeals(now - timedelta(weeks=weeks), now)
    allowed = scope_community_ids(scope)
    ids = [c for c, _n in f.communities if allowed is None or c in allowed][:top]
    if not f.count or not ids:
        raise ServiceError(_("No fraud appeals in your area in the last %(weeks)d weeks.") % {"weeks": weeks})
    kinds = "、".join(f"{k}（{n}起）" for k, n in f.kinds[:3])
    total = sum(f.amounts)
    url = "/stats/hotspots/?kind=appeals" + (f"&category={f.category_codes[0]}" if f.category_codes else "")
    sources = [
        {
            "label": _("Fraud appeals, last %(weeks)d weeks") % {"weeks": weeks},
            "value": str(f.count),
            "url": url,
        },
        {"label": _("Kinds"), "value": kinds, "url": url},
        {"label": _("Amounts named"), "value": f"{len(f.amounts)} · {total:,.0f} 元", "url": url},
    ]
    with transaction.atomic():
        audience = services.do_create_audience(
            scope,
            services.AudienceSpec(
                _("Anti-fraud publicity"),
                list(OrgUnit.objects.filter(id__in=ids)),
                [],
                [],
                [],
                area_groups=True,
                sms_residents=True,
            ),
        )
        return services.do_create_broadcast(
            scope,
            services.Draft(
                title=_("Anti-fraud warning"),
                template=_(
                    "In the last {weeks} weeks residents reported {count} frauds: {kinds}; {total} yuan was named as lost."
                    " The police never ask you to transfer money to a 'safe account'. Hang up and call 110 or 96110."
                ),
                variables={
                    "weeks": str(weeks),
                    "count": str(f.count),
                    "kinds": kinds,
                    "total": f"{total:,.0f}",
                },
                audience=audience,
                kind=BroadcastKind.ANTI_FRAUD,
                sources=sources,
            ),
        )
