"""Named places of an OSM extract for the gazetteer: squares, malls, stations, parks, schools …

Residents name a landmark more often than a house number ("人民广场", "来福士门口", "地铁站2号口").
``read_landmarks`` reads an OSM file (``.osm``, ``.osm.gz``, ``.osm.pbf``; pyosmium, one pass with
the node-location cache) and keeps every *named* node or way that carries a landmark tag
(``LANDMARK_KEYS``: place, amenity, railway/public_transport stations, tourism, leisure, shop,
historic, office, building …). A way becomes the mean of its node positions (a square's or a mall's
middle). Roads are not landmarks — the gazetteer has them already — unless they also carry a landmark
tag (a pedestrian square). Relations (multipolygons, stop areas) are not read.

Each landmark is reachable under all its names (``name``, ``name:zh*``, ``alt_name``, ``short_name``,
``official_name``, ``name:en``) and a few that residents use and OSM does not spell out: a station
``人民广场`` is also ``人民广场站`` / ``人民广场地铁站``; a mall ``来福士广场`` is also ``来福士``
(a shop or building name minus a generic 广场/中心/商场/大厦 suffix, when three or more characters
remain). When two landmarks share a name, the one whose key comes first in ``LANDMARK_KEYS`` wins.

The drivable-roads extract lastmeter ships has none of this (only highway ways and crossing/signal
nodes); an extract with points of interest, or a landmark file made from one, brings them in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import osmium

LonLat = tuple[float, float]

# Tag keys that make a named object a landmark; on a shared name the earlier key wins (a station
# over a square, a town over its post office).
LANDMARK_KEYS: tuple[str, ...] = (
    "railway",
    "public_transport",
    "place",
    "tourism",
    "leisure",
    "historic",
    "amenity",
    "shop",
    "office",
    "building",
    "landuse",
)
# Values of railway / public_transport that are places people name (not tracks, not platforms).
STATION_VALUES = frozenset({"station", "halt", "subway_entrance", "tram_stop", "stop_area"})
NAME_KEYS = (
    "name",
    "name:zh",
    "name:zh-Hans",
    "name:zh-CN",
    "official_name",
    "short_name",
    "alt_name",
    "name:en",
)
KIND_RANK = {key: i for i, key in enumerate(LANDMARK_KEYS)}
_GENERIC_SUFFIX = re.compile(r"(购物中心|商业广场|广场|中心|商场|大厦|大楼|百货)$")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Landmark:
    name: str  # the OSM ``name`` (or first name found)
    lon: float
    lat: float
    kind: str  # "railway=station", "shop=mall", …
    osm: str  # "n123" / "w456"
    aliases: tuple[str, ...] = ()  # every other name it may be called by
    on_road: bool = False  # it also carries a highway tag (a pedestrian square, a station on a road)

    @property
    def rank(self) -> int:
        return KIND_RANK.get(self.kind.partition("=")[0], len(KIND_RANK))


def landmark_kind(tags: Mapping[str, str]) -> str | None:
    """``key=value`` of the first landmark tag of an object, or None (not a landmark)."""
    for key in LANDMARK_KEYS:
        value = tags.get(key)
        if not value or value == "no":
            continue
        if key in ("railway", "public_transport") and value not in STATION_VALUES:
            continue
        return f"{key}={value}"
    return None


def names_of(tags: Mapping[str, str], kind: str) -> list[str]:
    """Every name of a landmark, ``name`` first, plus the colloquial forms the module docstring lists."""
    names: list[str] = []
    for key in NAME_KEYS:
        for value in (tags.get(key) or "").split(";"):
            value = value.strip()
            if value and value not in names:
                names.append(value)
    key, _, value = kind.partition("=")
    extra: list[str] = []
    for name in names:
        if not _CJK.search(name):
            continue
        if key in ("railway", "public_transport") and value != "subway_entrance" and not name.endswith("站"):
            extra += [name + "站", name + "地铁站"]
        if key in ("shop", "building", "amenity", "office"):
            short = _GENERIC_SUFFIX.sub("", name)
            if short != name and len(short) >= 3:
                extra.append(short)
    return names + [n for n in extra if n not in names]


def read_landmarks(path: str | Path) -> list[Landmark]:
    """The named landmarks of an OSM file (see the module docstring). Raises FileNotFoundError."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    found: list[Landmark] = []
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.NODE | osmium.osm.WAY))
    )
    for obj in processor:
        if not isinstance(obj, osmium.osm.Node | osmium.osm.Way) or not obj.tags:
            continue
        tags = {t.k: t.v for t in obj.tags}
        kind = landmark_kind(tags)
        if kind is None:
            continue
        names = names_of(tags, kind)
        if not names:
            continue
        if isinstance(obj, osmium.osm.Node):
            if not obj.location.valid():
                continue
            lon, lat, ref = obj.location.lon, obj.location.lat, f"n{obj.id}"
        else:
            pts = [(nd.lon, nd.lat) for nd in obj.nodes if nd.location.valid()]
            if not pts:
                continue
            if len(pts) > 1 and pts[0] == pts[-1]:
                pts = pts[:-1]  # a closed way repeats its first node
            lon = sum(p[0] for p in pts) / len(pts)
            lat = sum(p[1] for p in pts) / len(pts)
            ref = f"w{obj.id}"
        found.append(
            Landmark(names[0], float(lon), float(lat), kind, ref, tuple(names[1:]), on_road="highway" in tags)
        )
    return found


def places_by_name(landmarks: Iterable[Landmark], exclude: Iterable[str] = ()) -> dict[str, LonLat]:
    """Name -> (lon, lat) for ``Gazetteer(places=…)``: every name and alias of every landmark; on a
    shared name the earlier kind of ``LANDMARK_KEYS`` wins, then the first one read. Names in
    ``exclude`` (the road names) are left to the roads."""
    skip = set(exclude)
    best: dict[str, tuple[int, LonLat]] = {}
    for lm in landmarks:
        for name in (lm.name, *lm.aliases):
            if name in skip:
                continue
            if name not in best or lm.rank < best[name][0]:
                best[name] = (lm.rank, (lm.lon, lm.lat))
    return {name: lonlat for name, (_, lonlat) in best.items()}


def gazetteer_inputs(
    landmarks: Iterable[Landmark], roads: Mapping[str, list[LonLat]]
) -> tuple[dict[str, list[LonLat]], dict[str, LonLat]]:
    """(roads, places) for ``Gazetteer``: a street index that took every named way (a mall's outline,
    a park) loses the landmark ways that are no roads; a name that is still a road stays a road (a
    station named after its street is found as that street, and as "…站" through its alias)."""
    landmarks = list(landmarks)
    not_roads = {lm.name for lm in landmarks if lm.osm.startswith("w") and not lm.on_road}
    kept = {name: pts for name, pts in roads.items() if name not in not_roads}
    return kept, places_by_name(landmarks, exclude=kept)
