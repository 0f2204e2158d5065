"""Nearest available units by road travel time, with routes and crow-flies explanations.

A ``Fleet`` keeps every unit snapped onto the road network of a ``RoadNetwork``.  A unit standing on a
road can drive to the ends of its chain that one-way rules allow (``CoreGraph.departures``: nodes of the
contracted search graph, with the seconds to get there).  Those entries live in per-node linked lists
inside numpy arrays, so moving a unit costs one snap plus O(1) relinking — no index rebuild.

``Fleet.nearest`` snaps the incident, then makes one call into ``kernels.fleet_query`` (numba), which
runs a reverse Dijkstra from the incident (``roads.algorithms.kernels.nearest_targets``) that stops as
soon as the K fastest allowed units are certain, so it explores only the incident's neighbourhood.
Units on the incident's own chain are offered their direct drive as initial candidates.  The K nearest
units *as the crow flies* are found too (in the network's local metric projection); each of them
missing from the road top-K is timed by a goal-directed search from that unit into the area the first
search settled (``ball_astar``), up to a cap (``WANT_FACTOR`` × the K-th ETA, at least ``WANT_EXTRA_S``
more), and gets an ``Explanation``: a reason code and the figures behind it (road time and distance,
detour ratio, average speed, the unit it lost to, the units faster by road).  The algorithm writes no
sentence: the dispatching app words it in the reader's language (``dispatching/explanations.py``).

Thread-safety: one ``RLock`` per fleet serialises updates and queries (a query is about a millisecond).
When the ``RoadNetwork`` is swapped, the fleet notices on its next call and re-snaps every unit.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

from lastmeter.roads.algorithms.geo import EARTH_RADIUS_M
from lastmeter.roads.algorithms.graph import build_graph
from lastmeter.roads.algorithms.network import NetworkState, RoadNetwork
from lastmeter.roads.algorithms.routing import Route
from lastmeter.roads.algorithms.snapping import Snap, SnapError

from .kernels import PER, fleet_query, place, unplace

WANT_FACTOR = 2.0
WANT_EXTRA_S = 120.0
DETOUR_RATIO = 1.6
_M_PER_DEG = np.pi / 180.0 * EARTH_RADIUS_M


@dataclass(frozen=True, slots=True)
class UnitETA:
    """One recommended unit: road ETA (seconds), route, and its straight-line rank for comparison."""

    unit_id: Hashable
    agency: str
    kind: str
    seconds: float
    meters: float  # road distance (nan when routes were not requested)
    crow_m: float
    crow_rank: int  # 1 = nearest as the crow flies among the allowed units
    route: Route | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a unit in the straight-line top-K is not in the road top-K: a reason code and its figures.

    reason:
    - ``one_way``: it stands on a one-way street heading away from the scene;
    - ``detour``: its road route is at least ``DETOUR_RATIO`` × the straight line (``detour_ratio``);
    - ``longer_route``: its road route is longer than that of ``compared_unit_id`` (``compared_meters``);
    - ``slower_roads``: its route is not longer, but on slower roads (``average_kmh``);
    - ``unreachable``: no drivable route reaches the scene (``road_seconds`` is None);
    - ``beyond_search``: slower than ``search_limit_s`` (the search stopped there; ``road_seconds``
      None).  ``one_way`` may also come without a road time, with ``search_limit_s``.
    ``faster`` lists the recommended units that are not in the straight-line top-K but arrive
    sooner by road, as (unit id, seconds).
    """

    unit_id: Hashable
    crow_rank: int
    crow_m: float
    road_seconds: float | None  # None: not reached within the search (see reason)
    road_meters: float | None
    reason: str  # "one_way" | "detour" | "longer_route" | "slower_roads" | "unreachable" | "beyond_search"
    detour_ratio: float | None = None  # road metres / straight-line metres, when routed
    average_kmh: float | None = None  # along its route, when routed
    search_limit_s: float | None = None  # when not reached: the search's time bound
    compared_unit_id: Hashable | None = None  # longer_route: the last recommended unit
    compared_meters: float | None = None  # … and its road distance
    faster: tuple[tuple[Hashable, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Recommendation:
    """Answer of ``Fleet.nearest``: units fastest first, plus explanations of crow-flies differences."""

    incident: Snap
    units: list[UnitETA]
    explanations: list[Explanation]
    settled_nodes: int  # search effort: core nodes settled (incident search + explanation searches)
    network_version: int


_warm_lock = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Load (or compile, first time on a machine) the fleet kernels once per process, on a toy map,
    so that the first real query or update is not slowed by numba's JIT."""
    global _warmed
    with _warm_lock:
        if _warmed:
            return
        g = build_graph(
            np.array([0.0, 0.0, 0.0]),
            np.array([0.0, 0.001, 0.002]),
            np.array([0, 1, 1, 2]),
            np.array([1, 0, 2, 1]),
            np.array([9.0] * 4),
            np.array([99.0] * 4),
        )
        fleet = Fleet(RoadNetwork(g), warm=False)
        fleet.upsert("a", 0.0, 0.0005, agency="x")
        fleet.upsert("b", 0.0, 0.0019, agency="y")
        fleet.nearest(0.0, 0.0015, 1, agencies=["x"])
        fleet.nearest(0.0, 0.0015, 2, explain=False, routes=False)
        _warmed = True


class Fleet:
    """Units (id, position, agency, kind, availability) snapped onto a ``RoadNetwork``."""

    _ARRAYS = (  # name, fill, dtype, entries per slot
        ("_lat", np.nan, np.float64, 1),
        ("_lon", np.nan, np.float64, 1),
        ("_x", np.nan, np.float64, 1),
        ("_y", np.nan, np.float64, 1),
        ("_slat", np.nan, np.float64, 1),
        ("_slon", np.nan, np.float64, 1),
        ("_agency", 0, np.int32, 1),
        ("_kind", 0, np.int32, 1),
        ("_avail", 0, np.uint8, 1),
        ("_active", 0, np.uint8, 1),
        ("_entry_next", -1, np.int32, PER),
        ("_entry_node", -1, np.int32, PER),
        ("_entry_cost", 0.0, np.float64, PER),
        ("_entry_e", -1, np.int64, PER),
        ("_entry_s", 0.0, np.float64, PER),
        ("_pchain", -1, np.int64, PER),
        ("_poff", 0.0, np.float64, PER),
        ("_pe", -1, np.int64, PER),
        ("_ps", 0.0, np.float64, PER),
    )

    # per-slot arrays, created (and grown) by ``_grow`` from ``_ARRAYS``
    _lat: np.ndarray
    _lon: np.ndarray
    _x: np.ndarray
    _y: np.ndarray
    _slat: np.ndarray
    _slon: np.ndarray
    _agency: np.ndarray
    _kind: np.ndarray
    _avail: np.ndarray
    _active: np.ndarray
    _entry_next: np.ndarray
    _entry_node: np.ndarray
    _entry_cost: np.ndarray
    _entry_e: np.ndarray
    _entry_s: np.ndarray
    _pchain: np.ndarray
    _poff: np.ndarray
    _pe: np.ndarray
    _ps: np.ndarray

    def __init__(self, network: RoadNetwork, *, max_snap_m: float | None = None, warm: bool = True) -> None:
        self._net = network
        self._max_snap_m = max_snap_m
        self._lock = threading.RLock()
        self._slot_of: dict[Hashable, int] = {}
        self._ids: list[Hashable | None] = []
        self._free: list[int] = []
        self._snaps: list[Snap | None] = []
        self._codes: dict[str, int] = {}
        self._names: list[str] = []
        self._state: NetworkState | None = None
        self._static: tuple = ()
        self._node_head = np.zeros(0, np.int32)
        self._all_allowed = np.zeros(0, np.bool_)
        self._grow(64)
        if warm:
            warm_up()

    # ------------------------------------------------------------------ storage
    def _grow(self, cap: int) -> None:
        old = len(self._ids)
        for name, fill, dtype, per in self._ARRAYS:
            new = np.full(cap * per, fill, dtype=dtype)
            arr = getattr(self, name, None)
            if arr is not None:
                new[: arr.size] = arr
            setattr(self, name, new)
        self._entry_unit = np.repeat(np.arange(cap, dtype=np.int32), PER)
        self._ids.extend([None] * (cap - old))
        self._snaps.extend([None] * (cap - old))
        self._free.extend(range(cap - 1, old - 1, -1))

    def _code(self, label: str) -> int:
        if label not in self._codes:
            self._codes[label] = len(self._names)
            self._names.append(label)
        return self._codes[label]

    def _link(self, slot: int, snap: Snap | None, state: NetworkState) -> None:
        """Attach the unit at ``snap`` (None: off the map, left unlinked).  Caller holds the lock."""
        self._snaps[slot] = snap
        if snap is None:
            unplace(slot, self._node_head, self._entry_next, self._entry_node, self._pchain)
            return
        self._slat[slot] = snap.lat
        self._slon[slot] = snap.lon
        core = state.core
        place(
            slot, snap.u, snap.v, snap.t, snap.fwd_edge, snap.bwd_edge,
            core.core_of, core.edge_chain, core.edge_off, core.seconds, core.chain_start, core.chain_end,
            core.chain_total,
            self._node_head, self._entry_next, self._entry_node, self._entry_cost, self._entry_e, self._entry_s,
            self._pchain, self._poff, self._pe, self._ps,
        )  # fmt: skip

    def _bind(self) -> NetworkState:
        """Current network state; re-snap every unit if the network was swapped.  Caller holds the lock."""
        state = self._net.state
        if state is self._state:
            return state
        self._state = state
        core, graph = state.core, state.graph
        self._static = (  # graph arrays in ``fleet_query``'s order, gathered once per network state
            core.core_of, core.edge_chain, core.edge_off, core.seconds, core.chain_start, core.chain_end,
            core.chain_total, core.rindptr, core.rindices, core.rseconds, core.redge, core.findptr,
            core.findices, core.fseconds, core.fedge, core.chain_head_core, core.chain_tail_core, core.cx,
            core.cy, core.inv_speed, core.chain_ptr, core.chain_edges, core.edge_pos,
            graph.indices, graph.meters, graph.lat, graph.lon,
        )  # fmt: skip
        self._node_head = np.full(state.core.n_core, -1, np.int32)
        self._entry_node[:] = -1
        self._entry_next[:] = -1
        self._pchain[:] = -1
        active = np.flatnonzero(self._active)
        self._x[active], self._y[active] = state.graph.projection.forward(
            self._lat[active], self._lon[active]
        )
        for slot in active.tolist():
            try:
                snap = state.snapper.snap(self._lat[slot], self._lon[slot], self._max_snap_m)
            except SnapError:
                snap = None  # off the new map: kept, but never recommended until it moves
            self._link(slot, snap, state)
        return state

    # ------------------------------------------------------------------ updates
    def upsert(
        self,
        unit_id: Hashable,
        lat: float,
        lon: float,
        *,
        agency: str | None = None,
        kind: str | None = None,
        available: bool | None = None,
        snap: Snap | None = None,
    ) -> Snap:
        """Add a unit or move it; tags left as None keep their value (new units: "", "", available).

        ``snap`` may be passed when the caller already snapped the point on the current network.
        Raises ``SnapError`` (unit unchanged) if the point is farther than ``max_snap_m`` from a road.
        """
        with self._lock:
            state = self._bind()
            if snap is None:
                snap = state.snapper.snap(lat, lon, self._max_snap_m)
            slot = self._slot_of.get(unit_id)
            if slot is None:
                if not self._free:
                    self._grow(2 * len(self._ids))
                slot = self._free.pop()
                self._slot_of[unit_id] = slot
                self._ids[slot] = unit_id
                self._active[slot] = 1
                self._agency[slot] = self._code(agency or "")
                self._kind[slot] = self._code(kind or "")
                self._avail[slot] = 1 if available is None else int(bool(available))
            else:
                if agency is not None:
                    self._agency[slot] = self._code(agency)
                if kind is not None:
                    self._kind[slot] = self._code(kind)
                if available is not None:
                    self._avail[slot] = int(bool(available))
            proj = state.graph.projection
            self._lat[slot] = lat
            self._lon[slot] = lon
            self._x[slot] = (lon - proj.lon0) * _M_PER_DEG * proj.coslat0
            self._y[slot] = (lat - proj.lat0) * _M_PER_DEG
            self._link(slot, snap, state)
            return snap

    def set_available(self, unit_id: Hashable, available: bool) -> None:
        """Mark a unit (un)available; raises KeyError for an unknown unit."""
        with self._lock:
            self._avail[self._slot_of[unit_id]] = int(bool(available))

    def remove(self, unit_id: Hashable) -> None:
        """Forget a unit (no error if it is unknown)."""
        with self._lock:
            slot = self._slot_of.pop(unit_id, None)
            if slot is None:
                return
            if self._state is not None:
                unplace(slot, self._node_head, self._entry_next, self._entry_node, self._pchain)
            self._active[slot] = 0
            self._avail[slot] = 0
            self._ids[slot] = None
            self._snaps[slot] = None
            self._free.append(slot)

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._slot_of

    def snap_of(self, unit_id: Hashable) -> Snap | None:
        """Where the unit stands on the current network (None if off the map); KeyError if unknown."""
        with self._lock:
            self._bind()
            return self._snaps[self._slot_of[unit_id]]

    # ------------------------------------------------------------------ queries
    def _allowed(self, labels: Iterable[str] | None) -> np.ndarray:
        if labels is None:
            if self._all_allowed.size != max(len(self._names), 1):
                self._all_allowed = np.ones(max(len(self._names), 1), np.bool_)
            return self._all_allowed
        out = np.zeros(max(len(self._names), 1), np.bool_)
        for label in labels:
            if label in self._codes:
                out[self._codes[label]] = True
        return out

    def nearest(
        self,
        lat: float,
        lon: float,
        k: int = 5,
        *,
        agencies: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        max_seconds: float = np.inf,
        explain: bool = True,
        routes: bool = True,
        max_snap_m: float | None = None,
    ) -> Recommendation:
        """The ``k`` allowed units that reach (lat, lon) fastest by road, fastest first.

        Allowed = available, and in ``agencies``/``kinds`` when given (None = any).  Units slower than
        ``max_seconds`` are left out.  With ``explain``, crow-flies top-K units missing from the answer
        get an ``Explanation``.  Raises ``SnapError`` if the incident is farther than ``max_snap_m``
        from any road, ``ValueError`` if k < 1.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        with self._lock:
            state = self._bind()
            incident = state.snapper.snap(lat, lon, max_snap_m)
            return self._nearest(state, incident, lat, lon, k, agencies, kinds, max_seconds, explain, routes)

    def nearest_to_snap(
        self,
        incident: Snap,
        k: int = 5,
        *,
        agencies: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        max_seconds: float = np.inf,
        explain: bool = True,
        routes: bool = True,
    ) -> Recommendation:
        """Like ``nearest`` for an incident already snapped on the *current* network."""
        if k < 1:
            raise ValueError("k must be at least 1")
        with self._lock:
            state = self._bind()
            return self._nearest(
                state, incident, incident.lat, incident.lon, k, agencies, kinds, max_seconds, explain, routes
            )

    def _nearest(self, state, incident, lat, lon, k, agencies, kinds, max_seconds, explain, routes):
        graph = state.graph
        n_slots = len(self._ids)
        ws = state.workspace(n_slots)
        proj = graph.projection
        ix = (lon - proj.lon0) * _M_PER_DEG * proj.coslat0
        iy = (lat - proj.lat0) * _M_PER_DEG
        tx = (incident.lon - proj.lon0) * _M_PER_DEG * proj.coslat0
        ty = (incident.lat - proj.lat0) * _M_PER_DEG
        n_top, n_ok, settled, exhausted, rows, edges, latlon, offsets = fleet_query(
            float(lat), float(lon), ix, iy, incident.u, incident.v, incident.t, incident.fwd_edge,
            incident.bwd_edge, incident.lat, incident.lon, tx, ty,
            k, explain, routes, float(max_seconds), WANT_FACTOR, WANT_EXTRA_S,
            self._allowed(agencies), self._allowed(kinds),
            n_slots, self._active, self._avail, self._agency, self._kind, self._lat, self._lon, self._x,
            self._y, self._slat, self._slon,
            self._node_head, self._entry_next, self._entry_unit, self._entry_cost, self._entry_node,
            self._entry_e, self._entry_s, self._pchain, self._poff, self._pe, self._ps,
            *self._static,
            ws.ok, ws.d2, ws.init_u, ws.init_c, ws.dist, ws.pedge, ws.touched, ws.hkey, ws.hnode,
            ws.fdist, ws.fpred, ws.ftouched, ws.fkey, ws.fnode, ws.path,
            ws.next_gen(), ws.ubest, ws.ustamp, ws.uvia, ws.ufinal, ws.ckey, ws.cunit, ws.out_unit,
            ws.out_cost,
        )  # fmt: skip
        # rows: (slot, seconds, crow m, crow rank, route index, unreachable, route m); see fleet_query
        table = rows.tolist()
        e_off, p_off = offsets.tolist()
        lats, lons = latlon[0], latlon[1]
        ids, names, agency, kind = self._ids, self._names, self._agency, self._kind
        units = []
        explanations = []
        kk = min(k, n_ok)  # size of the crow-flies top-K among the allowed units
        for i, (slot_f, seconds, crow, rank_f, r_f, unreach, meters) in enumerate(table):
            slot, rank, r = int(slot_f), int(rank_f), int(r_f)
            route = None
            if r >= 0:
                route = Route(
                    seconds,
                    meters,
                    edges[e_off[r] : e_off[r + 1]],
                    lats[p_off[r] : p_off[r + 1]],
                    lons[p_off[r] : p_off[r + 1]],
                )
            if i < n_top:
                units.append(
                    UnitETA(
                        ids[slot],
                        names[agency[slot]],
                        names[kind[slot]],
                        seconds,
                        meters,
                        crow,
                        rank,
                        route,
                    )
                )
            else:
                explanations.append(
                    self._explain(slot, crow, rank, route, bool(exhausted or unreach), units, kk, (ix, iy))
                )
        return Recommendation(incident, units, explanations, int(settled), state.version)

    # ------------------------------------------------------------------ explanations
    def _explain(self, slot, crow_m, rank, route, exhausted, units, kk, inc_xy) -> Explanation:
        uid = self._ids[slot]
        faster = tuple((u.unit_id, u.seconds) for u in units if u.crow_rank > kk)
        away = self._heads_away(slot, inc_xy)
        if route is None:
            limit = units[-1].seconds if units else 0.0
            bound = max(WANT_FACTOR * limit, limit + WANT_EXTRA_S)
            if exhausted:
                return Explanation(uid, rank, crow_m, None, None, "unreachable", faster=faster)
            reason = "one_way" if away else "beyond_search"
            return Explanation(uid, rank, crow_m, None, None, reason, search_limit_s=bound, faster=faster)
        ratio = route.meters / max(crow_m, 1.0)
        kmh = route.meters / max(route.seconds, 1e-9) * 3.6
        last = units[-1] if units else None
        compared: tuple[Hashable | None, float | None] = (None, None)
        if away:
            reason = "one_way"
        elif ratio >= DETOUR_RATIO:
            reason = "detour"  # a river, railway, motorway or one-way streets lie in between
        elif last is not None and last.route is not None and route.meters > last.route.meters:
            reason = "longer_route"
            compared = (last.unit_id, last.route.meters)
        else:
            reason = "slower_roads"
        return Explanation(
            uid,
            rank,
            crow_m,
            route.seconds,
            route.meters,
            reason,
            detour_ratio=ratio,
            average_kmh=kmh,
            compared_unit_id=compared[0],
            compared_meters=compared[1],
            faster=faster,
        )

    def _heads_away(self, slot: int, inc_xy: tuple[float, float]) -> bool:
        """True if the unit stands mid-block on a one-way road whose only direction leads away from the
        incident at ``inc_xy`` (metres in the network projection).  Caller holds the lock."""
        snap = self._snaps[slot]
        if snap is None or (snap.fwd_edge >= 0) == (snap.bwd_edge >= 0) or snap.t in (0.0, 1.0):
            return False
        ahead = snap.v if snap.fwd_edge >= 0 else snap.u
        assert self._state is not None
        x, y = self._state.graph.xy
        here = (self._x[slot] - inc_xy[0]) ** 2 + (self._y[slot] - inc_xy[1]) ** 2
        there = (x[ahead] - inc_xy[0]) ** 2 + (y[ahead] - inc_xy[1]) ** 2
        return bool(there > here)
