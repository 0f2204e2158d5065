"""Loaders for large untagged road graphs used by the dispatch benchmark.

Both sources are undirected and carry neither highway classes nor speeds, so every edge gets the
Euclidean (haversine) length of its segment and a travel time at one assumed speed,
``ASSUMED_SPEED_KMH`` = 40 km/h (a typical urban patrol-car average), in both directions.

- DIMACS10 "streets" (``luxembourg.osm.graph`` + ``.xyz``): METIS adjacency text (``%`` comments, header
  ``N M [fmt]``, then line *i* lists the 1-based neighbours of node *i*); ``.xyz`` lines ``x y z`` with
  x = lon·1e5 and y = (lat+1)·1e5.
- ngraph binary (``moscow-roads.co.bin`` + ``.gr.bin``): little-endian int32 ``(x, y)`` pairs in
  re-centred Web-Mercator metres (node id = 1 + pair index) and int32 ``(from, to)`` 1-based pairs.
  The absolute position is not stored: the caller supplies the map centre (default: central Moscow),
  so absolute lat/lon is approximate while lengths are right (Mercator scale is corrected per latitude).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .geo import haversine_m, mercator_to_lonlat
from .graph import RoadGraph, build_graph

ASSUMED_SPEED_KMH = 40.0
MOSCOW_CENTRE = (55.7558, 37.6173)  # lat, lon (Kremlin): a guess for the bbox centre of the ngraph file


def _undirected_graph(lat, lon, a, b, source: str, extra_meta: dict, speed_kmh: float) -> RoadGraph:
    seg_m = haversine_m(lat[a], lon[a], lat[b], lon[b])
    secs = seg_m / (speed_kmh / 3.6)
    meta = {
        "source": source,
        "speeds": f"untagged source: every edge at an assumed {speed_kmh:g} km/h, both directions",
        "assumed_speed_kmh": speed_kmh,
        **extra_meta,
    }
    return build_graph(
        lat,
        lon,
        np.concatenate([a, b]),
        np.concatenate([b, a]),
        np.concatenate([secs, secs]),
        np.concatenate([seg_m, seg_m]),
        meta=meta,
    )


def load_dimacs10(
    graph_path: str | Path, xyz_path: str | Path | None = None, *, speed_kmh: float = ASSUMED_SPEED_KMH
) -> RoadGraph:
    """Load a DIMACS10/METIS street graph and its ``.xyz`` coordinates (x = lon·1e5, y = (lat+1)·1e5).

    Precondition: unweighted METIS (fmt absent or 0).  Raises ValueError on a malformed file.
    """
    graph_path = Path(graph_path)
    xyz_path = Path(xyz_path) if xyz_path else graph_path.with_suffix(".xyz")
    with open(graph_path, encoding="ascii") as fh:
        lines = [ln for ln in fh.read().splitlines() if not ln.startswith("%")]
    if not lines:
        raise ValueError(f"{graph_path.name}: empty METIS file")
    header = lines[0].split()
    n, m = int(header[0]), int(header[1])
    if len(header) > 2 and header[2].strip("0"):
        raise ValueError(f"{graph_path.name}: weighted METIS (fmt={header[2]}) is not supported")
    adj = lines[1 : n + 1]
    if len(adj) < n:
        adj += [""] * (n - len(adj))  # trailing isolated nodes may have lost their empty lines
    counts = np.fromiter((len(ln.split()) for ln in adj), dtype=np.int64, count=n)
    nbrs = np.array(" ".join(adj).split(), dtype=np.int64) - 1
    if nbrs.size != 2 * m:
        raise ValueError(f"{graph_path.name}: header says {m} edges, adjacency lists hold {nbrs.size / 2:g}")
    if nbrs.size and (nbrs.min() < 0 or nbrs.max() >= n):
        raise ValueError(f"{graph_path.name}: neighbour id out of range 1..{n}")
    src = np.repeat(np.arange(n, dtype=np.int64), counts)
    once = src < nbrs  # every undirected edge appears twice; keep one copy
    xyz = np.loadtxt(xyz_path, dtype=np.float64, ndmin=2)
    if xyz.shape[0] != n:
        raise ValueError(f"{xyz_path.name}: {xyz.shape[0]} coordinates for {n} nodes")
    lon = xyz[:, 0] / 1e5
    lat = xyz[:, 1] / 1e5 - 1.0
    if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):
        raise ValueError(f"{xyz_path.name}: coordinates are not lon·1e5 / (lat+1)·1e5")
    return _undirected_graph(
        lat, lon, src[once], nbrs[once], graph_path.name, {"kind": "dimacs10"}, speed_kmh
    )


def load_ngraph_bin(
    co_path: str | Path,
    gr_path: str | Path | None = None,
    *,
    centre: tuple[float, float] = MOSCOW_CENTRE,
    speed_kmh: float = ASSUMED_SPEED_KMH,
) -> RoadGraph:
    """Load an ngraph ``.co.bin``/``.gr.bin`` pair; ``centre`` = (lat, lon) of the coordinate origin."""
    co_path = Path(co_path)
    gr_path = Path(gr_path) if gr_path else Path(str(co_path).replace(".co.bin", ".gr.bin"))
    co = np.fromfile(co_path, dtype="<i4")
    gr = np.fromfile(gr_path, dtype="<i4")
    if co.size % 2 or gr.size % 2:
        raise ValueError("ngraph .bin files must hold int32 pairs")
    n = co.size // 2
    xy = co.reshape(-1, 2).astype(np.float64)
    edges = gr.reshape(-1, 2).astype(np.int64) - 1
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"{gr_path.name}: node id out of range 1..{n}")
    lon, lat = mercator_to_lonlat(xy[:, 0], xy[:, 1], centre_lat=centre[0], centre_lon=centre[1])
    meta = {"kind": "ngraph", "assumed_centre_lat_lon": list(centre)}
    return _undirected_graph(lat, lon, edges[:, 0], edges[:, 1], co_path.name, meta, speed_kmh)
