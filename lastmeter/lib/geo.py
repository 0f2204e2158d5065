"""Small geodesy helpers (no Django)."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class CoordinateError(ValueError):
    """A bad coordinate pair. ``code`` names the rule broken ("half", "not_finite", "latitude",
    "longitude") so that pages can say it in the reader's language; the message is English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def validate_lat_lon(lat: float | None, lon: float | None) -> None:
    """Raise CoordinateError (a ValueError) with a clear message for missing halves or
    out-of-range coordinates."""
    if (lat is None) != (lon is None):
        raise CoordinateError("half", "give both latitude and longitude, or neither")
    if lat is None or lon is None:
        return
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise CoordinateError("not_finite", "coordinates must be finite numbers")
    if not -90.0 <= lat <= 90.0:
        raise CoordinateError("latitude", f"latitude {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise CoordinateError("longitude", f"longitude {lon} is outside -180..180")


def box_polygon(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    """A GeoJSON Polygon for the lon/lat box (west, south, east, north), ring closed."""
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }
