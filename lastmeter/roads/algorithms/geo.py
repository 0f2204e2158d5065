"""Geodesy used by the road engine: haversine distances and a local metric projection.

The road engine works in a *local equirectangular projection* (metres east/north of a reference point)
for KD-trees and segment projection.  Over a city or a small country (< ~150 km) its distance error is
well under 1 %, which is plenty for choosing the nearest road; reported distances use haversine.
Pure numpy, no Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
# Web-Mercator (EPSG:3857) sphere radius, used only to invert projected source graphs.
MERCATOR_RADIUS_M = 6_378_137.0


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres; accepts scalars or broadcastable numpy arrays (degrees)."""
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection about (lat0, lon0): x metres east, y metres north."""

    lat0: float
    lon0: float

    @property
    def coslat0(self) -> float:
        # math, not numpy: this is read on every fleet query and update, where numpy's scalar overhead
        # (~2 µs here) showed up in profiles
        return math.cos(math.radians(self.lat0))

    @classmethod
    def around(cls, lat: np.ndarray, lon: np.ndarray) -> LocalProjection:
        """A projection centred on the bounding box of the given points (precondition: non-empty)."""
        return cls(
            float((np.min(lat) + np.max(lat)) / 2.0),
            float((np.min(lon) + np.max(lon)) / 2.0),
        )

    def forward(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        k = np.pi / 180.0 * EARTH_RADIUS_M
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * k * np.cos(np.radians(self.lat0))
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * k
        return x, y

    def inverse(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        k = np.pi / 180.0 * EARTH_RADIUS_M
        lat = np.asarray(y, dtype=np.float64) / k + self.lat0
        lon = np.asarray(x, dtype=np.float64) / (k * np.cos(np.radians(self.lat0))) + self.lon0
        return lat, lon


def mercator_to_lonlat(x, y, *, centre_lat: float, centre_lon: float) -> tuple[np.ndarray, np.ndarray]:
    """Invert Web-Mercator metres that were shifted so that (0, 0) is at (centre_lat, centre_lon).

    Used for source graphs (ngraph ``.co.bin``) that store only re-centred Mercator coordinates; the
    centre must be supplied by the caller, so absolute positions are as good as that guess, while
    relative geometry and edge lengths stay accurate (Mercator's scale is corrected per latitude).
    """
    r = MERCATOR_RADIUS_M
    cx = np.radians(centre_lon) * r
    cy = r * np.log(np.tan(np.pi / 4 + np.radians(centre_lat) / 2))
    lon = np.degrees((np.asarray(x, dtype=np.float64) + cx) / r)
    lat = np.degrees(2 * np.arctan(np.exp((np.asarray(y, dtype=np.float64) + cy) / r)) - np.pi / 2)
    return lon, lat
