"""Hotspots of appeals, incidents and accidents: the function other apps call (patrol plans, publicity).

``hotspots(kind, start, end, category=None, cell_m=250)`` reads the points through the ORM and runs
Gi* (``stats/algorithms/gistar.py``) on a lattice over the jurisdiction (the active grids' box, so
every period shares the same cells); with ``compare=True`` each hot cell also carries its trend
against the previous period of the same length.

Scope (``visible_hotspots``): the statistic is always computed over the whole jurisdiction (a
cluster is only a cluster against its surroundings); jurisdiction-wide staff see every cell, a
community police officer sees the cells whose centre lies in a grid of their community or a grid
they are responsible for; anyone else is refused (404, as every forbidden read).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from lastmeter.accounts.choices import Role
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import Appeal, Category
from lastmeter.dispatching.models import Incident
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import ServiceError
from lastmeter.planning.models import AccidentRecord
from lastmeter.stats.algorithms.gistar import Bounds, emerging, gi_star

KINDS = ("appeals", "incidents", "accidents")
MIN_CELL_M, MAX_CELL_M = 50.0, 5000.0
MAX_DAYS = 3 * 366


class HotspotError(ServiceError):
    """Bad hotspot parameters (HTTP 400)."""


@dataclass
class HotspotCell:
    key: str
    ring: list[tuple[float, float]]  # (lon, lat), closed
    count: int
    z: float
    p: float
    significant: bool
    kind: str | None  # "hot", "cold" or None
    trend: str | None = None  # new / intensifying / persistent / diminishing (compare=True)
    grid_code: str | None = None  # the grid holding the cell's centre

    @property
    def centre(self) -> tuple[float, float]:
        return (sum(p[1] for p in self.ring[:4]) / 4, sum(p[0] for p in self.ring[:4]) / 4)


def _points(kind: str, start: datetime, end: datetime, category: str | None) -> list[tuple[float, float]]:
    if kind == "appeals":
        qs = Appeal.objects.filter(
            lat__isnull=False,
            lon__isnull=False,
            created_at__gte=start,
            created_at__lt=end,
            merged_into__isnull=True,
        )
        if category:
            qs = qs.filter(category__code=category) | qs.filter(category__parent__code=category)
        return [
            (float(a), float(b)) for a, b in qs.values_list("lat", "lon") if a is not None and b is not None
        ]
    if kind == "incidents":
        iqs = Incident.objects.filter(alarm_at__gte=start, alarm_at__lt=end)
        if category:
            iqs = iqs.filter(appeal__category__code=category)
        return list(iqs.values_list("lat", "lon"))
    aqs = AccidentRecord.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    if category:
        aqs = aqs.filter(accident_type=category)
    return list(aqs.values_list("lat", "lon"))


def _grid_shapes() -> list[tuple[Grid, Any]]:
    return [(g, shape(g.boundary)) for g in Grid.objects.filter(active=True).select_related("community")]


def jurisdiction_bounds(shapes: list[tuple[Grid, Any]] | None = None) -> Bounds | None:
    shapes = _grid_shapes() if shapes is None else shapes
    if not shapes:
        return None
    boxes = [s.bounds for _, s in shapes]  # (minx=lon, miny=lat, maxx, maxy)
    return Bounds(
        min(b[1] for b in boxes), min(b[0] for b in boxes), max(b[3] for b in boxes), max(b[2] for b in boxes)
    )


def check_params(kind: str, start: datetime, end: datetime, category: str | None, cell_m: float) -> None:
    if kind not in KINDS:
        raise HotspotError(_("Unknown kind %(kind)s.") % {"kind": kind})
    if end <= start:
        raise HotspotError(_("The period ends before it starts."))
    if (end - start).days > MAX_DAYS:
        raise HotspotError(_("A period of at most three years, please."))
    if not (MIN_CELL_M <= cell_m <= MAX_CELL_M):
        raise HotspotError(_("The cell size must be between 50 and 5000 metres."))
    if category and kind != "accidents" and not Category.objects.filter(code=category).exists():
        raise HotspotError(_("Unknown category %(code)s.") % {"code": category})


def hotspots(
    kind: str,
    start: datetime,
    end: datetime,
    category: str | None = None,
    cell_m: float = 250.0,
    *,
    compare: bool = False,
    seed: int = 12345,
    only_significant: bool = False,
) -> list[HotspotCell]:
    """Gi* cells for one kind of point in [start, end); see the module docstring."""
    check_params(kind, start, end, category, cell_m)
    shapes = _grid_shapes()
    pts = _points(kind, start, end, category)
    bounds = jurisdiction_bounds(shapes)
    if bounds is None:
        if not pts:
            return []
        bounds = Bounds(
            min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)
        )
    res = gi_star([p[0] for p in pts], [p[1] for p in pts], cell_m=cell_m, bounds=bounds, seed=seed)
    trends: dict[str, str] = {}
    if compare:
        prev_pts = _points(kind, start - (end - start), start, category)
        prev = gi_star(
            [p[0] for p in prev_pts], [p[1] for p in prev_pts], cell_m=cell_m, bounds=bounds, seed=seed
        )
        trends = emerging(res, prev)
    cells = []
    for c in res.cells:
        if only_significant and not c.significant and c.key not in trends:
            continue
        cell = HotspotCell(c.key, c.ring, c.count, c.z, c.p, c.significant, c.kind, trends.get(c.key))
        lat, lon = cell.centre
        here = Point(lon, lat)
        cell.grid_code = next((g.code for g, s in shapes if s.covers(here)), None)
        cells.append(cell)
    return cells


def visible_grid_codes(scope: Scope) -> set[str] | None:
    """None: every cell; a set: the grids whose cells this viewer sees. Http404 for anyone else."""
    if scope.jurisdiction_wide:
        return None
    if scope.has(Role.COMMUNITY_POLICE):
        grids = Grid.objects.filter(community_id__in=scope.community_ids) | Grid.objects.filter(
            id__in=scope.grid_ids
        )
        return set(grids.values_list("code", flat=True))
    raise Http404


def visible_hotspots(scope: Scope, **params: object) -> list[HotspotCell]:
    """``hotspots`` for one viewer: refused with 404 unless staff of the jurisdiction or community police."""
    codes = visible_grid_codes(scope)
    cells = hotspots(**params)  # type: ignore[arg-type]
    if codes is None:
        return cells
    return [c for c in cells if c.grid_code in codes]


def as_geojson(cells: list[HotspotCell]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in c.ring]]},
                "properties": {
                    "key": c.key,
                    "count": c.count,
                    "z": round(c.z, 3),
                    "p": round(c.p, 4),
                    "significant": c.significant,
                    "kind": c.kind,
                    "trend": c.trend,
                    "grid": c.grid_code,
                },
            }
            for c in cells
        ],
    }


def warm_in_background() -> threading.Thread:
    """Compute Gi* once on a tiny lattice in a thread: esda compiles its permutation kernels (numba)
    on first use, which took about 40 s here, and the first planner to open the hotspot map should
    not wait for it. Failures are logged; the page then pays the cost itself."""

    def run() -> None:
        try:
            gi_star([31.230, 31.231, 31.232, 31.240], [121.470, 121.471, 121.472, 121.480], cell_m=250.0)
        except Exception:  # a warm-up must never take the server down
            logging.getLogger(__name__).exception("hotspot warm-up failed")

    thread = threading.Thread(target=run, name="warm-hotspots", daemon=True)
    thread.start()
    return thread
