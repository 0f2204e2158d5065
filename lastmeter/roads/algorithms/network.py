"""``RoadNetwork``: the per-process handle the Django side holds, swappable while queries run.

Everything derived from one graph (reverse CSR, snapping index) lives in an immutable ``NetworkState``.
``RoadNetwork.state`` is a single attribute read, and ``swap``/``reload`` build the complete new state
*before* assigning it (under a lock that only serialises writers), so a query that picked up a state
keeps using a consistent set of arrays even if a reload happens meanwhile; the next query sees the new
one.  Per-thread scratch space (``kernels.Workspace``) hangs off the state through a ``threading.local``.

``load_graph`` reads any supported source (our ``.npz`` cache, OSM ``.osm/.osm.gz/.osm.pbf``, DIMACS10
``.graph``, ngraph ``.co.bin``); ``load_network`` wraps it, optionally writing/reusing an ``.npz`` cache,
and warms the numba kernels (compiled once, then loaded from numba's on-disk cache).
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import numpy as np

from .components import largest_strong_component
from .core import CoreGraph
from .graph import RoadGraph, build_graph
from .kernels import Workspace
from .loaders import load_dimacs10, load_ngraph_bin
from .osm import DEFAULT_MAX_BYTES, OSM_SUFFIXES, read_osm
from .routing import Route, shortest_route
from .snapping import Snap, Snapper

_versions = itertools.count(1)
_warm_lock = threading.Lock()
_warmed = False


class NetworkState:
    """Immutable bundle of one graph and its indexes.  Safe to share between threads."""

    def __init__(self, graph: RoadGraph, source: str | None = None, *, routable_only: bool = False) -> None:
        """``routable_only``: snap only onto the largest strongly connected component (see
        ``components``), so that a snapped point can always reach, and be reached from, the rest."""
        self.graph = graph
        self.source = source
        self.version = next(_versions)
        self.core = CoreGraph(graph)
        self.snapper = Snapper(graph, routable=largest_strong_component(graph) if routable_only else None)
        self._local = threading.local()

    def workspace(self, n_units: int = 1) -> Workspace:
        """This thread's scratch space for this graph, with room for ``n_units`` units."""
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = Workspace(self.core.n_core, self.core.rindices.shape[0], n_units)
            self._local.ws = ws
        ws.ensure_units(n_units)
        return ws


class RoadNetwork:
    """Holder of the current ``NetworkState``; ``swap``/``reload`` replace it atomically."""

    def __init__(
        self,
        graph: RoadGraph,
        *,
        source: str | Path | None = None,
        warm: bool = True,
        routable_only: bool = False,
    ) -> None:
        if warm:
            warm_up()
        self.routable_only = routable_only
        self._write_lock = threading.Lock()
        self._state = NetworkState(graph, str(source) if source else None, routable_only=routable_only)

    @property
    def state(self) -> NetworkState:
        """The current state; read it once per operation and use that object throughout."""
        return self._state

    @property
    def graph(self) -> RoadGraph:
        return self._state.graph

    @property
    def version(self) -> int:
        return self._state.version

    def swap(self, graph: RoadGraph, source: str | Path | None = None) -> None:
        """Replace the graph; indexes are built first, then published with one assignment."""
        new = NetworkState(graph, str(source) if source else None, routable_only=self.routable_only)
        with self._write_lock:
            self._state = new

    def reload(self, path: str | Path | None = None) -> None:
        """Re-read ``path`` (default: the current source) and swap it in."""
        path = path or self._state.source
        if not path:
            raise ValueError("this network has no source file to reload from")
        self.swap(load_graph(path), source=path)

    def snap(self, lat: float, lon: float, max_distance_m: float | None = None) -> Snap:
        return self._state.snapper.snap(lat, lon, max_distance_m)

    def route(
        self,
        origin: tuple[float, float],
        dest: tuple[float, float],
        *,
        max_snap_m: float | None = None,
        max_seconds: float = np.inf,
    ) -> Route | None:
        """Fastest route from ``origin`` (lat, lon) to ``dest`` (lat, lon); None if unreachable.

        Raises ``SnapError`` when a point is farther than ``max_snap_m`` from any road.
        """
        st = self._state
        a = st.snapper.snap(*origin, max_distance_m=max_snap_m)
        b = st.snapper.snap(*dest, max_distance_m=max_snap_m)
        return shortest_route(st.graph, st.core, st.workspace(1), a, b, max_seconds)


def load_graph(path: str | Path, *, max_osm_bytes: int = DEFAULT_MAX_BYTES) -> RoadGraph:
    """Read a road graph from any supported file (chosen by suffix); raises ValueError if unknown,
    and for an OSM file over ``max_osm_bytes`` or not what its suffix says."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".npz"):
        return RoadGraph.load_npz(path)
    if name.endswith(OSM_SUFFIXES):
        return read_osm(path, max_bytes=max_osm_bytes)
    if name.endswith(".graph"):
        return load_dimacs10(path)
    if name.endswith(".co.bin"):
        return load_ngraph_bin(path)
    raise ValueError(f"{path.name}: unknown road graph format (.npz, .osm[.gz|.pbf], .graph, .co.bin)")


def load_network(path: str | Path, *, cache: str | Path | None = None, warm: bool = True) -> RoadNetwork:
    """Load a ``RoadNetwork`` from ``path``.

    With ``cache`` (an ``.npz`` path) a non-npz source is read once and cached; the cache is reused
    while it is newer than the source.  ``warm`` compiles/loads the search kernels now rather than on
    the first query.
    """
    path = Path(path)
    if cache is not None:
        cache = Path(cache)
        fresh = cache.exists() and (not path.exists() or cache.stat().st_mtime >= path.stat().st_mtime)
        if fresh:
            return RoadNetwork(RoadGraph.load_npz(cache), source=cache, warm=warm)
        graph = load_graph(path)
        tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
        graph.save_npz(tmp)
        os.replace(tmp, cache)  # atomic: concurrent readers never see a half-written cache
        return RoadNetwork(graph, source=cache, warm=warm)
    return RoadNetwork(load_graph(path), source=path, warm=warm)


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels on a 2-node graph, once per process."""
    global _warmed
    with _warm_lock:
        if _warmed:
            return
        g = build_graph(
            np.array([0.0, 0.0]),
            np.array([0.0, 0.001]),
            np.array([0, 1]),
            np.array([1, 0]),
            np.array([10.0, 10.0]),
            np.array([100.0, 100.0]),
            reorder=False,
        )
        st = NetworkState(g)
        a = st.snapper.snap(0.0, 0.0002)
        b = st.snapper.snap(0.0, 0.0008)
        shortest_route(g, st.core, st.workspace(1), a, b)
        shortest_route(g, st.core, st.workspace(1), b, a)
        _warmed = True
