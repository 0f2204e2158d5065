"""The printed report's hotspot map: grid outlines and Gi* hot/cold cells as plain SVG shapes.

Drawn on the server so the page prints the same everywhere: no map tiles, no script, nothing
fetched. Plain data in (rings of (lon, lat)), plain data out; no Django here.

The projection is equirectangular around the middle latitude (x = lon·cos φ₀, y = −lat), which
over a jurisdiction a few kilometres wide distorts distances by far less than a line's width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Ring = Sequence[Sequence[float]]  # [(lon, lat), …]
STRONG_Z = 3.0  # a hot cell with Gi* z at least this is drawn darker (the hotspots page's legend)


@dataclass
class Shape:
    points: str  # the SVG "points" attribute
    css: str  # hot-strong, hot, cold, grid
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str


@dataclass
class SvgMap:
    width: int
    height: int
    grids: list[Shape] = field(default_factory=list)
    cells: list[Shape] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    hot: int = 0
    cold: int = 0
    scale_m: int = 0  # the length of the scale bar, metres
    scale_px: float = 0.0
    pad: int = 10

    @property
    def full_height(self) -> int:
        """The drawing plus a strip below it for the scale bar."""
        return self.height + 24

    @property
    def scale_y(self) -> int:
        return self.height + 16

    @property
    def scale_end(self) -> float:
        return self.pad + self.scale_px


def outer_rings(geometry: dict) -> list[Ring]:
    """The rings of a GeoJSON Polygon or MultiPolygon (holes included: they are outlines too)."""
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def _nice_metres(span_m: float) -> int:
    """A round scale-bar length near a fifth of the map's width."""
    target = max(span_m / 5, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return int(next(m * power for m in (5, 2, 1) if m * power <= target))


def svg_map(
    grids: Iterable[tuple[str, dict]],
    cells: Iterable[tuple[Ring, str, float, int]],
    *,
    width: int = 640,
    max_height: int = 560,
    pad: int = 10,
) -> SvgMap | None:
    """Fit the grids (name, GeoJSON geometry) into ``width`` pixels and draw the cells
    (ring, "hot"/"cold", z, count) on them. None when there is no grid to draw."""
    grid_rings = [(name, outer_rings(geometry)) for name, geometry in grids]
    points = [p for _, rings in grid_rings for ring in rings for p in ring]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    kx = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * kx, 1e-9), max(north - south, 1e-9)
    scale = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
    height = round(span_y * scale + 2 * pad)
    width = round(span_x * scale + 2 * pad)  # a tall jurisdiction is narrower than the page

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return pad + (lon - west) * kx * scale, pad + (north - lat) * scale

    def attr(ring: Ring) -> str:
        return " ".join("{:.1f},{:.1f}".format(*xy(p[0], p[1])) for p in ring)

    out = SvgMap(width=width, height=height, pad=pad)
    for name, rings in grid_rings:
        for ring in rings:
            out.grids.append(Shape(attr(ring), "grid", name))
        if rings:
            ring = rings[0][:-1] if len(rings[0]) > 1 and rings[0][0] == rings[0][-1] else rings[0]
            xs = [xy(p[0], p[1]) for p in ring]  # the closing point counted once
            out.labels.append(Label(sum(x for x, _ in xs) / len(xs), sum(y for _, y in xs) / len(xs), name))
    for ring, kind, z, count in cells:
        if kind == "hot":
            out.hot += 1
            css = "hot-strong" if z >= STRONG_Z else "hot"
        elif kind == "cold":
            out.cold += 1
            css = "cold"
        else:
            continue
        out.cells.append(Shape(attr(ring), css, f"{count} · z={z:.2f}"))
    metres_per_degree = 111_320.0
    span_m = span_x * metres_per_degree
    out.scale_m = _nice_metres(span_m)
    out.scale_px = out.scale_m / metres_per_degree * scale
    return out
