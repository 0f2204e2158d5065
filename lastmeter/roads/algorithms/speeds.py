"""Turning OSM way tags into routing attributes: highway class, travel speed and allowed directions.

Rules (documented so dispatchers can trust an ETA):
- Only drivable highway classes in ``DEFAULT_SPEED_KMH`` are routed (footways, cycleways, tracks… are not).
- Speed: an explicit ``maxspeed`` (or ``maxspeed:forward``/``:backward``) wins, otherwise the class default.
  Class defaults are typical urban free-flow speeds for a patrol car, not legal limits.
  ``maxspeed`` understands plain km/h, ``mph``, ``knots``, ``walk``, ``none`` and zone codes
  such as ``RU:urban`` / ``DE:rural`` / ``CN:motorway``.
- Directions: ``oneway=yes|true|1`` forward only, ``-1|reverse`` backward only, ``no`` both ways;
  ``junction=roundabout|circular`` and ``highway=motorway`` imply oneway unless ``oneway=no``.
  ``oneway=reversible|alternating`` ways (direction changes by time of day) are left out.
- ``access=no`` / ``motor_vehicle=no`` / ``motorcar=no`` ways are left out; ``private`` and
  ``destination`` stay in (emergency services may enter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Index in this tuple is the ``edge_class`` code stored per edge; 0 means "unknown" (untagged graphs).
HIGHWAY_CLASSES: tuple[str, ...] = (
    "unknown",
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "busway",
)
CLASS_CODE: dict[str, int] = {name: i for i, name in enumerate(HIGHWAY_CLASSES)}

DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 25.0,
    "busway": 40.0,
}

# Zone codes in maxspeed ("RU:urban"); the suffix decides.
_ZONE_SPEED_KMH = {
    "urban": 50.0,
    "rural": 90.0,
    "trunk": 100.0,
    "motorway": 110.0,
    "living_street": 20.0,
    "zone30": 30.0,
    "zone20": 20.0,
    "school": 30.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_ONEWAY_FWD = {"yes", "true", "1"}
_ONEWAY_BWD = {"-1", "reverse"}
_ONEWAY_NO = {"no", "false", "0"}
_NO_ACCESS = {"no"}


@dataclass(frozen=True, slots=True)
class WayRouting:
    """How a way may be driven: class code, speed per direction (km/h), allowed directions."""

    class_code: int
    speed_fwd_kmh: float
    speed_bwd_kmh: float
    forward: bool
    backward: bool


def parse_maxspeed(value: str | None) -> float | None:
    """Speed in km/h from a ``maxspeed`` value, or None when absent/unparseable/``none``/``signals``."""
    if not value:
        return None
    value = value.strip().lower()
    if ";" in value:  # several values: be conservative, the lowest applies somewhere on the way
        speeds = [s for s in (parse_maxspeed(v) for v in value.split(";")) if s is not None]
        return min(speeds) if speeds else None
    if value == "walk":
        return 6.0
    m = _NUMBER.match(value)
    if m:
        speed = float(m.group(1))
        unit = m.group(2)
        if unit == "mph":
            speed *= 1.609344
        elif unit == "knots":
            speed *= 1.852
        return speed if speed > 0 else None
    if ":" in value:
        return _ZONE_SPEED_KMH.get(value.split(":", 1)[1])
    return None


def way_routing(tags) -> WayRouting | None:
    """Routing attributes for a way from its tags (a mapping str→str), or None if cars cannot use it."""
    highway = tags.get("highway")
    if highway not in DEFAULT_SPEED_KMH:
        return None
    if tags.get("area") == "yes":
        return None
    for key in ("access", "vehicle", "motor_vehicle", "motorcar"):
        if tags.get(key) in _NO_ACCESS:
            return None
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in ("reversible", "alternating"):
        return None
    if oneway in _ONEWAY_FWD:
        forward, backward = True, False
    elif oneway in _ONEWAY_BWD:
        forward, backward = False, True
    elif oneway in _ONEWAY_NO:
        forward, backward = True, True
    else:
        implied = highway == "motorway" or tags.get("junction") in ("roundabout", "circular")
        forward, backward = True, not implied
    base = parse_maxspeed(tags.get("maxspeed")) or DEFAULT_SPEED_KMH[highway]
    fwd = parse_maxspeed(tags.get("maxspeed:forward")) or base
    bwd = parse_maxspeed(tags.get("maxspeed:backward")) or base
    return WayRouting(CLASS_CODE[highway], fwd, bwd, forward, backward)
