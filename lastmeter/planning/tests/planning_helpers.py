"""A tiny jurisdiction of block units laid over the test world's grids A and B.

8 square blocks, 4 columns × 2 rows, each 0.005° wide: columns 0-1 lie in grid A, 2-3 in grid B.
Block (row r, column c) is unit ``b{r}{c}``; blocks sharing an edge are neighbours.
"""

from __future__ import annotations

from lastmeter.lib.geo import box_polygon
from lastmeter.planning.choices import UnitKind
from lastmeter.planning.models import BasicUnit

LON0, LAT0, STEP = 121.465, 31.225, 0.005
ROWS, COLS = 2, 4


def centre(r: int, c: int) -> tuple[float, float]:
    """(lat, lon) of the middle of block (r, c)."""
    return LAT0 + (r + 0.5) * STEP, LON0 + (c + 0.5) * STEP


def make_blocks(accidents: dict[tuple[int, int], float] | None = None, rows: int = ROWS, cols: int = COLS):
    """Create the blocks (accidents default 1 each; road_km 1 each); returns {(r, c): BasicUnit}."""
    accidents = accidents or {}
    units = {}
    for r in range(rows):
        for c in range(cols):
            lat, lon = centre(r, c)
            x0, y0 = LON0 + c * STEP, LAT0 + r * STEP
            units[(r, c)] = BasicUnit.objects.create(
                code=f"b{r}{c}",
                name=f"Block {r}-{c}",
                kind=UnitKind.BLOCK,
                geometry=box_polygon(x0, y0, x0 + STEP, y0 + STEP),
                centroid_lat=lat,
                centroid_lon=lon,
                area_m2=250_000.0,
                road_km=1.0,
                drivers_or_population=100.0,
                accidents=accidents.get((r, c), 1.0),
            )
    for (r, c), u in units.items():
        for dr, dc in ((0, 1), (1, 0)):
            other = units.get((r + dr, c + dc))
            if other is not None:
                u.neighbours.add(other)
    return units
