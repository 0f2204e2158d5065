"""From database rows to the partition algorithms and back: units, workload, shapes, report, comparison.

Reads only (no writes): planning.services calls these to build a plan's figures before it saves them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.utils.translation import gettext as _
from scipy.optimize import linear_sum_assignment
from shapely.geometry import mapping, shape

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import OrgUnit, RoleAssignment
from lastmeter.appeals.choices import OPEN_STATES
from lastmeter.appeals.models import Appeal
from lastmeter.grids.models import Grid
from lastmeter.planning.algorithms import Units, combine_workload, make_units, metrics, staff_grids
from lastmeter.planning.models import FACTOR_FIELDS, BasicUnit
from lastmeter.roads.algorithms.geo import LocalProjection

# A line-only unit (no catchment cell) covers this far either side of its street.
LINE_BUFFER_M = 60.0
# Lists in the comparison are cut here (the counts are always complete).
LIST_LIMIT = 200

# Factors that are counts of events in a period: noisy when small, hence smoothed.
COUNT_FACTORS = frozenset({"accidents", "difficulty"})
# Field name on BasicUnit → factor name in planning.algorithms.workload.
ALGORITHM_FACTOR = {
    "drivers_or_population": "drivers",
    "road_km": "mileage",
    "accidents": "accidents",
    "difficulty": "difficulty",
}


class PlanError(Exception):
    """Bad plan input or a refused planning action, with a message fit for the planner (HTTP 400)."""


class ContiguityRefused(PlanError):
    """A hand move that would split a grid or detach the unit from its new grid (HTTP 409)."""


def validate_weights(weights: object) -> dict[str, float]:
    """Check planner weights: known demand factors, finite and >= 0, positive total."""
    if not isinstance(weights, dict) or not weights:
        raise PlanError(_('Give the weights as an object, such as {"accidents": 0.5, "road_km": 0.5}.'))
    if "police_strength" in weights:
        raise PlanError(
            _(
                "Police strength is capacity, not demand: it sets the number of grids (one officer each) "
                "and the staffing, so it cannot be a workload weight."
            )
        )
    out: dict[str, float] = {}
    for key, value in weights.items():
        if key not in FACTOR_FIELDS:
            raise PlanError(
                _("Unknown workload factor “%(key)s”; use %(known)s.")
                % {"key": key, "known": ", ".join(FACTOR_FIELDS)}
            )
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise PlanError(_("The weight of “%(key)s” must be a number.") % {"key": key}) from None
        if not np.isfinite(w) or w < 0:
            raise PlanError(_("The weight of “%(key)s” must be a finite number, 0 or more.") % {"key": key})
        out[key] = w
    if sum(out.values()) <= 0:
        raise PlanError(_("At least one weight must be above 0."))
    return out


@dataclass
class UnitData:
    """The basic units as arrays, in id order (index i ↔ units[i])."""

    units: list[BasicUnit]
    edges: np.ndarray  # (m, 2) index pairs
    lat: np.ndarray
    lon: np.ndarray
    index_of: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.units)

    def factor(self, name: str) -> np.ndarray:
        return np.array([float(getattr(u, name)) for u in self.units])


def load_units() -> UnitData:
    """Every basic unit and the stored adjacency. Raises PlanError if there are none."""
    units = list(BasicUnit.objects.order_by("id"))
    if not units:
        raise PlanError(_("There are no basic units yet: run “lastmeter grids build-units” first."))
    index_of = {u.pk: i for i, u in enumerate(units)}
    through = BasicUnit.neighbours.through
    pairs = [
        (index_of[a], index_of[b])
        for a, b in through.objects.values_list("from_basicunit_id", "to_basicunit_id")
        if a in index_of and b in index_of
    ]
    edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    lat = np.array([u.centroid_lat for u in units])
    lon = np.array([u.centroid_lon for u in units])
    return UnitData(units, edges, lat, lon, index_of)


def smoothed_counts(counts: np.ndarray, road_km: np.ndarray, prior_per_unit: float) -> np.ndarray:
    """Event counts shrunk towards road length: ``count + prior_per_unit * n * road_km / sum(road_km)``.

    A year with one recorded accident says little about where accidents happen; without this, that one
    block would carry the whole accident share of the workload. The prior adds ``prior_per_unit``
    events per unit on average, spread by road length (exposure), so sparse counts weigh little and
    thousands of real records are barely changed. Units without road length share the prior equally.
    """
    n = counts.size
    if prior_per_unit <= 0 or n == 0:
        return counts
    total_km = float(road_km.sum())
    exposure = road_km / total_km if total_km > 0 else np.full(n, 1.0 / n)
    return counts + prior_per_unit * n * exposure


def plan_workload(data: UnitData, weights: dict[str, float], count_prior: float = 0.0) -> np.ndarray:
    """Each unit's share of demand under ``weights`` (sums to 1); event counts (accidents, difficulty)
    smoothed with ``count_prior`` events per unit (see ``smoothed_counts``)."""
    weights = validate_weights(weights)
    road_km = data.factor("road_km")
    factors = {
        ALGORITHM_FACTOR[f]: (
            smoothed_counts(data.factor(f), road_km, count_prior) if f in COUNT_FACTORS else data.factor(f)
        )
        for f in weights
    }
    try:
        return combine_workload(factors, {ALGORITHM_FACTOR[f]: w for f, w in weights.items()})
    except ValueError as exc:
        raise PlanError(
            _("The workload cannot be computed (%(error)s): check the units' factors.") % {"error": exc}
        ) from None


def area_centroids(data: UnitData) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of each unit's area (its cell or polygon), else of its street.

    Compactness and the p-median cost weigh each unit by its area at one point; that point must be
    the centre of the area, not of the street (a cell at the map's edge reaches far from its road).
    """
    lat, lon = data.lat.copy(), data.lon.copy()
    for i, u in enumerate(data.units):
        geom = u.cell or (u.geometry if u.geometry.get("type") in ("Polygon", "MultiPolygon") else None)
        if geom:
            c = shape(geom).centroid
            if not c.is_empty:
                lat[i], lon[i] = c.y, c.x
    return lat, lon


def algorithm_units(data: UnitData, workload: np.ndarray) -> Units:
    """``Units`` for the partition: area centroids in local metres, area in m² (at least 1)."""
    import scipy.sparse as sp

    lat, lon = area_centroids(data)
    proj = LocalProjection.around(lat, lon)
    x, y = proj.forward(lat, lon)
    n = data.n
    e = data.edges
    adj = sp.coo_array((np.ones(e.shape[0]), (e[:, 0], e[:, 1])), shape=(n, n))
    area = np.maximum(np.array([u.area_m2 for u in data.units]), 1.0)
    try:
        return make_units(adj, np.column_stack([x, y]), workload, area)
    except ValueError as exc:
        raise PlanError(_("The basic units cannot be partitioned (%(error)s).") % {"error": exc}) from None


def area_shape(unit: BasicUnit):
    """The area a unit answers for: its cell, else its polygon, else its line buffered by LINE_BUFFER_M."""
    if unit.cell:
        return shape(unit.cell)
    geom = shape(unit.geometry)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    proj = LocalProjection(unit.centroid_lat, unit.centroid_lon)

    def fwd(xy: np.ndarray) -> np.ndarray:
        x, y = proj.forward(xy[:, 1], xy[:, 0])
        return np.column_stack([x, y])

    def inv(xy: np.ndarray) -> np.ndarray:
        lat, lon = proj.inverse(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(shapely.buffer(shapely.transform(geom, fwd), LINE_BUFFER_M), inv)


def grid_shapes(data: UnitData, assignment: np.ndarray, k: int) -> list:
    """Union of the units' areas per grid (snapped to 1e-7° so shared cell edges dissolve)."""
    shapes = [area_shape(u) for u in data.units]
    out = []
    for g in range(k):
        members = [shapes[i] for i in np.flatnonzero(assignment == g)]
        out.append(shapely.union_all(members, grid_size=1e-7) if members else shapely.Polygon())
    return out


def boundary_geojson(geom) -> dict:
    """GeoJSON of a grid shape as lists (JSON columns compare equal after a round trip)."""
    if geom.is_empty:
        return {}
    return _lists(mapping(geom))


def _lists(obj):
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_lists(v) for v in obj]
    return obj


def _representative_points(data: UnitData) -> list:
    return [area_shape(u).representative_point() for u in data.units]


def _active_grids() -> list[Grid]:
    return list(
        Grid.objects.filter(active=True).select_related("community", "responsible_officer").order_by("id")
    )


def locate(points: list, shapes: list) -> np.ndarray:
    """Index of the (smallest) shape covering each point, -1 if none."""
    out = np.full(len(points), -1, dtype=np.int64)
    if not points or not shapes:
        return out
    order = sorted(range(len(shapes)), key=lambda i: shapes[i].area)
    tree = shapely.STRtree(shapes)
    pt_idx, sh_idx = tree.query(points, predicate="covered_by")
    rank = {s: r for r, s in enumerate(order)}
    best: dict[int, int] = {}
    for p, s in zip(pt_idx.tolist(), sh_idx.tolist(), strict=True):
        if p not in best or rank[s] < rank[best[p]]:
            best[p] = s
    for p, s in best.items():
        out[p] = s
    return out


@dataclass
class Layout:
    """A partition's shapes, its matching to the current grids, and the derived figures."""

    assignment: np.ndarray
    shapes: list
    matched: list[Grid | None]  # per plan grid: the current grid it continues
    current: list[Grid]  # the active grids the comparison was made against
    unit_current: np.ndarray  # per unit: index into ``current`` or -1
    overlap: np.ndarray  # (k, len(current)) shared workload


def layout(data: UnitData, assignment: np.ndarray, k: int, workload: np.ndarray) -> Layout:
    """Shapes per plan grid and the best one-to-one match with the active grids (max shared workload)."""
    current = _active_grids()
    shapes = grid_shapes(data, assignment, k)
    cur_shapes = [shape(g.boundary) for g in current]
    unit_current = locate(_representative_points(data), cur_shapes)
    overlap = np.zeros((k, len(current)))
    inside = unit_current >= 0
    np.add.at(overlap, (assignment[inside], unit_current[inside]), workload[inside])
    matched: list[Grid | None] = [None] * k
    if current:
        rows, cols = linear_sum_assignment(overlap, maximize=True)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if overlap[r, c] > 0:
                matched[r] = current[c]
    return Layout(assignment, shapes, matched, current, unit_current, overlap)


def partition_figures(units: Units, assignment: np.ndarray, k: int) -> dict:
    """Balance, compactness and contiguity of any assignment (also after hand moves)."""
    gw = metrics.grid_workload(units, assignment, k)
    target = float(units.workload.sum()) / k
    dev = (gw - target) / target
    cost, centres = metrics.partition_cost(units, assignment, k)
    comp = metrics.compactness(units, assignment, k)
    contig = metrics.contiguous_grids(units, assignment, k)
    return {
        "target": target,
        "grid_workload": gw.tolist(),
        "deviation": dev.tolist(),
        "max_deviation_pct": float(100 * np.abs(dev).max()),
        "compactness": comp.tolist(),
        "mean_compactness": float(comp.mean()),
        "centres": centres.tolist(),
        "cost": cost,
        "contiguous_grids": contig.tolist(),
        "contiguous": bool(contig.all()),
    }


def staffing_figures(grid_workload: list[float], auxiliaries: int) -> dict:
    """One officer per grid plus ``auxiliaries`` apportioned by workload (Hamilton: within 1 of quota)."""
    k = len(grid_workload)
    if auxiliaries <= 0 or sum(grid_workload) <= 0:
        return {"auxiliaries": [0] * k, "quota": [0.0] * k, "total": auxiliaries}
    s = staff_grids(np.array(grid_workload), auxiliaries)
    return {"auxiliaries": s.auxiliaries.tolist(), "quota": s.quota.tolist(), "total": auxiliaries}


def current_members(grids: list[Grid]) -> dict[int, list[int]]:
    """Grid id → ids of the active grid members (auxiliaries) assigned to it, oldest first."""
    out: dict[int, list[int]] = {g.pk: [] for g in grids}
    for ra in RoleAssignment.objects.filter(
        role=Role.GRID_MEMBER, grid__in=grids, person__active=True
    ).order_by("id"):
        out[int(ra.grid_id or 0)].append(ra.person_id)
    return out


def community_guess(lay: Layout, g: int) -> OrgUnit | None:
    """Community for a plan grid: its match's, else that of the current grid it overlaps most."""
    match = lay.matched[g]
    if match is not None:
        return match.community
    if lay.current and lay.overlap[g].max() > 0:
        return lay.current[int(np.argmax(lay.overlap[g]))].community
    common = Counter(c.community_id for c in lay.current).most_common(1)
    if common:
        return OrgUnit.objects.filter(pk=common[0][0]).first()
    return OrgUnit.objects.filter(kind=OrgKind.COMMUNITY).order_by("id").first()


def comparison(data: UnitData, lay: Layout, workload: np.ndarray, codes: list[str]) -> dict:
    """What changes against the current grids: units, workload, open appeals and buildings."""
    cur = lay.current
    cur_code = [g.code for g in cur]
    matched_id = [m.pk if m else None for m in lay.matched]
    moved = []
    for i, u in enumerate(data.units):
        before = int(lay.unit_current[i])
        after = int(lay.assignment[i])
        before_id = cur[before].pk if before >= 0 else None
        if matched_id[after] is None or matched_id[after] != before_id:
            moved.append(
                {
                    "unit": u.code,
                    "name": u.name,
                    "from": cur_code[before] if before >= 0 else None,
                    "to": codes[after],
                    "to_index": after,
                }
            )
    k = len(lay.shapes)
    before_rows = [
        {
            "grid": g.code,
            "name": g.name,
            "units": int((lay.unit_current == c).sum()),
            "workload": float(workload[lay.unit_current == c].sum()),
        }
        for c, g in enumerate(cur)
    ]
    outside = lay.unit_current < 0
    after_rows = [
        {
            "index": g,
            "grid": codes[g],
            "units": int((lay.assignment == g).sum()),
            "workload": float(workload[lay.assignment == g].sum()),
        }
        for g in range(k)
    ]

    def changes(rows: list) -> tuple[list[dict], int]:
        pts = [shapely.Point(lon, lat) for _, lat, lon, _, _ in rows]
        where = locate(pts, lay.shapes)
        out = []
        for (pk, _lat, _lon, old_id, label), g in zip(rows, where.tolist(), strict=True):
            new_id = matched_id[g] if g >= 0 else None
            if g >= 0 and new_id is not None and new_id == old_id:
                continue
            if g < 0 and old_id is None:
                continue
            old = next((c.code for c in cur if c.pk == old_id), None) if old_id else None
            out.append({"id": pk, "label": label, "from": old, "to": codes[g] if g >= 0 else None})
        return out[:LIST_LIMIT], len(out)

    appeals = [
        (a.pk, a.lat, a.lon, a.grid_id, a.reference)
        for a in Appeal.objects.filter(state__in=OPEN_STATES, lat__isnull=False, lon__isnull=False).only(
            "id", "lat", "lon", "grid_id", "reference"
        )
    ]
    buildings = [
        (b.pk, b.lat, b.lon, b.grid_id, b.name)
        for b in OrgUnit.objects.filter(kind=OrgKind.BUILDING, lat__isnull=False, lon__isnull=False)
    ]
    appeal_rows, appeal_count = changes(appeals)
    building_rows, building_count = changes(buildings)
    return {
        "units": data.n,
        "moved_units": moved[:LIST_LIMIT],
        "moved_count": len(moved),
        "workload_before": before_rows,
        "workload_outside_current": float(workload[outside].sum()),
        "units_outside_current": int(outside.sum()),
        "workload_after": after_rows,
        "appeals_changing": appeal_rows,
        "appeals_changing_count": appeal_count,
        "buildings_changing": building_rows,
        "buildings_changing_count": building_count,
        "baseline_grid_ids": [g.pk for g in cur],
    }
