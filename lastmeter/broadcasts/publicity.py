"""Publicity drafts made from the system's own figures, for an officer to edit and send.

Each draft is an ordinary broadcast in state draft: its ``sources`` name every figure it used,
with the link where it can be checked. Rush-hour reminders come from the system's own congestion
records (accident records, congestion appeals, traffic incidents: ``figures.congestion_by_place``)
and recur on working days before the peak (China's calendar, so holidays are skipped) and leave ``{detour}`` for the officer to fill:
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
    APPEAL_FIGURES_URL,
    EVENING_PEAK,
    INCIDENT_FIGURES_URL,
    MORNING_PEAK,
    PlaceCongestion,
    accidents_in,
    congestion_by_place,
    fraud_appeals,
)
from lastmeter.broadcasts.models import Broadcast
from lastmeter.broadcasts.selectors import grids_near, scope_community_ids
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import ServiceError

REMINDER_LEAD = timedelta(minutes=45)  # before the peak hour starts: time to choose a route
ROAD_REACH_M = 500  # the groups of the grids this close to a place's records get its reminder


def _in_scope(scope: Scope, grids: list[Grid]) -> list[Grid]:
    allowed = scope_community_ids(scope)
    return grids if allowed is None else [g for g in grids if g.community_id in allowed]


def _reminder_time(hour: int) -> str:
    minutes = hour * 60 - int(REMINDER_LEAD.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


SOURCE_LINKS = {"accidents": ACCIDENT_FIGURES_URL, "incidents": INCIDENT_FIGURES_URL}


def _source_link(source: str, place: PlaceCongestion) -> str:
    if source == "appeals":
        codes = sorted(place.appeal_categories)
        return APPEAL_FIGURES_URL + (f"&category={codes[0]}" if len(codes) == 1 else "")
    return SOURCE_LINKS[source]


def _reminder_sources(place: PlaceCongestion, peaks: list[tuple[int, int]], weeks: int) -> list[dict]:
    """The figures a reminder used: each source's count (with where to see them), the records at
    each peak hour, and the busiest weekdays."""
    labels = {
        "accidents": _("accident records"),
        "appeals": _("congestion appeals"),
        "incidents": _("traffic incidents"),
    }
    sources = [
        {
            "label": _("%(place)s: %(what)s in working days' rush hours, last %(weeks)d weeks")
            % {"place": place.place, "what": labels[source], "weeks": weeks},
            "value": _("%(n)d records") % {"n": place.by_source[source]},
            "url": _source_link(source, place),
        }
        for source in ("accidents", "appeals", "incidents")
        if place.by_source[source]
    ]
    overview = _source_link(max(place.by_source, key=lambda k: place.by_source[k]), place)
    sources += [
        {
            "label": _("%(place)s: records on working days %(hour)02d:00–%(hour)02d:59")
            % {"place": place.place, "hour": hour},
            "value": _("%(n)d records") % {"n": n},
            "url": overview,
        }
        for hour, n in peaks
    ]
    sources.append(
        {
            "label": _("%(place)s: busiest weekdays") % {"place": place.place},
            "value": "、".join(f"{day}（{n}）" for day, n in place.busiest_weekdays()),
            "url": overview,
        }
    )
    return sources


def rush_hour_drafts(
    scope: Scope, now: datetime | None = None, weeks: int = 12, top: int = 3
) -> list[Broadcast]:
    """One recurring reminder per congestion-prone road or intersection (the most working-day
    rush-hour accidents, congestion appeals and traffic incidents in the last ``weeks``), to the
    groups of the grids around it, before its usual peaks."""
    now = now or timezone.now()
    drafts: list[Broadcast] = []
    with transaction.atomic():
        for place in congestion_by_place(now - timedelta(weeks=weeks), now):
            if len(drafts) >= top:
                break
            if not place.located:
                continue  # no record says where it is: no grids to remind
            grids = _in_scope(scope, grids_near(place.lat, place.lon, ROAD_REACH_M))
            if not grids:
                continue
            peaks = [p for p in (place.peak_hour(MORNING_PEAK), place.peak_hour(EVENING_PEAK)) if p]
            peak_words = "、".join(f"{h}:00–{h + 1}:00" for h, _n in peaks)
            audience = services.do_create_audience(
                scope, services.AudienceSpec(place.place, [], grids, [], [], area_groups=True)
            )
            drafts.append(
                services.do_create_broadcast(
                    scope,
                    services.Draft(
                        title=_("Rush-hour reminder: %(road)s") % {"road": place.place},
                        template=_(
                            "{road} is congested on working days around {peak}, most on {weekdays}: in the last"
                            " {weeks} weeks {count} jams and accidents were recorded there at these hours."
                            " Leave early or take {detour}, and mind pedestrians."
                        ),
                        variables={
                            "road": place.place,
                            "peak": peak_words,
                            "weekdays": "、".join(day for day, _n in place.busiest_weekdays()),
                            "count": str(place.total),
                            "weeks": str(weeks),
                        },
                        audience=audience,
                        kind=BroadcastKind.RUSH_HOUR,
                        repeat=Repeat.WORKING_DAYS,
                        times=[_reminder_time(h) for h, _n in peaks],
                        sources=_reminder_sources(place, peaks, weeks),
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
