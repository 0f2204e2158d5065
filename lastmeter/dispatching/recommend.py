"""Which units to send: the K available units that reach the incident fastest by road.

Builds on ``algorithms.nearest.Fleet`` through the process's fleet index (fleet.py), synced from
the database first.  Each answer says why: ETA and road distance, the route, where the unit ranks
as the crow flies — and, for units that are nearer as the crow flies but were passed over, the
reason (one-way street, detour, slower roads, unreachable).
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.utils import timezone

from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching.algorithms.nearest import Explanation, UnitETA, format_duration
from lastmeter.dispatching.choices import DISPATCHABLE, UnitType
from lastmeter.dispatching.models import Incident, Unit
from lastmeter.dispatching.presenters import person_ref
from lastmeter.dispatching.selectors import is_stale
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.geo import haversine_m
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.algorithms.snapping import SnapError

WALK_SPEED_MPS = 1.4
WALK_DETOUR = 1.3  # street grid vs straight line


class RecommendError(ValueError):
    """The incident cannot be placed on the road network (HTTP 400)."""


def _as_list(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    if value is None or value == "":
        return None
    return [value] if isinstance(value, str) else list(value)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _unit_fields(unit: Unit, now) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "unit_id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "agency": unit.agency,
        "unit_type": unit.unit_type,
        "skills": list(unit.skills or []),
        "status": unit.status,
        "person": person_ref(unit.person) if unit.person_id else None,
        "lat": unit.lat,
        "lon": unit.lon,
        "stale": is_stale(unit, now),
        "position_at": unit.position_at,
    }


def _recommended(u: UnitETA, unit: Unit, graph, now) -> dict[str, Any]:
    route = u.route
    streets = route.street_names(graph) if route is not None and graph is not None else []
    distance = None if math.isnan(u.meters) else round(u.meters, 1)
    text = f"{format_duration(u.seconds)} by road"
    if distance is not None:
        text += f" ({distance / 1000:.1f} km"
        text += f" via {', '.join(streets[:3])})" if streets else ")"
    text += f"; {_ordinal(u.crow_rank)} nearest as the crow flies ({u.crow_m:,.0f} m)"
    row = _unit_fields(unit, now)
    if row["stale"]:
        age = (
            "no position time"
            if unit.position_at is None
            else f"position {format_duration((now - unit.position_at).total_seconds())} old"
        )
        text += f"; caution: {age}"
    row.update(
        {
            "recommended": True,
            "eta_s": round(u.seconds, 1),
            "distance_m": distance,
            "crow_m": round(u.crow_m, 1),
            "crow_rank": u.crow_rank,
            "route": [[round(a, 6), round(b, 6)] for a, b in route.coords()] if route is not None else [],
            "streets": streets,
            "reason": None,
            "explanation": text + ".",
        }
    )
    return row


def _with_codes(text: str, codes: dict[Any, str]) -> str:
    """The algorithm names units by id ("Unit 15 is …", "faster by road: 18 (2 min)", "for unit 18");
    dispatchers know them by call sign.  Unknown ids are left as they are."""

    def code(m: re.Match) -> str:
        return m.group(0).replace(m.group("id"), codes.get(int(m.group("id")), m.group("id")), 1)

    text = re.sub(r"^Unit (?P<id>\d+) is", code, text)
    text = re.sub(r"for unit (?P<id>\d+)", code, text)
    head, sep, tail = text.partition("faster by road: ")
    return head + sep + re.sub(r"(?<![\w.])(?P<id>\d+) \(", code, tail) if sep else text


def _passed_over(e: Explanation, unit: Unit, now, codes: dict[Any, str]) -> dict[str, Any]:
    row = _unit_fields(unit, now)
    row.update(
        {
            "recommended": False,
            "eta_s": None if e.road_seconds is None else round(e.road_seconds, 1),
            "distance_m": None if e.road_meters is None else round(e.road_meters, 1),
            "crow_m": round(e.crow_m, 1),
            "crow_rank": e.crow_rank,
            "route": [],
            "streets": [],
            "reason": e.reason,
            "explanation": _with_codes(e.text, codes),
        }
    )
    return row


def recommend_units(
    incident: Incident | int,
    k: int = 5,
    agency: str | list[str] | None = None,
    unit_type: str | list[str] | None = None,
    *,
    network: RoadNetwork | None = None,
    passed_over: bool = True,
) -> list[dict[str, Any]]:
    """The ``k`` dispatchable units (available or returning) fastest to the incident by road.

    Returns dicts, fastest first, with the unit's id/code/name/agency/unit_type/person/status,
    ``eta_s``, ``distance_m``, ``route`` ([[lat, lon], …] from the unit to the scene), ``streets``,
    ``crow_m``/``crow_rank`` and an ``explanation`` sentence, ``recommended: True``.  With
    ``passed_over``, units in the crow-flies top k that are *not* among them follow, with
    ``recommended: False`` and the reason (``one_way``, ``detour``, ``slower_roads``,
    ``unreachable``, ``beyond_search``) in ``reason``/``explanation``.  Stale positions are
    included but flagged (``stale``).  Raises RecommendError if the scene is off the road map,
    roads.RoadError if no road network can be loaded.
    """
    if not 1 <= k <= 50:
        raise ValueError("k must be between 1 and 50")
    inc = incident if isinstance(incident, Incident) else Incident.objects.get(pk=incident)
    index = fleet_index.get_index(network)
    kinds = _as_list(unit_type)
    walkers_wanted = kinds is None or UnitType.FOOT in kinds
    # Road times are driving times: foot patrols are ranked by a walking estimate instead (below).
    drive_kinds = [t for t in (kinds or UnitType.values) if t != UnitType.FOOT]
    try:
        rec = index.fleet.nearest(
            inc.lat,
            inc.lon,
            k,
            agencies=_as_list(agency),
            kinds=drive_kinds,
            explain=passed_over,
            routes=True,
            max_snap_m=roads.MAX_SNAP_M,
        )
    except SnapError as exc:
        raise RecommendError(f"the incident is not near a road: {exc}") from None
    wanted = [u.unit_id for u in rec.units] + [e.unit_id for e in rec.explanations]
    units = Unit.objects.select_related("person").in_bulk(wanted)
    state = index.network.state
    graph = state.graph if state.version == rec.network_version else None  # swapped meanwhile: no names
    now = timezone.now()
    out = [_recommended(u, units[u.unit_id], graph, now) for u in rec.units if u.unit_id in units]
    if walkers_wanted:
        out = sorted(out + _walkers(inc, _as_list(agency), now), key=lambda r: r["eta_s"])[:k]
    codes = {pk: u.code for pk, u in units.items()}
    out += [_passed_over(e, units[e.unit_id], now, codes) for e in rec.explanations if e.unit_id in units]
    return out


def walking_eta(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """(seconds, metres) on foot: the straight line × WALK_DETOUR at WALK_SPEED_MPS (pedestrians
    ignore one-way rules, so the driving graph would mislead more than it helps)."""
    metres = float(haversine_m(lat1, lon1, lat2, lon2)) * WALK_DETOUR
    return metres / WALK_SPEED_MPS, metres


def _walkers(inc: Incident, agencies: list[str] | None, now) -> list[dict[str, Any]]:
    """Dispatchable foot patrols with a position, with their walking ETA."""
    qs = Unit.objects.select_related("person").filter(
        unit_type=UnitType.FOOT, status__in=list(DISPATCHABLE), lat__isnull=False, lon__isnull=False
    )
    if agencies is not None:
        qs = qs.filter(agency__in=agencies)
    rows = []
    for unit in qs:
        assert unit.lat is not None and unit.lon is not None
        seconds, metres = walking_eta(unit.lat, unit.lon, inc.lat, inc.lon)
        crow = metres / WALK_DETOUR
        row = _unit_fields(unit, now)
        text = f"{format_duration(seconds)} on foot (about {metres / 1000:.1f} km; {crow:,.0f} m as the crow flies)"
        if row["stale"]:
            text += "; caution: position is stale"
        row.update(
            {
                "recommended": True,
                "eta_s": round(seconds, 1),
                "distance_m": round(metres, 1),
                "crow_m": round(crow, 1),
                "crow_rank": None,
                "route": [[unit.lat, unit.lon], [inc.lat, inc.lon]],
                "streets": [],
                "reason": None,
                "explanation": text + ".",
            }
        )
        rows.append(row)
    return rows
