"""The data of a patrol plan's map: its hot cells as GeoJSON (Leaflet reads it as it is) and
each shift's route as a line, for ``json_script`` on the plan page (the page has no inline
script: ``static/patrols/plan_map.js`` draws it)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from lastmeter.patrols.models import PatrolPlan, PatrolShift, PlanCell


def plan_map(plan: PatrolPlan, cells: list[PlanCell], shifts: list[PatrolShift], visited: set[str]) -> dict:
    """``cells``: a FeatureCollection of the cells' outlines (``ring`` is (lon, lat), GeoJSON's
    order) with key, z, count, team and whether a check-in covered it; ``shifts``: per shift its
    team, hours and route as [lat, lon] points (Leaflet's order), routed on roads or straight."""
    features: list[dict[str, Any]] = []
    for c in cells:
        ring = [list(p) for p in c.ring] or [[c.lon, c.lat]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]}
                if len(ring) >= 4
                else {"type": "Point", "coordinates": [c.lon, c.lat]},
                "properties": {
                    "key": c.key,
                    "z": round(c.z, 2),
                    "count": c.count,
                    "order": c.order,
                    "team": c.shift.team.name if c.shift_id and c.shift else "",
                    "visited": c.key in visited,
                },
            }
        )
    return {
        "cells": {"type": "FeatureCollection", "features": features},
        "shifts": [
            {
                "id": s.pk,
                "team": s.team.name,
                "hours": f"{timezone.localtime(s.starts_at):%H:%M}–{timezone.localtime(s.ends_at):%H:%M}",
                "route": s.route,
                "route_m": round(s.route_m),
                "on_roads": s.on_roads,
            }
            for s in shifts
        ],
        "radius_m": plan.checkin_radius_m,
    }


__all__ = ["plan_map"]
