"""Hotspots API: Gi* cells as GeoJSON for the viewer's scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.stats.hotspots import HotspotError, as_geojson, visible_hotspots

router = Router(tags=["stats"])


def period(start: date | None, end: date | None, days: int = 30) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in local time; default: the last ``days`` days up to today."""
    today = timezone.localdate()
    end = end or today
    start = start or end - timedelta(days=days - 1)
    if end < start:
        raise HotspotError(_("The period ends before it starts."))
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


@router.get("/stats/hotspots", auth=API_AUTH)
def hotspots_geojson(
    request: HttpRequest,
    kind: str = "appeals",
    category: str | None = None,
    start: date | None = None,
    end: date | None = None,
    cell_m: float = 250.0,
    compare: bool = False,
):
    """Getis-Ord Gi* hot and cold cells (FDR-corrected) as a GeoJSON FeatureCollection; with
    ``compare`` each hot cell carries its trend against the previous period. Only significant and
    trending cells are returned; community police get their community's cells only."""
    scope = request_scope(request)
    s, e = period(start, end)
    cells = visible_hotspots(
        scope,
        kind=kind,
        start=s,
        end=e,
        category=category or None,
        cell_m=cell_m,
        compare=compare,
        only_significant=True,
    )
    return as_geojson(cells)
