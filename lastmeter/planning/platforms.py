"""Service areas of fixed platforms on the road network (the planner's §3 analyses).

Builds the inputs of planning.algorithms.service_areas from the process's road network
(lastmeter.roads.services.get_network) and the Platform rows, and turns the answers into JSON rows
with coordinates and street names:

- ``service_area_report``: every intersection goes to the platform that reaches it first, the
  intersections beyond the response target, and each platform's workload (incident rates);
- ``blockade_report``: which platform seals which exit so that the last exit is sealed earliest;
- ``addition_report``: where k new platforms cut the worst response time most, then balance workload;
- ``district_review_report``: the whole jurisdiction reviewed district by district (districts are the
  active grids' communities, or the grids): coverage, worst time, workload spread, findings, and a
  relocate-then-add proposal with before/after figures;
- ``containment_report``: the cordon that contains a suspect fleeing from an incident, sealed by the
  platforms before the suspect can get there (exact), and which platform seals which intersection.

Travel follows the contest's model: the undirected road length at a constant speed (a police car with
lights on may use a one-way street against its direction). Only the parts of the network joined by
road to at least one platform are analysed; intersections elsewhere are counted as unreachable.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import scipy.sparse as sp
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from lastmeter.appeals.models import Appeal
from lastmeter.planning.algorithms import (
    ServiceAreas,
    add_platforms,
    blockade_plan,
    service_areas,
)
from lastmeter.planning.algorithms.service_areas import undirected_lengths
from lastmeter.planning.choices import PlatformKind
from lastmeter.planning.models import AccidentRecord, Platform
from lastmeter.planning.report import PlanError
from lastmeter.roads import services as road_services
from lastmeter.roads.algorithms.graph import RoadGraph

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")
MAX_EXITS = 200
MAX_SNAP_M = 500.0  # a platform or exit farther than this from any road node is refused
RATE_SNAP_M = 300.0  # an incident farther than this from the analysed roads does not count
BOUNDARY_M = 100.0  # dead ends this close to the edge of the road extract are its exits by default


def road_graph() -> RoadGraph:
    """The process's road graph; PlanError if it cannot be loaded."""
    try:
        return road_services.get_network().graph
    except road_services.RoadError as exc:
        raise PlanError(gettext("The road map is not available (%(error)s).") % {"error": exc}) from None


_cache_lock = threading.Lock()
_cache: dict[int, tuple[RoadGraph, sp.csr_array, np.ndarray, cKDTree, dict[int, int]]] = {}


def _base(g: RoadGraph):
    """(undirected length matrix, undirected degree, KD-tree of nodes, source id → node) per graph."""
    with _cache_lock:
        hit = _cache.get(id(g))
        if hit is not None and hit[0] is g:
            return hit[1:]
    m, degree = undirected_lengths(g.tail, g.indices, g.meters, g.n_nodes)
    x, y = g.xy
    tree = cKDTree(np.column_stack([x, y]))
    by_source = {int(s): i for i, s in enumerate(g.source_id.tolist())}
    value = (m, degree, tree, by_source)
    with _cache_lock:
        _cache.clear()  # one graph at a time: a reload replaces it
        _cache[id(g)] = (g, *value)
    return value


def snap_node(g: RoadGraph, lat: float, lon: float, max_m: float = MAX_SNAP_M) -> tuple[int, float]:
    """Nearest road node to (lat, lon) and its distance in metres; PlanError if farther than ``max_m``."""
    if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise PlanError(
            gettext("(%(lat)s, %(lon)s) is not a valid latitude and longitude.") % {"lat": lat, "lon": lon}
        )
    _, _, tree, _ = _base(g)
    x, y = g.projection.forward(lat, lon)
    d, i = tree.query([float(x), float(y)])
    if not np.isfinite(d) or d > max_m:
        raise PlanError(
            gettext("No road within %(m)s m of (%(lat)s, %(lon)s): place it on a street of the map.")
            % {"m": f"{max_m:g}", "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"}
        )
    return int(i), float(d)


def do_save_platform(
    *, code: str, name: str, lat: float, lon: float, kind: str = "platform", active: bool = True
) -> Platform:
    """Create or update a platform and snap it to its road node (PlanError if off the map)."""
    if not SLUG.fullmatch(code or ""):
        raise PlanError(gettext("A platform's code is 1 to 60 letters, digits, '-' or '_'."))
    if not name.strip() or len(name) > 200:
        raise PlanError(gettext("A platform needs a name of at most 200 characters."))
    if kind not in PlatformKind.values:
        raise PlanError(gettext("Choose a platform, a police station or a traffic police post."))
    g = road_graph()
    node, dist = snap_node(g, lat, lon)
    with transaction.atomic():
        platform, _ = Platform.objects.select_for_update().get_or_create(
            code=code, defaults={"name": name, "lat": lat, "lon": lon}
        )
        platform.name, platform.lat, platform.lon, platform.kind, platform.active = (
            name,
            lat,
            lon,
            kind,
            active,
        )
        platform.road_node, platform.snap_m = int(g.source_id[node]), round(dist, 1)
        platform.save()
    return platform


@dataclass
class Analysis:
    """The part of the network reachable from the platforms, as a symmetric length matrix."""

    graph: RoadGraph
    matrix: sp.csr_array
    nodes: np.ndarray  # graph node of each analysed node
    platforms: list[Platform]
    stations: np.ndarray  # analysed-node index of each platform
    intersections: np.ndarray  # analysed-node indices with road degree >= 3 (or a platform)
    unreachable_intersections: int
    tree: cKDTree

    def node_row(self, i: int, extra: dict | None = None) -> dict:
        g, node = self.graph, int(self.nodes[i])
        streets = g.node_names(node)
        row = {
            "node": int(g.source_id[node]),
            "lat": round(float(g.lat[node]), 6),
            "lon": round(float(g.lon[node]), 6),
            "streets": streets,
            # An intersection of unnamed roads (ramps, slip roads) is named by the streets nearest it.
            "near": [] if streets else g.nearby_names(node),
        }
        row.update(extra or {})
        return row

    def nearest(self, lat: np.ndarray, lon: np.ndarray, max_m: float) -> np.ndarray:
        x, y = self.graph.projection.forward(np.asarray(lat, float), np.asarray(lon, float))
        d, i = self.tree.query(np.column_stack([x, y]), distance_upper_bound=max_m)
        return np.where(np.isfinite(d), i, -1)


def analysis(platforms: list[Platform] | None = None) -> Analysis:
    """Restrict the network to the connected parts holding an active platform. PlanError if none."""
    g = road_graph()
    matrix, degree, _, by_source = _base(g)
    platforms = list(Platform.objects.filter(active=True).order_by("id")) if platforms is None else platforms
    if not platforms:
        raise PlanError(gettext("There are no active platforms: add police platforms or stations first."))
    station_nodes = []
    for p in platforms:
        node = by_source.get(int(p.road_node)) if p.road_node is not None else None
        if node is None:  # the road file changed since the platform was saved
            node, _ = snap_node(g, p.lat, p.lon)
        station_nodes.append(node)
    seen: dict[int, Platform] = {}
    for p, node in zip(platforms, station_nodes, strict=True):
        if node in seen:
            raise PlanError(
                gettext("Platforms %(a)s and %(b)s start from the same road node: move one of them.")
                % {"a": seen[node].code, "b": p.code}
            )
        seen[node] = p
    _, labels = connected_components(matrix, directed=False)
    keep_labels = np.unique(labels[station_nodes])
    keep = np.isin(labels, keep_labels)
    nodes = np.flatnonzero(keep)
    sub = matrix[nodes][:, nodes].tocsr()
    local = np.full(g.n_nodes, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    stations = local[np.array(station_nodes)]
    is_x = degree >= 3
    inter = np.union1d(np.flatnonzero(is_x[nodes]), stations)
    x, y = g.xy
    return Analysis(
        graph=g,
        matrix=sub,
        nodes=nodes,
        platforms=platforms,
        stations=stations,
        intersections=inter,
        unreachable_intersections=int((is_x & ~keep).sum()),
        tree=cKDTree(np.column_stack([x[nodes], y[nodes]])),
    )


def incident_rates(a: Analysis, source: str = "appeals", days: int = 365) -> tuple[np.ndarray, str]:
    """Incidents per analysed node: police appeals of the last ``days`` plus imported accidents,
    each counted at its nearest node; uniform (1 per intersection) if there are none or asked."""
    n = a.nodes.size
    if source == "appeals":
        since = timezone.now() - timedelta(days=days)
        pts = list(
            Appeal.objects.filter(
                lat__isnull=False, lon__isnull=False, created_at__gte=since, category__department__isnull=True
            ).values_list("lat", "lon")
        )
        pts += list(AccidentRecord.objects.values_list("lat", "lon"))
        if pts:
            arr = np.array(pts, dtype=float)
            idx = a.nearest(arr[:, 0], arr[:, 1], RATE_SNAP_M)
            rates = np.bincount(idx[idx >= 0], minlength=n).astype(float)
            if rates.sum() > 0:
                return rates, "appeals"
    elif source != "uniform":
        raise PlanError(gettext("Weigh intersections by appeals or uniformly."))
    rates = np.zeros(n)
    rates[a.intersections] = 1.0
    return rates, "uniform"


def check_speed(speed_kmh: float, target_min: float) -> None:
    if not 1 <= speed_kmh <= 200:
        raise PlanError(gettext("The speed must be between 1 and 200 km/h."))
    if not 0 < target_min <= 120:
        raise PlanError(gettext("The response target must be more than 0 and at most 120 minutes."))


def _platform_rows(a: Analysis, areas: ServiceAreas) -> list[dict]:
    rows = []
    inter_assign = areas.assignment[a.intersections]
    inter_time = areas.time_min[a.intersections]
    for s, p in enumerate(a.platforms):
        mine = inter_assign == s
        rows.append(
            {
                "id": p.pk,
                "code": p.code,
                "name": p.name,
                "lat": p.lat,
                "lon": p.lon,
                "intersections": int(mine.sum()),
                "workload": round(float(areas.workload[s]), 3),
                "max_time_min": round(float(inter_time[mine].max()), 2) if mine.any() else 0.0,
            }
        )
    return rows


def service_area_report(
    *, speed_kmh: float = 60.0, target_min: float = 3.0, rates: str = "appeals", limit: int = 500
) -> dict:
    """Nearest platform of every intersection, those beyond ``target_min``, workload per platform."""
    check_speed(speed_kmh, target_min)
    a = analysis()
    r, rate_source = incident_rates(a, rates)
    areas = service_areas(a.matrix, a.stations, r, speed_kmh=speed_kmh, target_min=target_min)
    inter = a.intersections
    t = areas.time_min[inter]
    beyond = inter[t > target_min + 1e-9]
    beyond = beyond[np.argsort(-areas.time_min[beyond], kind="stable")]
    wl = areas.workload
    # Coverage counts every intersection of the road network: one no platform can reach is not
    # covered (a report of "100 %" beside "11 unreachable" would say the opposite of the truth).
    covered = int((t <= target_min + 1e-9).sum())
    everywhere = int(inter.size) + a.unreachable_intersections
    return {
        "speed_kmh": speed_kmh,
        "target_min": target_min,
        "rates": rate_source,
        "intersections": int(inter.size),
        "unreachable_intersections": a.unreachable_intersections,
        "all_intersections": everywhere,
        "covered_intersections": covered,
        "max_time_min": round(float(t.max()), 2) if t.size else 0.0,
        "covered_pct": round(100.0 * covered / everywhere, 2) if everywhere else 100.0,
        "covered_reachable_pct": round(100.0 * covered / t.size, 2) if t.size else 100.0,
        "workload_max": round(float(wl.max()), 3),
        "workload_mean": round(float(wl.mean()), 3),
        "platforms": _platform_rows(a, areas),
        "beyond_target_count": int(beyond.size),
        "beyond_target": [
            a.node_row(
                int(i),
                {
                    "time_min": round(float(areas.time_min[i]), 2),
                    "platform": a.platforms[int(areas.assignment[i])].code,
                },
            )
            for i in beyond[:limit]
        ],
    }


def service_area_geojson(*, speed_kmh: float = 60.0, target_min: float = 3.0) -> dict:
    """Intersections as points (platform, time, beyond target) plus the platforms, for a map."""
    check_speed(speed_kmh, target_min)
    a = analysis()
    areas = service_areas(a.matrix, a.stations, None, speed_kmh=speed_kmh, target_min=target_min)
    g = a.graph
    features = []
    for i in a.intersections.tolist():
        node = int(a.nodes[i])
        s = int(areas.assignment[i])
        streets = g.node_names(node)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(g.lon[node]), 6), round(float(g.lat[node]), 6)],
                },
                "properties": {
                    "layer": "intersection",
                    "node": int(g.source_id[node]),
                    "streets": streets,
                    "near": [] if streets else g.nearby_names(node),
                    "platform": a.platforms[s].code if s >= 0 else None,
                    "time_min": round(float(areas.time_min[i]), 2),
                    "beyond_target": bool(areas.time_min[i] > target_min + 1e-9),
                },
            }
        )
    for p in a.platforms:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {"layer": "platform", "code": p.code, "name": p.name, "kind": p.kind},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def exit_nodes(a: Analysis, exits: list[dict], what: str | None = None) -> np.ndarray:
    """The analysis' node of each exit ({"node": source id} or {"lat", "lon"}); ``what`` names the
    points in refusals (default: "the exit")."""
    what = what or gettext("the exit")
    by_source = {int(s): i for i, s in enumerate(a.graph.source_id[a.nodes].tolist())}
    out = []
    for e in exits:
        if e.get("node") is not None:
            i = by_source.get(int(e["node"])) if abs(int(e["node"])) < 2**63 else None
            if i is None:
                raise PlanError(
                    gettext("%(what)s: road node %(node)s is not on the roads the platforms reach.")
                    % {"what": what, "node": e["node"]}
                )
        elif e.get("lat") is not None and e.get("lon") is not None:
            i = int(a.nearest(np.array([float(e["lat"])]), np.array([float(e["lon"])]), MAX_SNAP_M)[0])
            if i < 0:
                raise PlanError(
                    gettext("%(what)s (%(lat)s, %(lon)s): no road the platforms reach within %(m)s m.")
                    % {"what": what, "m": f"{MAX_SNAP_M:g}", "lat": e["lat"], "lon": e["lon"]}
                )
        else:
            raise PlanError(
                gettext("%(what)s needs a road node, or a latitude and a longitude.") % {"what": what}
            )
        out.append(i)
    if len(set(out)) != len(out):
        raise PlanError(gettext("Two exits are the same road node: give each exit once."))
    return np.array(out, dtype=np.int64)


def blockade_report(exits: list[dict], *, speed_kmh: float = 60.0) -> dict:
    """Seal every exit with its own platform; the last exit is sealed as early as possible (exact)."""
    check_speed(speed_kmh, 1.0)
    if not exits:
        raise PlanError(gettext("Give at least one exit to seal."))
    if len(exits) > MAX_EXITS:
        raise PlanError(gettext("Give at most %(n)s exits.") % {"n": MAX_EXITS})
    a = analysis()
    nodes = exit_nodes(a, exits)
    if nodes.size > a.stations.size:
        raise PlanError(
            gettext("%(exits)s exits but only %(platforms)s platforms: each platform seals one exit.")
            % {"exits": nodes.size, "platforms": a.stations.size}
        )
    try:
        plan = blockade_plan(a.matrix, a.stations, nodes, speed_kmh=speed_kmh)
    except ValueError as exc:
        raise PlanError(gettext("The exits cannot be sealed (%(error)s).") % {"error": exc}) from None
    code_of = {int(s): p for s, p in zip(a.stations.tolist(), a.platforms, strict=True)}
    return {
        "speed_kmh": speed_kmh,
        "last_sealed_min": round(plan.last_sealed_min, 2),
        "total_min": round(plan.total_min, 2),
        "assignments": [
            a.node_row(
                int(e),
                {
                    "platform": code_of[int(s)].code,
                    "platform_name": code_of[int(s)].name,
                    "time_min": round(float(t), 2),
                },
            )
            for e, s, t in zip(
                plan.exits.tolist(), plan.station_of_exit.tolist(), plan.time_min.tolist(), strict=True
            )
        ],
    }


def addition_report(
    k: int,
    *,
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
    rates: str = "appeals",
    max_candidates: int = 300,
    time_limit_s: float = 30.0,
) -> dict:
    """Where ``k`` new platforms minimise the worst response time (exact), then balance workload.

    Candidates are the intersections (an even spread of at most ``max_candidates`` of them: the road
    nodes are stored along a space-filling curve, so every n-th one samples the whole map).
    """
    check_speed(speed_kmh, target_min)
    if not 1 <= k <= 50:
        raise PlanError(gettext("Suggest between 1 and 50 new platforms."))
    if not 1 <= max_candidates <= 5000:
        raise PlanError(
            gettext("The number of candidate intersections must be between 1 and %(max)s.") % {"max": 5000}
        )
    a = analysis()
    r, rate_source = incident_rates(a, rates)
    cand = np.setdiff1d(a.intersections, a.stations)
    if cand.size > max_candidates:
        cand = cand[np.linspace(0, cand.size - 1, max_candidates).round().astype(np.int64)]
    if k > cand.size:
        raise PlanError(
            gettext("Only %(n)s candidate intersections for %(k)s new platforms: ask for fewer.")
            % {"n": cand.size, "k": k}
        )
    try:
        res = add_platforms(
            a.matrix,
            a.stations,
            k,
            r,
            candidates=cand,
            speed_kmh=speed_kmh,
            target_min=target_min,
            time_limit=time_limit_s,
        )
    except (ValueError, RuntimeError) as exc:
        raise PlanError(gettext("The platforms cannot be placed (%(error)s).") % {"error": exc}) from None

    def summary(areas: ServiceAreas) -> dict:
        t = areas.time_min[a.intersections]
        return {
            "max_time_min": round(float(areas.max_time_min), 2),
            "beyond_target": int((t > target_min + 1e-9).sum()),
            "workload_max": round(float(areas.workload.max()), 3),
            "workload_std": round(float(areas.workload.std()), 3),
        }

    return {
        "k": k,
        "speed_kmh": speed_kmh,
        "target_min": target_min,
        "rates": rate_source,
        "candidates": int(cand.size),
        "method": res.method,
        "worst_time_min": round(res.radius_min, 2),
        "before": summary(res.before),
        "after": summary(res.after),
        "added": [
            a.node_row(int(i), {"workload": round(float(res.after.workload[len(a.platforms) + j]), 3)})
            for j, i in enumerate(res.added.tolist())
        ],
    }
