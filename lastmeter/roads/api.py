"""The roads API under /api/v1/roads: map layer, routes, status and hot reload (thin over services)."""

from __future__ import annotations

import math

from django.http import HttpRequest
from ninja import Query, Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.choices import Role
from lastmeter.roads import services

router = Router(tags=["roads"])


class RoadsErrorOut(Schema):
    detail: str


def parse_point(text: str, what: str) -> tuple[float, float]:
    """'lat,lon' → (lat, lon); raises RoadError with a message naming the parameter."""
    parts = (text or "").split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise services.RoadError(f"'{what}' must be 'lat,lon' in decimal degrees, got {text!r}") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise services.RoadError(f"'{what}' is not a valid coordinate: {text!r}")
    return lat, lon


@router.get("/roads/route", auth=API_AUTH, response={200: dict, 400: RoadsErrorOut, 404: RoadsErrorOut})
def route(
    request: HttpRequest,
    origin: str = Query(..., alias="from", description="lat,lon"),
    dest: str = Query(..., alias="to", description="lat,lon"),
):
    """Fastest drivable route: ETA (s), length (m), streets, [[lat, lon]…] and a GeoJSON LineString."""
    try:
        a = parse_point(origin, "from")
        b = parse_point(dest, "to")
        found = services.route_between(a, b)
    except services.NoRoute as exc:
        return 404, {"detail": str(exc)}
    except services.RoadError as exc:
        return 400, {"detail": str(exc)}
    return 200, services.route_payload(found)


@router.get("/roads/network", auth=API_AUTH, response={200: dict, 400: RoadsErrorOut})
def network(request: HttpRequest, tolerance_m: float = 5.0):
    """The road network as simplified GeoJSON polylines (properties: name, class, oneway)."""
    if not (0.0 <= tolerance_m <= 200.0):
        return 400, {"detail": "tolerance_m must be between 0 and 200"}
    try:
        return 200, services.network_geojson(tolerance_m=tolerance_m)
    except services.RoadError as exc:
        return 400, {"detail": str(exc)}


@router.get("/roads/status", auth=API_AUTH, response=dict)
def status(request: HttpRequest):
    """What this process has loaded (does not load anything)."""
    return services.network_info()


@router.post("/roads/reload", auth=API_AUTH, response={200: dict, 400: RoadsErrorOut, 403: RoadsErrorOut})
def reload(request: HttpRequest):
    """Administrators: re-read the road file and swap it in now; other processes follow via the cache."""
    scope = request_scope(request)
    if not scope.has(Role.ADMINISTRATOR):
        return 403, {"detail": "only administrators may reload the road network"}
    try:
        return 200, services.reload_network()
    except services.RoadError as exc:
        return 400, {"detail": str(exc)}
