"""Writes of basic units: build them from the road network, count their factors, import accidents.

- ``do_build_units(graph)`` replaces the basic units by the street units of a road graph
  (planning.street_units), keeping the codes of units that did not change, and recounts the factors.
- ``do_recount_factors()`` counts, per unit, accidents (appeals in accident categories plus imported
  accident records) and order-maintenance demand (the other police appeals), the platforms standing
  in it (police strength), and refreshes the default workload. A point counts for the nearest unit
  within ``POINT_MAX_M``.
- ``import_accidents(csv)`` loads open-data accident points (id, latitude, longitude, …).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from lastmeter.appeals.models import Appeal
from lastmeter.lib.importfiles import read_import_text
from lastmeter.planning.choices import OPEN_PLAN_STATES, PlanState, UnitKind, check_plan_transition
from lastmeter.planning.models import (
    COUNT_PRIOR,
    DEFAULT_WEIGHTS,
    AccidentRecord,
    BasicUnit,
    GridPlan,
    Platform,
)
from lastmeter.planning.report import PlanError, load_units, plan_workload
from lastmeter.planning.street_units import UnitWords, street_units
from lastmeter.roads.algorithms.geo import LocalProjection
from lastmeter.roads.algorithms.graph import RoadGraph

# A point (appeal, accident, platform) farther than this from every unit counts for none.
POINT_MAX_M = 150.0
# Appeals older than this do not count into the workload factors.
DEFAULT_WINDOW_DAYS = 365


def accident_category_q() -> Q:
    """Appeal filter for accident categories: LASTMETER_ACCIDENT_CATEGORIES codes, else any
    category (or parent category) whose code mentions 'accident'."""
    codes = settings.LASTMETER_ACCIDENT_CATEGORIES
    if codes:
        return Q(category__code__in=list(codes)) | Q(category__parent__code__in=list(codes))
    return Q(category__code__icontains="accident") | Q(category__parent__code__icontains="accident")


@dataclass
class BuildSummary:
    units: int
    created: int
    updated: int
    removed: int
    adjacencies: int
    dropped_segments: int
    discarded_plans: int


def _discard_open_plans(force: bool) -> int:
    open_plans = list(GridPlan.objects.select_for_update().filter(state__in=OPEN_PLAN_STATES))
    if open_plans and not force:
        raise PlanError(
            _(
                "%(n)s open plan(s) use the current basic units: discard them first, or rebuild with --force "
                "(which discards them)."
            )
            % {"n": len(open_plans)}
        )
    now = timezone.now()
    for plan in open_plans:
        check_plan_transition(plan.state, PlanState.DISCARDED)
        plan.state = PlanState.DISCARDED
        plan.closed_at = now
        plan.note = (plan.note + "\n" if plan.note else "") + "Discarded: the basic units were rebuilt."
        plan.revision += 1
        plan.save(update_fields=["state", "closed_at", "note", "revision", "updated_at"])
    return len(open_plans)


def do_build_units(
    graph: RoadGraph,
    *,
    source: str = "",
    target_length_m: float = 400.0,
    min_length_m: float = 60.0,
    catchment_m: float = 150.0,
    force: bool = False,
) -> BuildSummary:
    """Replace the basic units by the street units of ``graph`` and recount their factors.

    Units whose code still exists are updated in place (plans keep pointing at them); the others are
    created or removed. Refuses (PlanError) while draft/previewed plans exist, unless ``force``.
    """
    built = street_units(
        graph,
        target_length_m=target_length_m,
        min_length_m=min_length_m,
        catchment_m=catchment_m,
        words=UnitWords(unnamed=_("unnamed road"), at=_("{street} (at {cross})")),
    )
    with transaction.atomic():
        discarded = _discard_open_plans(force)
        existing = {u.code: u for u in BasicUnit.objects.select_for_update()}
        rows: list[BasicUnit] = []
        created = updated = 0
        for su in built.units:
            u = existing.pop(su.code, None)
            if u is None:
                u = BasicUnit(code=su.code)
                created += 1
            else:
                updated += 1
            u.name = su.name[:300]
            u.kind = UnitKind.SEGMENT
            u.geometry, u.cell = su.geometry, su.cell
            u.centroid_lat, u.centroid_lon = su.lat, su.lon
            u.area_m2 = su.area_m2
            u.road_km = su.length_m / 1000.0
            u.drivers_or_population = su.traffic_km
            u.source = source[:200]
            rows.append(u)
        removed = len(existing)
        BasicUnit.objects.filter(pk__in=[u.pk for u in existing.values()]).delete()
        new = [u for u in rows if u.pk is None]
        BasicUnit.objects.bulk_create(new)
        BasicUnit.objects.bulk_update(
            [u for u in rows if u not in new],
            [
                "name",
                "kind",
                "geometry",
                "cell",
                "centroid_lat",
                "centroid_lon",
                "area_m2",
                "road_km",
                "drivers_or_population",
                "source",
            ],
            batch_size=500,
        )
        if any(u.pk is None for u in rows):  # backends that do not return ids from bulk_create
            ids = dict(BasicUnit.objects.values_list("code", "id"))
            for u in rows:
                u.pk = ids[u.code]
        through = BasicUnit.neighbours.through
        through.objects.all().delete()
        links = []
        for a, b in built.adjacency:
            ua, ub = rows[a].pk, rows[b].pk
            links.append(through(from_basicunit_id=ua, to_basicunit_id=ub))
            links.append(through(from_basicunit_id=ub, to_basicunit_id=ua))
        through.objects.bulk_create(links, batch_size=2000)
        do_recount_factors()
    return BuildSummary(
        len(rows), created, updated, removed, len(built.adjacency), built.dropped_segments, discarded
    )


class _UnitIndex:
    """Nearest unit to a point, in local metres (STRtree over the unit geometries)."""

    def __init__(self, units: list[BasicUnit]) -> None:
        self.units = units
        lat = np.array([u.centroid_lat for u in units])
        lon = np.array([u.centroid_lon for u in units])
        self.proj = LocalProjection.around(lat, lon)
        geoms = [shapely.transform(shape(u.geometry), self._fwd) for u in units]
        self.tree = shapely.STRtree(geoms)

    def _fwd(self, xy: np.ndarray) -> np.ndarray:
        x, y = self.proj.forward(xy[:, 1], xy[:, 0])
        return np.column_stack([x, y])

    def nearest(self, lat: np.ndarray, lon: np.ndarray, max_m: float) -> np.ndarray:
        """Unit index per point, -1 when no unit lies within ``max_m``."""
        out = np.full(len(lat), -1, dtype=np.int64)
        if len(lat) == 0:
            return out
        x, y = self.proj.forward(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
        pts = shapely.points(np.column_stack([x, y]))
        ip, iu = self.tree.query_nearest(pts, max_distance=max_m, all_matches=False)
        out[ip] = iu
        return out

    def count(self, points: Iterable[tuple[float | None, float | None]], max_m: float) -> np.ndarray:
        pts = list(points)
        idx = self.nearest(np.array([p[0] for p in pts], float), np.array([p[1] for p in pts], float), max_m)
        return np.bincount(idx[idx >= 0], minlength=len(self.units)).astype(float)


def do_recount_factors(*, window_days: int = DEFAULT_WINDOW_DAYS) -> int:
    """Recount accidents, difficulty and police strength of every unit; refresh the default workload.

    Accidents: appeals in accident categories and imported AccidentRecords. Difficulty: the other
    police-scope appeals (disputes, noise, parking, …): the order-maintenance demand actually met.
    Police strength: active platforms in or next to the unit. Returns the number of units.
    """
    units = list(BasicUnit.objects.order_by("id"))
    if not units:
        return 0
    index = _UnitIndex(units)
    since = timezone.now() - timedelta(days=window_days)
    located = Appeal.objects.filter(
        lat__isnull=False, lon__isnull=False, created_at__gte=since, merged_into__isnull=True
    )
    acc_q = accident_category_q()
    accident_pts = list(located.filter(acc_q).values_list("lat", "lon"))
    accident_pts += list(AccidentRecord.objects.values_list("lat", "lon"))
    order_pts = list(
        located.exclude(acc_q).filter(category__department__isnull=True).values_list("lat", "lon")
    )
    platform_pts = list(Platform.objects.filter(active=True).values_list("lat", "lon"))
    accidents = index.count(accident_pts, POINT_MAX_M)
    difficulty = index.count(order_pts, POINT_MAX_M)
    strength = index.count(platform_pts, POINT_MAX_M * 2)
    with transaction.atomic():
        for u, a, d, s in zip(units, accidents.tolist(), difficulty.tolist(), strength.tolist(), strict=True):
            u.accidents, u.difficulty, u.police_strength = a, d, s
        BasicUnit.objects.bulk_update(units, ["accidents", "difficulty", "police_strength"], batch_size=500)
        refresh_default_workload()
    return len(units)


def refresh_default_workload() -> None:
    """Store each unit's workload share under the default weights (zeros if nothing to weigh)."""
    data = load_units()
    try:
        workload = plan_workload(data, DEFAULT_WEIGHTS, COUNT_PRIOR)
    except PlanError:
        workload = np.zeros(data.n)
    for u, w in zip(data.units, workload.tolist(), strict=True):
        u.workload = w
    BasicUnit.objects.bulk_update(data.units, ["workload"], batch_size=500)


# --- open-data accidents and factors -------------------------------------------------------------

_LAT = ("latitude", "lat", "y")
_LON = ("longitude", "lon", "lng", "long", "x")
_ID = ("id", "accident_id", "case_id", "numero_expedient", "external_id")


def _column(header: list[str], wanted: tuple[str, ...], given: str | None) -> int | None:
    lower = [h.strip().lower() for h in header]
    for name in (given,) if given else wanted:
        if name and name.strip().lower() in lower:
            return lower.index(name.strip().lower())
    return None


def _count(row: list[str], i: int | None) -> int:
    try:
        return max(0, int(float(row[i]))) if i is not None else 0
    except (ValueError, IndexError):
        return 0


@dataclass
class ImportSummary:
    read: int
    imported: int
    skipped: int


def import_accidents(
    text: str | Path,
    *,
    source: str,
    lat_col: str | None = None,
    lon_col: str | None = None,
    id_col: str | None = None,
    replace: bool = False,
) -> ImportSummary:
    """Import accident points from CSV text or a file (UTF-8). Rows with bad coordinates are skipped.

    Columns are found by name (Latitude/Longitude/Id, case-insensitive) unless given. Rows are keyed
    by (source, id): importing a file twice does not double the counts. ``replace`` first deletes this
    source's records. Raises PlanError when the coordinate columns cannot be found.
    """
    if isinstance(text, Path):
        text = read_import_text(text)  # size, type and UTF-8 checked before a row is read
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise PlanError(_("The CSV file is empty."))
    ilat, ilon, iid = (
        _column(header, _LAT, lat_col),
        _column(header, _LON, lon_col),
        _column(header, _ID, id_col),
    )
    if ilat is None or ilon is None:
        raise PlanError(
            _("No latitude/longitude columns in %(header)s: name them with --lat-col/--lon-col.")
            % {"header": header}
        )
    ivictims = _column(header, ("victims",), None)
    ivehicles = _column(header, ("vehiclesinvolved", "vehicles"), None)
    istreet = _column(header, ("street", "address"), None)
    records, read, skipped = {}, 0, 0
    for n, row in enumerate(reader, start=2):
        read += 1
        try:
            lat, lon = float(row[ilat]), float(row[ilon])
        except (ValueError, IndexError):
            skipped += 1
            continue
        if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180) or (
            lat == 0 and lon == 0
        ):
            skipped += 1
            continue
        ext = (row[iid].strip() if iid is not None and iid < len(row) else "") or f"row{n}"

        records[ext[:100]] = AccidentRecord(
            source=source,
            external_id=ext[:100],
            lat=lat,
            lon=lon,
            street=(row[istreet].strip()[:200] if istreet is not None and istreet < len(row) else ""),
            victims=_count(row, ivictims),
            vehicles=_count(row, ivehicles),
        )
    with transaction.atomic():
        if replace:
            AccidentRecord.objects.filter(source=source).delete()
        known = set(
            AccidentRecord.objects.filter(source=source, external_id__in=list(records)).values_list(
                "external_id", flat=True
            )
        )
        fresh = [r for key, r in records.items() if key not in known]
        AccidentRecord.objects.bulk_create(fresh, batch_size=2000)
    return ImportSummary(read, len(fresh), skipped)


FACTOR_COLUMNS = ("drivers_or_population", "difficulty", "police_strength", "accidents", "road_km")


def import_factors(text: str) -> tuple[int, list[str]]:
    """Set unit factors from CSV text with a ``code`` column and any of FACTOR_COLUMNS.

    Returns (units updated, unknown codes). Raises PlanError for a bad header or value.
    """
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "code" not in reader.fieldnames:
        raise PlanError(_("The CSV needs a “code” column (the basic unit's code)."))
    cols = [c for c in reader.fieldnames if c in FACTOR_COLUMNS]
    if not cols:
        raise PlanError(
            _("The CSV has no factor column: use any of %(columns)s.")
            % {"columns": ", ".join(FACTOR_COLUMNS)}
        )
    units = {u.code: u for u in BasicUnit.objects.all()}
    unknown, changed = [], []
    for row in reader:
        u = units.get((row.get("code") or "").strip())
        if u is None:
            unknown.append(row.get("code") or "")
            continue
        for c in cols:
            try:
                value = float(row[c])
            except (TypeError, ValueError):
                raise PlanError(
                    _("Unit %(code)s: %(column)s must be a number, not “%(value)s”.")
                    % {"code": u.code, "column": c, "value": row[c]}
                ) from None
            if not np.isfinite(value) or value < 0:
                raise PlanError(
                    _("Unit %(code)s: %(column)s must be a finite number, 0 or more.")
                    % {"code": u.code, "column": c}
                )
            setattr(u, c, value)
        changed.append(u)
    with transaction.atomic():
        BasicUnit.objects.bulk_update(changed, cols, batch_size=500)
        refresh_default_workload()
    return len(changed), unknown
