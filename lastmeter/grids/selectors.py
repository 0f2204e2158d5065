"""Reads about grids: which grid contains a point, who is responsible, who is on duty."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry, prep

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import DutyShift, OrgUnit, Person, RoleAssignment
from lastmeter.grids.models import Grid


@dataclass(frozen=True)
class _GridShape:
    grid_id: int
    geometry: PreparedGeometry
    area: float


_cache_lock = threading.Lock()
_cache: tuple[tuple[tuple[int, str], ...], list[_GridShape]] | None = None


def _active_grid_shapes() -> list[_GridShape]:
    """Prepared polygons of the active grids, rebuilt when the set of grids changes.

    Preparing a polygon costs more than one containment test; appeals arrive far more often
    than grids change, so the prepared shapes are kept per process keyed by (id, boundary hash).
    """
    global _cache
    rows = list(Grid.objects.filter(active=True).order_by("id").values_list("id", "boundary"))
    key = tuple((gid, repr(boundary)) for gid, boundary in rows)
    with _cache_lock:
        if _cache is not None and _cache[0] == key:
            return _cache[1]
        shapes = []
        for gid, boundary in rows:
            geom = shape(boundary)
            shapes.append(_GridShape(gid, prep(geom), geom.area))
        # Smaller grids first: where plans overlap by mistake, the more specific grid wins.
        shapes.sort(key=lambda s: s.area)
        _cache = (key, shapes)
        return shapes


def grid_containing(lat: float, lon: float) -> Grid | None:
    point = Point(lon, lat)
    for grid_shape in _active_grid_shapes():
        if grid_shape.geometry.covers(point):
            return Grid.objects.select_related("community", "responsible_officer").get(id=grid_shape.grid_id)
    return None


def grid_id_containing(lat: float, lon: float) -> int | None:
    """The id of the active grid covering the point, without loading the grid (for bulk reads)."""
    point = Point(lon, lat)
    for grid_shape in _active_grid_shapes():
        if grid_shape.geometry.covers(point):
            return grid_shape.grid_id
    return None


def on_duty(grid: Grid, at: datetime | None = None) -> Person | None:
    """The person whose duty shift for this grid covers `at` (latest-starting shift wins)."""
    at = at or timezone.now()
    shift = (
        DutyShift.objects.filter(grid=grid, starts_at__lte=at, ends_at__gt=at, person__active=True)
        .select_related("person")
        .order_by("-starts_at")
        .first()
    )
    return shift.person if shift else None


def community_police_lead(community: OrgUnit) -> Person | None:
    ra = (
        RoleAssignment.objects.filter(role=Role.COMMUNITY_POLICE, org_unit=community, person__active=True)
        .select_related("person")
        .order_by("id")
        .first()
    )
    return ra.person if ra else None


def station_of(unit: OrgUnit) -> OrgUnit | None:
    for node in unit.ancestors():
        if node.kind == OrgKind.STATION:
            return node
    return None


def leadership_of(community: OrgUnit) -> Person | None:
    station = station_of(community)
    if station is None:
        return None
    ra = (
        RoleAssignment.objects.filter(role=Role.LEADERSHIP, org_unit=station, person__active=True)
        .select_related("person")
        .order_by("id")
        .first()
    )
    return ra.person if ra else None


def grid_members(grid: Grid) -> list[Person]:
    return [
        ra.person
        for ra in RoleAssignment.objects.filter(role=Role.GRID_MEMBER, grid=grid, person__active=True)
        .select_related("person")
        .order_by("id")
    ]


def building_heads(building: OrgUnit) -> list[Person]:
    return [
        ra.person
        for ra in RoleAssignment.objects.filter(
            role=Role.BUILDING_HEAD, org_unit=building, person__active=True
        )
        .select_related("person")
        .order_by("id")
    ]


@dataclass
class ChainLevel:
    level: str  # one of accounts.choices.CHAIN_LEVELS
    people: list[Person]


def responsibility_chain(grid: Grid, building: OrgUnit | None = None) -> list[ChainLevel]:
    """The four-level network for a grid (and optionally one building in it), top level first.

    leadership (station) → community police (grid's responsible officer, else the community's
    lead) → grid members (auxiliaries) → building heads (of the building, or of every building
    in the grid).
    """
    officer = grid.responsible_officer or community_police_lead(grid.community)
    if building is not None:
        heads = building_heads(building)
    else:
        heads = [
            ra.person
            for ra in RoleAssignment.objects.filter(
                role=Role.BUILDING_HEAD, org_unit__grid=grid, person__active=True
            )
            .select_related("person")
            .order_by("org_unit__name", "id")
        ]
    leader = leadership_of(grid.community)
    return [
        ChainLevel(Role.LEADERSHIP, [leader] if leader else []),
        ChainLevel(Role.COMMUNITY_POLICE, [officer] if officer else []),
        ChainLevel(Role.GRID_MEMBER, grid_members(grid)),
        ChainLevel(Role.BUILDING_HEAD, heads),
    ]


def responsible_for_point(
    lat: float, lon: float, at: datetime | None = None
) -> tuple[Grid | None, Person | None]:
    """Point → grid → the person to assign: on duty, else the grid's officer, else the community lead."""
    grid = grid_containing(lat, lon)
    if grid is None:
        return None, None
    person = on_duty(grid, at) or grid.responsible_officer or community_police_lead(grid.community)
    return grid, person
