"""Which units to send: the K available units that reach the incident fastest by road.

Builds on ``algorithms.nearest.Fleet`` through the process's fleet index (fleet.py), synced from
the database first.  Each answer says why: ETA and road distance, the route, where the unit ranks
as the crow flies — and, for units that are nearer as the crow flies but were passed over, the
reason (one-way street, detour, slower roads, unreachable).

The incident's type decides who goes first (``choices.PREFERRED_AGENCIES``): a fire to the fire
service, a traffic accident or a traffic problem to the traffic police, a fight or a theft to the
police, street vending or rubbish to urban management. Units of the preferred agency come first,
fastest first, then every other unit as support, fastest first; when no unit of the preferred
agency is available, the others lead and the explanation says so. The type is read from the
incident's title and description and its appeal's category (``incident_type_of``), unless the caller
names it. Without a type (``other``) the ranking is by ETA alone, as it always was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.appeals.models import Appeal
from lastmeter.dispatching import explanations as words
from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching.algorithms.nearest import Explanation, UnitETA
from lastmeter.dispatching.choices import DISPATCHABLE, PREFERRED_AGENCIES, Agency, IncidentType, UnitType
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


# Words that say what an incident is about, tried in this order on its title, description and its
# appeal's category (Chinese and English names); the first type with a match wins, so a fire or a
# crash outranks whatever else the text mentions ("电动车起火堵住路口" is a fire), and a fight in a
# car park is public order. English words match whole words only ("fire", not "firearm").
INCIDENT_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (IncidentType.FIRE, (
        "着火", "起火", "失火", "火灾", "火情", "冒烟", "浓烟", "明火", "烧起来", "燃烧", "爆炸",
        "fire", "smoke", "burning", "explosion",
    )),
    (IncidentType.TRAFFIC_ACCIDENT, (
        "车祸", "追尾", "相撞", "撞车", "撞人", "被撞", "撞倒", "撞伤", "剐蹭", "刮蹭", "交通事故", "翻车",
        "crash", "collision", "hit by a car", "traffic accident", "road accident",
    )),
    (IncidentType.PUBLIC_ORDER, (
        "打架", "斗殴", "打人", "持刀", "持枪", "抢劫", "盗窃", "被偷", "小偷", "诈骗", "被骗", "纠纷", "吵架",
        "可疑", "噪声", "噪音", "扰民", "赌博", "吸毒",
        "fight", "assault", "robbery", "theft", "burglary", "fraud", "dispute", "noise", "knife",
        "gun", "firearm",
    )),
    (IncidentType.TRAFFIC, (
        "违停", "违章停车", "乱停", "停车", "拥堵", "堵车", "红绿灯", "信号灯", "僵尸车", "逆行", "交通",
        "parking", "traffic", "congestion", "jam",
    )),
    (IncidentType.CITY, (
        "摆摊", "占道", "垃圾", "井盖", "路灯", "违建", "违章搭建", "树木", "倒伏",
        "vending", "vendor", "rubbish", "dumping", "fallen tree",
    )),
)  # fmt: skip
# A category handled by one of these departments, when no word above matched.
DEPARTMENT_TYPES: dict[str, str] = {
    "fire": IncidentType.FIRE,
    "urban_management": IncidentType.CITY,
    "greening": IncidentType.CITY,
}
_CUE_PATTERNS = [
    (
        itype,
        re.compile(
            "|".join(re.escape(w) if re.search(r"[^\x00-\x7f]", w) else rf"\b{re.escape(w)}\b" for w in words)
        ),
    )
    for itype, words in INCIDENT_CUES
]


def incident_type_of(texts: Iterable[str], department: str = "") -> str:
    """The IncidentType value the ``texts`` (title, description, category names) describe, else the
    type of the handling ``department``'s code, else ``other``."""
    text = " ".join(t for t in texts if t).lower()
    for itype, pattern in _CUE_PATTERNS:
        if pattern.search(text):
            return str(itype)
    return str(DEPARTMENT_TYPES.get(department, IncidentType.OTHER))


def incident_type_for(inc: Incident) -> str:
    """``incident_type_of`` the incident's title, description and its appeal's category (one query
    when the incident comes from an appeal)."""
    texts = [inc.title, inc.description]
    department = ""
    if inc.appeal_id is not None:
        appeal = Appeal.objects.select_related("category__department").filter(pk=inc.appeal_id).first()
        category = appeal.category if appeal is not None else None
        if category is not None:
            texts += [category.name, category.name_en]
            department = category.department.code if category.department is not None else ""
    return incident_type_of(texts, department)


def _as_list(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    if value is None or value == "":
        return None
    return [value] if isinstance(value, str) else list(value)


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


def _position_age(unit: Unit, now) -> float | None:
    return None if unit.position_at is None else (now - unit.position_at).total_seconds()


# The explanation's figures, on every row (None / [] where they do not apply), so that a client can
# word or chart them itself; ``explanation`` is the same in a sentence of the active language.
_NO_FIGURES: dict[str, Any] = {
    "detour_ratio": None,
    "average_kmh": None,
    "search_limit_s": None,
    "compared_with": None,
    "faster": [],
}


def _recommended(u: UnitETA, unit: Unit, graph, now) -> dict[str, Any]:
    route = u.route
    streets = route.street_names(graph) if route is not None and graph is not None else []
    distance = None if math.isnan(u.meters) else round(u.meters, 1)
    row = _unit_fields(unit, now)
    main = words.by_road(u.seconds, distance, streets, u.crow_rank, u.crow_m)
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
            **_NO_FIGURES,
            "explanation": words.recommended_sentence(main, row["stale"], _position_age(unit, now)),
        }
    )
    return row


def _ref(uid: Any, codes: dict[Any, str]) -> dict[str, Any]:
    return {"id": uid, "code": codes.get(uid, str(uid))}


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
            "detour_ratio": None if e.detour_ratio is None else round(e.detour_ratio, 2),
            "average_kmh": None if e.average_kmh is None else round(e.average_kmh, 1),
            "search_limit_s": None if e.search_limit_s is None else round(e.search_limit_s, 1),
            "compared_with": None
            if e.compared_unit_id is None
            else {**_ref(e.compared_unit_id, codes), "distance_m": round(e.compared_meters or 0.0, 1)},
            "faster": [{**_ref(uid, codes), "eta_s": round(s, 1)} for uid, s in e.faster],
            "explanation": words.passed_over_sentence(e, codes),
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
    incident_type: str | None = None,
) -> list[dict[str, Any]]:
    """The ``k`` dispatchable units (available or returning) to send to the incident: the units of
    the agency its type prefers first, fastest by road first, then the others, fastest first (see
    the module docstring; ``incident_type`` overrides the type read from the incident).

    Returns dicts with the unit's id/code/name/agency/unit_type/person/status, ``eta_s``,
    ``distance_m``, ``route`` ([[lat, lon], …] from the unit to the scene), ``streets``,
    ``crow_m``/``crow_rank``, ``incident_type``, ``preferred`` (its agency goes first; None when the
    type prefers none) and an ``explanation`` sentence that starts with why its agency ranks where it
    does (``priority_note``, translated), ``recommended: True``.  With ``passed_over``, units in the
    crow-flies top k that are *not* among them follow, with ``recommended: False`` and the reason
    (``one_way``, ``detour``, ``longer_route``, ``slower_roads``, ``unreachable``, ``beyond_search``) in
    ``reason``, its figures in ``detour_ratio``, ``average_kmh``, ``search_limit_s``,
    ``compared_with`` and ``faster`` (see ``algorithms.nearest.Explanation``), and in words in
    ``explanation`` (``explanations.py``).  Stale positions are included but flagged (``stale``).  Raises
    RecommendError if the scene is off the road map, roads.RoadError if no road network can be loaded.
    """
    if not 1 <= k <= 50:
        raise ValueError(_("Ask for between 1 and 50 units."))
    inc = incident if isinstance(incident, Incident) else Incident.objects.get(pk=incident)
    itype = incident_type or incident_type_for(inc)
    allowed = _as_list(agency)
    first = [a for a in PREFERRED_AGENCIES.get(itype, ()) if allowed is None or a in allowed]
    # One search per group (the preferred agencies, then the rest), so that a fire engine further
    # away than k police cars is still found.
    groups: list[list[str] | None] = [allowed]
    if first:
        groups = [first, [a for a in (allowed or Agency.values) if a not in first]]
    index = fleet_index.get_index(network)
    now = timezone.now()
    ranked: list[tuple[int, dict[str, Any]]] = []
    over: list[dict[str, Any]] = []
    for tier, agencies in enumerate(groups):
        if agencies is not None and not agencies:
            continue
        rows, passed = _fastest(index, inc, k, agencies, _as_list(unit_type), passed_over, now)
        ranked += [(tier, row) for row in rows]
        over += passed
    ranked.sort(key=lambda tr: (tr[0], tr[1]["eta_s"]))
    out = [row for _, row in ranked[:k]]
    _note_preference(out, itype, first)
    chosen: set[int] = {row["id"] for row in out}
    for row in over:
        if row["id"] not in chosen:
            chosen.add(row["id"])
            out.append(row)
    return out


def _fastest(
    index, inc: Incident, k: int, agencies: list[str] | None, kinds: list[str] | None, explain: bool, now
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``k`` fastest units of ``agencies`` (None: any) by road, foot patrols by walking, and the
    crow-flies-near units that search passed over."""
    walkers_wanted = kinds is None or UnitType.FOOT in kinds
    # Road times are driving times: foot patrols are ranked by a walking estimate instead (below).
    drive_kinds = [t for t in (kinds or UnitType.values) if t != UnitType.FOOT]
    try:
        rec = index.fleet.nearest(
            inc.lat,
            inc.lon,
            k,
            agencies=agencies,
            kinds=drive_kinds,
            explain=explain,
            routes=True,
            max_snap_m=roads.MAX_SNAP_M,
        )
    except SnapError:
        raise RecommendError(
            _(
                "The incident's place is more than %(m)s m from any road on the map: move its pin onto a "
                "street, then ask again."
            )
            % {"m": f"{roads.MAX_SNAP_M:g}"}
        ) from None
    wanted = [u.unit_id for u in rec.units] + [e.unit_id for e in rec.explanations]
    units = Unit.objects.select_related("person").in_bulk(wanted)
    state = index.network.state
    graph = state.graph if state.version == rec.network_version else None  # swapped meanwhile: no names
    out = [_recommended(u, units[u.unit_id], graph, now) for u in rec.units if u.unit_id in units]
    if walkers_wanted:
        out = sorted(out + _walkers(inc, agencies, now), key=lambda r: r["eta_s"])[:k]
    codes = {pk: u.code for pk, u in units.items()}
    passed = [_passed_over(e, units[e.unit_id], now, codes) for e in rec.explanations if e.unit_id in units]
    return out, passed


def _note_preference(rows: list[dict[str, Any]], itype: str, first: list[str]) -> None:
    """Say in each recommended row why its agency ranks where it does (in the active language)."""
    for row in rows:
        row["incident_type"] = itype
        row["preferred"] = (row["agency"] in first) if first else None
        row["priority_note"] = ""
    if not first:
        return
    names = {
        "type": str(IncidentType(itype).label),
        "agencies": "/".join(str(Agency(a).label) for a in first),
    }
    if not any(row["preferred"] for row in rows):
        note = _("%(type)s: no %(agencies)s unit is available; the fastest other units are recommended.")
        notes = {False: note % names}
    else:
        notes = {
            True: _("%(type)s: %(agencies)s go first.") % names,
            False: _("%(type)s: in support of %(agencies)s.") % names,
        }
    for row in rows:
        row["priority_note"] = notes[row["preferred"]]
        # Why its service ranks here, then how fast it gets there (two sentences; no gap in Chinese).
        row["explanation"] = _("%(priority)s %(eta)s") % {
            "priority": row["priority_note"],
            "eta": row["explanation"],
        }


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
        text = words.recommended_sentence(
            words.on_foot(seconds, metres, crow), row["stale"], _position_age(unit, now)
        )
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
                **_NO_FIGURES,
                "explanation": text,
            }
        )
        rows.append(row)
    return rows
