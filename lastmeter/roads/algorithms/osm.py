"""Import OpenStreetMap data (``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.pbf``) into a ``RoadGraph``.

Reading is done by pyosmium (libosmium): one pass over the file with its node-location cache, keeping
ways that carry a ``highway`` tag.  ``speeds.way_routing`` decides if a way is drivable, in which
directions, and how fast.  Every pair of consecutive way nodes becomes one or two directed edges (all
way nodes are kept, so routes follow the road geometry exactly).  Each edge remembers its highway class
and street name (``name``, else ``ref``), so a gazetteer can list streets and their intersections.
Segments touching a node missing from the file (clipped extracts) are skipped, never bridged.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import osmium

from .geo import haversine_m
from .graph import RoadGraph, build_graph
from .osm_checks import OsmFileRefused, check_osm_file
from .speeds import HIGHWAY_CLASSES, way_routing

OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # services pass settings.LASTMETER_MAX_OSM_BYTES


def read_osm(path: str | Path, *, reorder: bool = True, max_bytes: int = DEFAULT_MAX_BYTES) -> RoadGraph:
    """Read an OSM file into a directed road graph.

    Raises ``FileNotFoundError`` if the file is absent, ``OsmFileRefused`` (a ValueError) if it is
    over ``max_bytes``, not what its suffix says or XML with a DTD (``osm_checks``), and
    ``ValueError`` if libosmium cannot read it or it holds no drivable road.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise ValueError(f"{path.name}: expected one of {', '.join(OSM_SUFFIXES)}")
    check_osm_file(path, max_bytes)
    try:
        return _read_checked(path, reorder)
    except RuntimeError as exc:  # libosmium's own refusals (a bad block, XML it cannot parse)
        raise ValueError(f"{path.name}: libosmium could not read it ({exc})") from None


def _read_checked(path: Path, reorder: bool) -> RoadGraph:

    refs_a: list[np.ndarray] = []  # per kept way: node refs of segment starts/ends
    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    ways_meta: list[tuple[int, float, float, bool, bool, int]] = []
    name_ids: dict[str, int] = {}
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in processor:
        way = cast(osmium.osm.Way, obj)  # the EntityFilter above passes only ways
        routing = way_routing(way.tags)
        if routing is None or not (routing.forward or routing.backward):
            continue
        # Nodes missing from a clipped extract have no location: keep them as NaN so that only
        # segments between two located nodes become edges (never bridge a gap with a straight line).
        nodes = [
            (nd.ref, *((nd.lat, nd.lon) if nd.location.valid() else (np.nan, np.nan))) for nd in way.nodes
        ]
        if len(nodes) < 2:
            continue
        refs_a.append(np.array([nd[0] for nd in nodes], dtype=np.int64))
        lats.append(np.array([nd[1] for nd in nodes], dtype=np.float64))
        lons.append(np.array([nd[2] for nd in nodes], dtype=np.float64))
        name = way.tags.get("name") or way.tags.get("ref")
        name_id = name_ids.setdefault(name, len(name_ids)) if name else -1
        ways_meta.append(
            (
                routing.class_code,
                routing.speed_fwd_kmh,
                routing.speed_bwd_kmh,
                routing.forward,
                routing.backward,
                name_id,
            )
        )
    if not ways_meta:
        raise ValueError(f"{path.name}: no drivable roads found")

    all_lat = np.concatenate(lats)
    all_lon = np.concatenate(lons)
    located = np.isfinite(all_lat)
    # Unlocated refs get id -1 - position so they never merge with a real node; they are dropped below.
    all_refs = np.where(located, np.concatenate(refs_a), -1 - np.arange(all_lat.size))
    uniq, first_idx, inverse = np.unique(all_refs, return_index=True, return_inverse=True)
    node_lat, node_lon = all_lat[first_idx], all_lon[first_idx]

    tails, heads, secs, lens, classes, names = [], [], [], [], [], []
    offset = 0
    for refs, (code, v_fwd, v_bwd, fwd, bwd, name_id) in zip(refs_a, ways_meta, strict=True):
        idx = inverse[offset : offset + refs.size]
        ok = located[offset : offset + refs.size]
        offset += refs.size
        pair = ok[:-1] & ok[1:]
        a, b = idx[:-1][pair], idx[1:][pair]
        seg_m = haversine_m(node_lat[a], node_lon[a], node_lat[b], node_lon[b])
        for on, src, dst, kmh in ((fwd, a, b, v_fwd), (bwd, b, a, v_bwd)):
            if not on:
                continue
            tails.append(src)
            heads.append(dst)
            lens.append(seg_m)
            secs.append(seg_m / (kmh / 3.6))
            classes.append(np.full(src.size, code, np.int8))
            names.append(np.full(src.size, name_id, np.int32))

    tail_all, head_all = np.concatenate(tails), np.concatenate(heads)
    if tail_all.size == 0:
        raise ValueError(f"{path.name}: no drivable road segment with both nodes present")
    keep = np.isfinite(node_lat)
    new_id = np.cumsum(keep) - 1
    meta = {
        "source": path.name,
        "kind": "osm",
        "speeds": "maxspeed tag, else highway-class default (lastmeter.roads.algorithms.speeds)",
        "highway_classes": list(HIGHWAY_CLASSES),
    }
    return build_graph(
        node_lat[keep],
        node_lon[keep],
        new_id[tail_all],
        new_id[head_all],
        np.concatenate(secs),
        np.concatenate(lens),
        edge_class=np.concatenate(classes),
        edge_name=np.concatenate(names),
        names=list(name_ids),
        source_id=uniq[keep],
        meta=meta,
        reorder=reorder,
    )


__all__ = ["DEFAULT_MAX_BYTES", "OSM_SUFFIXES", "OsmFileRefused", "read_osm"]
