"""A demo simulator: units drive along real road routes, answer dispatches and patrol.

``simulate_step(dt_s)`` advances every unit by ``dt_s`` simulated seconds and reports the new
positions through ``services.do_report_position`` (so the board, the fleet index and SOS alarms
follow exactly as with real devices):
- dispatched units set off (→ en route) along the route they were given; when they reach the end
  they are marked on scene (which records the response time);
- available units patrol: drive to a random road node within ~1.5 km at 60 % of the road speed;
- returning units drive back to where the simulator first saw them, then become available;
- on-scene and off-duty units stay put.
Used by ``lastmeter simulate`` and by the live demo beside the in-process worker (demo/live.py).  State (current legs) is
per process; one simulator per deployment, please (two would fight over the units).
"""

from __future__ import annotations

import itertools
import logging
import math
import random
from dataclasses import dataclass

import numpy as np

from lastmeter.dispatching import services
from lastmeter.dispatching.choices import UnitStatus
from lastmeter.dispatching.models import Assignment, Unit
from lastmeter.dispatching.presenters import latlon_of
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.geo import haversine_m
from lastmeter.roads.algorithms.graph import RoadGraph
from lastmeter.roads.algorithms.network import RoadNetwork

log = logging.getLogger("lastmeter.simulate")

PATROL_FACTOR = 0.6  # patrols drive slower than the road speed
FOOT_SPEED_MPS = 1.4
PATROL_RADIUS_M = 1500.0
DEFAULT_SPEED_MPS = 8.0


def main_component_nodes(graph: RoadGraph) -> np.ndarray:
    """Nodes of the largest strongly connected component: from any of them every other is reachable
    (clipped extracts leave dead-end fragments at their edges)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n = graph.n_nodes
    if n == 0:
        return np.zeros(0, np.int64)
    m = csr_matrix((np.ones(graph.n_edges, np.int8), graph.indices, graph.indptr), shape=(n, n))
    _, labels = connected_components(m, directed=True, connection="strong")
    return np.flatnonzero(labels == np.bincount(labels).argmax())


@dataclass
class Leg:
    """A polyline being driven: points (lat, lon), cumulative metres, speed, distance done."""

    points: list[tuple[float, float]]
    cum: np.ndarray
    speed_mps: float
    purpose: str  # "assignment" | "patrol" | "return"
    assignment_id: int | None = None
    done_m: float = 0.0

    @classmethod
    def of(cls, points, speed_mps: float, purpose: str, assignment_id: int | None = None) -> Leg:
        pts = [(float(a), float(b)) for a, b in points] or [(0.0, 0.0)]
        steps = [float(haversine_m(*p, *q)) for p, q in itertools.pairwise(pts)]
        return cls(
            pts, np.concatenate([[0.0], np.cumsum(steps)]), max(speed_mps, 0.5), purpose, assignment_id
        )

    @property
    def finished(self) -> bool:
        return self.done_m >= float(self.cum[-1]) - 0.01

    def advance(self, dt_s: float) -> tuple[float, float, float | None]:
        """Move on by dt_s; returns (lat, lon, heading in degrees or None)."""
        self.done_m = min(float(self.cum[-1]), self.done_m + self.speed_mps * dt_s)
        i = int(np.searchsorted(self.cum, self.done_m, side="right")) - 1
        i = min(max(i, 0), len(self.points) - 1)
        if i >= len(self.points) - 1:
            a = self.points[-2] if len(self.points) > 1 else self.points[-1]
            b = self.points[-1]
            return b[0], b[1], _bearing(a, b)
        a, b = self.points[i], self.points[i + 1]
        seg = float(self.cum[i + 1] - self.cum[i])
        f = 0.0 if seg <= 0 else (self.done_m - float(self.cum[i])) / seg
        return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), _bearing(a, b)


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float | None:
    if a == b:
        return None
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dl = math.radians(b[1] - a[1])
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return round((math.degrees(math.atan2(y, x)) + 360.0) % 360.0, 1)


class Simulator:
    """Holds each unit's current leg between steps."""

    def __init__(self, network: RoadNetwork | None = None, seed: int = 7) -> None:
        self._network = network
        self.rng = random.Random(seed)
        self.legs: dict[int, Leg] = {}
        self.home: dict[int, tuple[float, float]] = {}
        self._nodes_version = -1
        self._nodes = np.zeros(0, np.int64)

    @property
    def network(self) -> RoadNetwork:
        return self._network or roads.get_network()

    def _candidates(self) -> np.ndarray:
        net = self.network
        if net.version != self._nodes_version:
            self._nodes = main_component_nodes(net.graph)
            self._nodes_version = net.version
        return self._nodes

    def _route(self, origin: tuple[float, float], dest: tuple[float, float]):
        try:
            return roads.route_between(origin, dest, network=self.network)
        except roads.RoadError:
            return None

    def _patrol_leg(self, unit: Unit) -> Leg | None:
        g = self.network.graph
        nodes = self._candidates()
        if nodes.size == 0:
            return None
        here = (float(unit.lat or 0.0), float(unit.lon or 0.0))
        d = haversine_m(here[0], here[1], g.lat[nodes], g.lon[nodes])
        near = nodes[(d > 200) & (d < PATROL_RADIUS_M)]
        pool = near if near.size else nodes
        for _ in range(4):  # a few tries: the unit itself may stand on a dead-end fragment
            node = int(pool[self.rng.randrange(pool.size)])
            route = self._route(here, (float(g.lat[node]), float(g.lon[node])))
            if route is not None and route.meters > 1:
                if unit.unit_type == "foot":
                    speed = FOOT_SPEED_MPS
                else:
                    speed = PATROL_FACTOR * route.meters / max(route.seconds, 1e-6)
                return Leg.of(route.coords(), speed, "patrol")
        return None

    def _assignment_leg(self, unit: Unit, a: Assignment) -> Leg:
        points = [tuple(p) for p in latlon_of(a.route)]
        if unit.lat is not None and unit.lon is not None:
            points = [(unit.lat, unit.lon), *points]
        speed = DEFAULT_SPEED_MPS
        if a.eta_s and a.distance_m:
            speed = a.distance_m / max(a.eta_s, 1.0)
        if unit.unit_type == "foot":
            speed = min(speed, 2.5)  # running
        return Leg.of(points, speed, "assignment", a.pk)

    def step(self, dt_s: float) -> dict[str, int]:
        """Advance every unit by ``dt_s`` seconds; returns counts of what happened."""
        counts = {"moved": 0, "en_route": 0, "arrived": 0, "available": 0, "errors": 0}
        active = {
            a.unit_id: a
            for a in Assignment.objects.filter(cleared_at__isnull=True).select_related("incident")
        }
        for unit in Unit.objects.exclude(status=UnitStatus.OFF_DUTY).exclude(lat__isnull=True).order_by("pk"):
            try:
                self._step_unit(unit, active.get(unit.pk), dt_s, counts)
            except (services.ServiceError, services.TransitionError) as exc:
                # a human changed the unit meanwhile: forget the leg, pick up again next step
                log.info("simulator: unit %s: %s", unit.code, exc)
                self.legs.pop(unit.pk, None)
                counts["errors"] += 1
        return counts

    def _step_unit(self, unit: Unit, a: Assignment | None, dt_s: float, counts: dict[str, int]) -> None:
        self.home.setdefault(unit.pk, (float(unit.lat), float(unit.lon)))  # type: ignore[arg-type]
        if unit.status == UnitStatus.ON_SCENE:
            self.legs.pop(unit.pk, None)
            return
        leg = self.legs.get(unit.pk)
        if unit.status in (UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE) and a is not None:
            if unit.status == UnitStatus.DISPATCHED:
                services.do_mark_en_route(unit, None)
                counts["en_route"] += 1
            if leg is None or leg.assignment_id != a.pk:
                leg = self.legs[unit.pk] = self._assignment_leg(unit, a)
        elif unit.status == UnitStatus.RETURNING:
            if leg is None or leg.purpose != "return":
                home = self.home[unit.pk]
                route = self._route((unit.lat, unit.lon), home)  # type: ignore[arg-type]
                points = route.coords() if route is not None else [(unit.lat, unit.lon), home]
                speed = route.meters / max(route.seconds, 1e-6) if route is not None else DEFAULT_SPEED_MPS
                leg = self.legs[unit.pk] = Leg.of(points, speed, "return")
        elif unit.status == UnitStatus.AVAILABLE:
            if leg is None or leg.purpose != "patrol" or leg.finished:
                leg = self._patrol_leg(unit)
                if leg is None:
                    return
                self.legs[unit.pk] = leg
        else:
            return
        lat, lon, heading = leg.advance(dt_s)
        services.do_report_position(unit, lat, lon, 5.0, heading=heading, actor=None, network=self._network)
        counts["moved"] += 1
        if leg.finished and leg.purpose == "assignment":
            services.do_mark_arrived(unit, None)
            self.legs.pop(unit.pk, None)
            counts["arrived"] += 1
        elif leg.finished and leg.purpose == "return":
            services.do_set_unit_status(unit, UnitStatus.AVAILABLE, None)
            self.legs.pop(unit.pk, None)
            counts["available"] += 1


_sim: Simulator | None = None


def simulate_step(dt_s: float = 2.0) -> dict[str, int]:
    """Advance the process's simulator by ``dt_s`` simulated seconds (see module docstring).

    A long-running caller (worker loop) should call ``django.db.close_old_connections()`` between
    steps, as for any background job.
    """
    global _sim
    if _sim is None:
        _sim = Simulator()
    return _sim.step(dt_s)


def reset() -> None:
    """Forget the simulator's legs (tests)."""
    global _sim
    _sim = None
