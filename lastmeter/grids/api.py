"""Grids API: the grids as GeoJSON, and who is responsible where (the four-level chain)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import OrgUnit
from lastmeter.grids.models import Grid
from lastmeter.grids.selectors import on_duty, responsibility_chain, responsible_for_point
from lastmeter.lib.text import mask_phone

router = Router(tags=["grids"])


class PersonOut(Schema):
    id: int
    name: str
    phone: str


class LevelOut(Schema):
    level: str
    people: list[PersonOut]


class ChainOut(Schema):
    grid: str
    building: str | None
    on_duty: PersonOut | None
    levels: list[LevelOut]


def _person(p) -> dict:
    return {"id": p.pk, "name": p.name, "phone": mask_phone(p.phone)}


def _chain(grid: Grid, building: OrgUnit | None) -> dict:
    duty = on_duty(grid, timezone.now())
    return {
        "grid": grid.name,
        "building": building.name if building else None,
        "on_duty": _person(duty) if duty else None,
        "levels": [
            {"level": lvl.level, "people": [_person(p) for p in lvl.people]}
            for lvl in responsibility_chain(grid, building)
        ],
    }


@router.get("/grids", auth=API_AUTH)
def grids_geojson(request: HttpRequest):
    """All active grids as a GeoJSON FeatureCollection (for maps)."""
    request_scope(request)
    features = [
        {
            "type": "Feature",
            "geometry": g.boundary,
            "properties": {
                "id": g.pk,
                "code": g.code,
                "name": g.name,
                "community": g.community.name,
                "officer": g.responsible_officer.name if g.responsible_officer else None,
            },
        }
        for g in Grid.objects.filter(active=True).select_related("community", "responsible_officer")
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/grids/{grid_id}/chain", response=ChainOut, auth=API_AUTH)
def grid_chain(request: HttpRequest, grid_id: int):
    request_scope(request)
    return _chain(get_object_or_404(Grid, pk=grid_id), None)


@router.get("/buildings/{building_id}/chain", response=ChainOut, auth=API_AUTH)
def building_chain(request: HttpRequest, building_id: int):
    request_scope(request)
    building = get_object_or_404(OrgUnit, pk=building_id, kind=OrgKind.BUILDING)
    if building.grid is None:
        from ninja.errors import HttpError

        raise HttpError(409, "this building is not inside any grid yet")
    return _chain(building.grid, building)


@router.get("/responsible", response={200: ChainOut, 404: dict}, auth=API_AUTH)
def responsible_at(request: HttpRequest, lat: float, lon: float):
    """Point → grid → chain and the person on duty now."""
    request_scope(request)
    grid, _person_now = responsible_for_point(lat, lon)
    if grid is None:
        return 404, {"detail": "no grid contains this point"}
    return 200, _chain(grid, None)
