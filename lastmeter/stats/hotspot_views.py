"""The hotspots page /stats/hotspots/: a Leaflet map of Gi* cells with category and period pickers.

Its own ``urlpatterns`` (included from lastmeter/urls.py), so the stats app's other pages keep
their own urls module.
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from lastmeter.accounts.selectors import scope_for_user
from lastmeter.appeals.models import Category
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import ServiceError
from lastmeter.stats.hotspots import KINDS, as_geojson, visible_grid_codes, visible_hotspots
from lastmeter.stats.hotspots_api import period


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise ServiceError(f"not a date: {value}") from exc


@login_required
def hotspots_page(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    codes = visible_grid_codes(scope)  # Http404 for viewers without a map of their own
    q = request.GET
    kind = q.get("kind", "appeals")
    category = q.get("category") or None
    error, cells = "", []
    start: datetime | None = None
    try:
        start, end = period(_date(q.get("start")), _date(q.get("end")))
        cell_m = float(q.get("cell_m") or 250)
        cells = visible_hotspots(
            scope,
            kind=kind,
            start=start,
            end=end,
            category=category,
            cell_m=cell_m,
            compare=True,
            only_significant=True,
        )
    except (ServiceError, ValueError) as exc:
        error = str(exc)
        start = None
        cell_m = 250.0
    grids = Grid.objects.filter(active=True)
    if codes is not None:
        grids = grids.filter(code__in=codes)
    grid_geo = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": g.boundary, "properties": {"code": g.code, "name": g.name}}
            for g in grids
        ],
    }
    return render(
        request,
        "stats/hotspots.html",
        {
            "kinds": KINDS,
            "kind": kind,
            "category": category or "",
            "cell_m": int(cell_m),
            "categories": Category.objects.order_by("code"),
            "error": error,
            "start": q.get("start", start.date().isoformat() if start else ""),
            "end": q.get("end", ""),
            "cells": cells,
            "hot": sum(1 for c in cells if c.kind == "hot"),
            "cells_json": as_geojson(cells),
            "grids_json": grid_geo,
        },
        status=400 if error else 200,
    )


app_name = "stats_hotspots"
urlpatterns = [path("", hotspots_page, name="page")]
