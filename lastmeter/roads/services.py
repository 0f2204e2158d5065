"""The process's road network: lazy loading, the .npz cache, hot reload, map GeoJSON and routes.

One ``RoadNetwork`` per process, read on first use from ``settings.LASTMETER_ROAD_FILE`` through an
``.npz`` cache in ``settings.LASTMETER_ROAD_CACHE_DIR``.  The object itself is never replaced once
loaded: a reload builds the new graph and *swaps* it into the same ``RoadNetwork`` (atomic), so the
fleet index and queries already holding it keep working and notice the new version on their next call.

How a running server learns that the roads changed (a management command cannot reach it):
- ``POST /api/v1/roads/reload`` (administrators) reloads the serving process at once and bumps a
  generation counter in the Django cache; other processes sharing that cache (Redis) reload on their
  next check;
- every process compares the source file's and the cache file's mtimes with what it loaded, at most
  every ``LASTMETER_ROAD_CHECK_S`` seconds, and reloads in a background thread when they changed —
  so replacing the OSM file, or ``lastmeter roads cache`` rewriting the cache, reaches every process.

Tests and tools inject a network with ``install_network(net)`` (or the ``use_network`` context).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache as django_cache

from lastmeter.roads.algorithms.graph import RoadGraph
from lastmeter.roads.algorithms.network import RoadNetwork, load_graph
from lastmeter.roads.algorithms.routing import Route
from lastmeter.roads.algorithms.snapping import SnapError
from lastmeter.roads.algorithms.speeds import HIGHWAY_CLASSES

log = logging.getLogger(__name__)

GENERATION_KEY = "roads:generation"
# A point farther than this from any road is refused for routing (a typo, or outside the map).
MAX_SNAP_M = 500.0


class RoadError(Exception):
    """The road network cannot answer: no file, bad file, point off the map (HTTP 400)."""


class NoRoute(RoadError):
    """Both points are on the map but no drivable route joins them (HTTP 404)."""


@dataclass
class _Loaded:
    network: RoadNetwork
    source: Path | None  # None: injected (tests/tools), never checked for changes
    cache: Path | None
    stamp: tuple[float, float]  # (source mtime, cache mtime) when loaded
    generation: int
    loaded_at: float
    checked_at: float


_lock = threading.RLock()
_loaded: _Loaded | None = None
_reloading = threading.Event()
_geojson_cache: dict[tuple[int, float], dict] = {}


# --- files -------------------------------------------------------------------------------------


def source_path() -> Path:
    return Path(settings.LASTMETER_ROAD_FILE)


def cache_path_for(source: Path) -> Path:
    """The .npz cache of ``source``: named after the file and a hash of its absolute path."""
    digest = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:10]
    stem = source.name.split(".")[0] or "roads"
    return Path(settings.LASTMETER_ROAD_CACHE_DIR) / f"{stem}-{digest}.npz"


def _mtime(path: Path | None) -> float:
    try:
        return path.stat().st_mtime if path is not None else 0.0
    except OSError:
        return 0.0


def read_graph(source: Path, cache: Path | None) -> RoadGraph:
    """The graph of ``source``, through ``cache`` when it is at least as new as the source.

    A stale or missing cache is rewritten atomically (temp file + rename), so a process reading it
    concurrently never sees half a file.  Raises RoadError for a missing or unreadable source.
    """
    if source.suffix == ".npz":
        cache = None  # already a cache
    if cache is not None and cache.exists() and _mtime(cache) >= _mtime(source):
        try:
            return RoadGraph.load_npz(cache)
        except (OSError, ValueError) as exc:  # a corrupt cache is rebuilt, not fatal
            log.warning("road cache %s unreadable (%s); rebuilding", cache, exc)
    if not source.exists():
        raise RoadError(f"road file {source} does not exist (set LASTMETER_ROAD_FILE)")
    try:
        graph = load_graph(source, max_osm_bytes=settings.LASTMETER_MAX_OSM_BYTES)
    except (OSError, ValueError) as exc:
        raise RoadError(f"cannot read road file {source.name}: {exc}") from exc
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f"{cache.name}.tmp{os.getpid()}.{threading.get_ident()}")
            graph.save_npz(tmp)
            os.replace(tmp, cache)
        except OSError as exc:  # a read-only disk only costs speed on the next start
            log.warning("could not write road cache %s: %s", cache, exc)
    return graph


def _generation() -> int:
    try:
        return int(django_cache.get(GENERATION_KEY) or 0)
    except Exception:  # a cache outage must not stop routing
        return 0


def _bump_generation() -> int:
    try:
        try:
            return int(django_cache.incr(GENERATION_KEY))
        except ValueError:  # key absent
            django_cache.set(GENERATION_KEY, 1, timeout=None)
            return 1
    except Exception:
        log.exception("could not bump the road generation in the cache")
        return 0


# --- the process's network ---------------------------------------------------------------------


def get_network() -> RoadNetwork:
    """This process's road network, loaded on first use; raises RoadError if it cannot be read.

    Cheap on the hot path: one attribute read, plus (every LASTMETER_ROAD_CHECK_S) two stat calls
    and a cache read to notice a changed file or a reload done by another process.
    """
    global _loaded
    loaded = _loaded
    if loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load_fresh()
            loaded = _loaded
    elif loaded.source is not None:
        interval = settings.LASTMETER_ROAD_CHECK_S
        if time.monotonic() - loaded.checked_at >= interval:
            check_for_changes(background=True)
    return loaded.network


def _load_fresh() -> _Loaded:
    source = source_path()
    cache = cache_path_for(source)
    t0 = time.monotonic()
    graph = read_graph(source, cache)
    network = RoadNetwork(graph, source=source, routable_only=True)
    now = time.monotonic()
    log.info(
        "road network %s: %d nodes, %d edges in %.1fs", source.name, graph.n_nodes, graph.n_edges, now - t0
    )
    return _Loaded(network, source, cache, (_mtime(source), _mtime(cache)), _generation(), now, now)


def install_network(network: RoadNetwork | None) -> None:
    """Use ``network`` in this process (tests, tools); None forgets it so the next use loads the file."""
    global _loaded
    with _lock:
        _geojson_cache.clear()
        if network is None:
            _loaded = None
            return
        now = time.monotonic()
        _loaded = _Loaded(network, None, None, (0.0, 0.0), 0, now, now)


@contextlib.contextmanager
def use_network(network: RoadNetwork) -> Iterator[RoadNetwork]:
    """Install ``network`` for the duration of a ``with`` block, then restore the previous one."""
    global _loaded
    previous = _loaded
    install_network(network)
    try:
        yield network
    finally:
        with _lock:
            _loaded = previous
            _geojson_cache.clear()


def is_loaded() -> bool:
    return _loaded is not None


def check_for_changes(*, background: bool = False) -> bool:
    """Reload if the source/cache file changed or another process reloaded; True if a reload ran/started.

    With ``background`` the reload runs in a daemon thread (queries keep the old network meanwhile)
    and at most one such thread runs at a time.
    """
    loaded = _loaded
    if loaded is None or loaded.source is None:
        return False
    loaded.checked_at = time.monotonic()
    stamp = (_mtime(loaded.source), _mtime(loaded.cache))
    generation = _generation()
    if stamp == loaded.stamp and generation == loaded.generation:
        return False
    if not background:
        reload_network(bump=False)
        return True
    if _reloading.is_set():
        return False
    _reloading.set()

    def run() -> None:
        try:
            reload_network(bump=False)
        except Exception:
            log.exception("background road reload failed; keeping the current network")
            loaded.stamp, loaded.generation = stamp, generation  # do not retry a bad file in a loop
        finally:
            _reloading.clear()

    threading.Thread(target=run, name="lastmeter-road-reload", daemon=True).start()
    return True


def reload_network(path: str | Path | None = None, *, bump: bool = True) -> dict[str, Any]:
    """Re-read the road file (default: settings.LASTMETER_ROAD_FILE) and swap it in without a restart.

    The new graph and its indexes are built before the swap, so queries never see a half-built
    network; on error the current network stays and RoadError is raised.  ``bump`` tells other
    processes (through the shared cache) to reload too.  Returns ``network_info()``.
    """
    global _loaded
    source = Path(path) if path else source_path()
    cache = cache_path_for(source)
    graph = read_graph(source, cache)
    with _lock:
        generation = _bump_generation() if bump else _generation()
        now = time.monotonic()
        stamp = (_mtime(source), _mtime(cache))
        if _loaded is None:
            _loaded = _Loaded(
                RoadNetwork(graph, source=source, routable_only=True),
                source,
                cache,
                stamp,
                generation,
                now,
                now,
            )
        else:
            _loaded.network.swap(graph, source=source)
            _loaded.source, _loaded.cache = source, cache
            _loaded.stamp, _loaded.generation = stamp, generation
            _loaded.loaded_at = _loaded.checked_at = now
        _geojson_cache.clear()
    return network_info()


def network_info() -> dict[str, Any]:
    """What is loaded (without loading it): version, size, source, bounding box."""
    loaded = _loaded
    if loaded is None:
        return {"loaded": False, "source": str(source_path())}
    g = loaded.network.graph
    bbox = (
        [float(g.lat.min()), float(g.lon.min()), float(g.lat.max()), float(g.lon.max())]
        if g.n_nodes
        else None
    )
    return {
        "loaded": True,
        "version": loaded.network.version,
        "source": str(loaded.source) if loaded.source else "(installed in process)",
        "nodes": g.n_nodes,
        "edges": g.n_edges,
        "bbox": bbox,
        "age_s": round(time.monotonic() - loaded.loaded_at, 1),
    }


# --- routes -------------------------------------------------------------------------------------


def route_between(
    origin: tuple[float, float], dest: tuple[float, float], *, network: RoadNetwork | None = None
) -> Route:
    """Fastest drivable route (lat, lon) → (lat, lon).

    Raises RoadError when a point is more than MAX_SNAP_M from any road, NoRoute when unreachable.
    """
    net = network or get_network()
    try:
        route = net.route(origin, dest, max_snap_m=MAX_SNAP_M)
    except SnapError as exc:
        raise RoadError(str(exc)) from None
    if route is None:
        raise NoRoute("no drivable route joins these points")
    return route


def route_linestring(route: Route) -> dict[str, Any]:
    """GeoJSON LineString (lon, lat order, 6 decimals ≈ 0.1 m) of a route."""
    coords = [
        [round(lon, 6), round(lat, 6)]
        for lat, lon in zip(route.lat.tolist(), route.lon.tolist(), strict=True)
    ]
    if len(coords) == 1:
        coords.append(coords[0])  # a LineString needs two positions
    return {"type": "LineString", "coordinates": coords}


def route_payload(route: Route, network: RoadNetwork | None = None) -> dict[str, Any]:
    """The JSON answer of the route API: time, length, streets, [[lat, lon]…] and GeoJSON."""
    net = network or get_network()
    return {
        "eta_s": round(route.seconds, 1),
        "distance_m": round(route.meters, 1),
        "streets": route.street_names(net.graph),
        "route": [[round(a, 6), round(b, 6)] for a, b in route.coords()],
        "geometry": route_linestring(route),
    }


# --- the map layer -------------------------------------------------------------------------------


def network_geojson(*, tolerance_m: float = 5.0, network: RoadNetwork | None = None) -> dict[str, Any]:
    """The road network as a GeoJSON FeatureCollection of simplified polylines, for the map.

    Each undirected road segment appears once; consecutive segments of the same street, class and
    one-way-ness are merged into one line (shapely.line_merge) and simplified (Douglas–Peucker,
    ``tolerance_m``).  Properties: name, class, oneway.  Cached per network version.
    """
    net = network or get_network()
    key = (net.version, float(tolerance_m))
    hit = _geojson_cache.get(key)
    if hit is not None:
        return hit
    result = _build_geojson(net.graph, tolerance_m)
    _geojson_cache.clear()  # one version at a time is enough
    _geojson_cache[key] = result
    return result


def _build_geojson(g: RoadGraph, tolerance_m: float) -> dict[str, Any]:
    import shapely

    tail = g.tail.astype(np.int64)
    head = g.indices.astype(np.int64)
    lo, hi = np.minimum(tail, head), np.maximum(tail, head)
    n = max(g.n_nodes, 1)
    keys, first, counts = np.unique(lo * n + hi, return_index=True, return_counts=True)
    seg_lo, seg_hi = keys // n, keys % n
    oneway = counts == 1
    cls = g.edge_class[first].astype(np.int64)
    name = g.edge_name[first].astype(np.int64)
    group_key = (name + 1) * (len(HIGHWAY_CLASSES) * 2) + cls * 2 + oneway.astype(np.int64)
    order = np.argsort(group_key, kind="stable")
    deg_per_metre = 1.0 / 111_320.0
    features: list[dict[str, Any]] = []
    sorted_keys = group_key[order]
    starts: Any = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if order.size else []
    for a, b in itertools.pairwise([*(int(s) for s in starts), int(order.size)]):
        idx = order[a:b]
        lines = [
            [(float(g.lon[u]), float(g.lat[u])), (float(g.lon[v]), float(g.lat[v]))]
            for u, v in zip(seg_lo[idx].tolist(), seg_hi[idx].tolist(), strict=True)
        ]
        merged = shapely.line_merge(shapely.MultiLineString(lines))
        merged = shapely.simplify(merged, tolerance_m * deg_per_metre, preserve_topology=False)
        parts = list(getattr(merged, "geoms", [merged]))
        k = int(idx[0])
        props = {
            "name": str(g.names[name[k]]) if name[k] >= 0 else "",
            "class": HIGHWAY_CLASSES[cls[k]] if 0 <= cls[k] < len(HIGHWAY_CLASSES) else "unknown",
            "oneway": bool(oneway[k]),
        }
        for part in parts:
            if part.is_empty:
                continue
            coords = [[round(x, 6), round(y, 6)] for x, y in part.coords]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": props,
                }
            )
    return {"type": "FeatureCollection", "features": features}


def warm_in_background() -> threading.Thread:
    """Load the network (and compile/load the kernels) in a daemon thread, e.g. when a server starts."""

    def run() -> None:
        try:
            get_network()
        except Exception:
            log.exception("could not load the road network")

    thread = threading.Thread(target=run, name="lastmeter-road-warm", daemon=True)
    thread.start()
    return thread
