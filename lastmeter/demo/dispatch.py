"""Demo units and incidents on the real roads of central Shanghai (called by loader.load_demo).

19 units of the four agencies — police cars, motorbikes and foot patrols, traffic police cars and
motorbikes, three urban-management vans, two fire engines — linked to the demo officers and
auxiliaries (officer1..6, aux11..62), each standing on a road node of the network's main strongly
connected component, spread over the map; one open incident and one dispatched incident (from the
missing-person appeal) with its command group.  Invented data; the streets are real
(© OpenStreetMap contributors, ODbL).  Idempotent: returns False if the units already exist.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from lastmeter.accounts.models import Person
from lastmeter.appeals.choices import Priority
from lastmeter.appeals.models import Appeal
from lastmeter.demo.categories import DEMO_CATEGORY_CODES
from lastmeter.demo.simulator import main_component_nodes
from lastmeter.dispatching import services
from lastmeter.dispatching.models import Unit
from lastmeter.dispatching.recommend import recommend_units
from lastmeter.roads import services as roads

log = logging.getLogger(__name__)

# Over the OSM extract (lat 31.2196–31.2412, lon 121.4611–121.4863), with a margin.
LAT_RANGE = (31.2215, 31.2395)
LON_RANGE = (121.4630, 121.4845)

# code, name, agency, unit_type, username of the officer/crew lead (or None), skills
UNITS = [
    ("P-101", "人民广场巡逻一车", "police", "patrol_car", "officer1", ["first_aid"]),
    ("P-102", "人民广场巡逻二车", "police", "patrol_car", "officer2", ["first_aid", "english"]),
    ("P-103", "人民广场巡逻三车", "police", "patrol_car", "officer3", []),
    ("P-104", "人民广场巡逻四车", "police", "patrol_car", "officer4", ["mediation"]),
    ("P-201", "铁骑一组", "police", "motorbike", "officer5", []),
    ("P-202", "铁骑二组", "police", "motorbike", "officer6", ["first_aid"]),
    ("P-301", "步巡一组", "police", "foot", "aux12", []),
    ("P-302", "步巡二组", "police", "foot", "aux22", []),
    ("T-101", "交警巡逻一车", "traffic_police", "patrol_car", "aux11", ["accident_scene"]),
    ("T-102", "交警巡逻二车", "traffic_police", "patrol_car", "aux21", ["accident_scene"]),
    ("T-103", "交警巡逻三车", "traffic_police", "patrol_car", "aux31", []),
    ("T-201", "交警铁骑一组", "traffic_police", "motorbike", "aux41", []),
    ("T-202", "交警铁骑二组", "traffic_police", "motorbike", "aux51", []),
    ("T-203", "交警铁骑三组", "traffic_police", "motorbike", "aux61", []),
    ("U-101", "城管执法一车", "urban_management", "enforcement_van", None, []),
    ("U-102", "城管执法二车", "urban_management", "enforcement_van", None, []),
    ("U-103", "城管执法三车", "urban_management", "enforcement_van", None, []),
    ("F-101", "黄浦消防一号车", "fire", "fire_engine", None, ["rescue", "hazmat"]),
    ("F-102", "黄浦消防二号车", "fire", "fire_engine", None, ["rescue"]),
]

OPEN_INCIDENT = ("电动车停放处起火冒烟", "福州路山东中路口", (31.2349, 121.4806), Priority.URGENT, 3)
MISSING_PERSON = (
    "走失老人（阿尔茨海默症），穿灰色外套",
    "人民广场",
    (31.2320, 121.4730),
    Priority.URGENT,
    25,
)


def _spread_points(n: int) -> list[tuple[float, float]]:
    """n points on a jittered grid over the demo area (deterministic)."""
    cols = int(np.ceil(np.sqrt(n * 1.2)))
    rows = int(np.ceil(n / cols))
    rng = np.random.default_rng(2024)
    pts = []
    for i in range(n):
        r, c = divmod(i, cols)
        fy = (r + 0.5 + rng.uniform(-0.3, 0.3)) / rows
        fx = (c + 0.5 + rng.uniform(-0.3, 0.3)) / cols
        pts.append(
            (
                LAT_RANGE[0] + fy * (LAT_RANGE[1] - LAT_RANGE[0]),
                LON_RANGE[0] + fx * (LON_RANGE[1] - LON_RANGE[0]),
            )
        )
    return pts


class _Placer:
    """Puts points on road nodes of the main component (or leaves them if no network loads)."""

    def __init__(self) -> None:
        try:
            graph = roads.get_network().graph
            nodes = main_component_nodes(graph)
            self.lat, self.lon = graph.lat[nodes], graph.lon[nodes]
        except roads.RoadError as exc:
            log.warning("demo units placed without the road network: %s", exc)
            self.lat = self.lon = None
        self.used: set[int] = set()

    def place(self, lat: float, lon: float) -> tuple[float, float]:
        if self.lat is None or self.lon is None or self.lat.size == 0:
            return lat, lon
        k = np.cos(np.radians(lat))
        d = (self.lat - lat) ** 2 + ((self.lon - lon) * k) ** 2
        for i in np.argsort(d)[:50].tolist():
            if i not in self.used:  # two units never on the very same node
                self.used.add(i)
                return float(self.lat[i]), float(self.lon[i])
        return lat, lon


@transaction.atomic
def load_dispatch_demo(stdout=None) -> bool:
    """Create the demo units and incidents.  Returns False if they already exist.

    Precondition: the demo people exist (organisation: dispatcher; communities: officer1..6, aux11..62);
    missing usernames simply give units without an officer.
    """
    if Unit.objects.filter(code=UNITS[0][0]).exists():
        return False
    now = timezone.now()
    people = {p.user.username: p for p in Person.objects.select_related("user") if p.user is not None}
    placer = _Placer()
    for (code, name, agency, unit_type, username, skills), (lat, lon) in zip(
        UNITS, _spread_points(len(UNITS)), strict=True
    ):
        lat, lon = placer.place(lat, lon)
        Unit.objects.create(
            code=code,
            name=name,
            agency=agency,
            unit_type=unit_type,
            skills=skills,
            person=people.get(username) if username else None,
            lat=lat,
            lon=lon,
            accuracy_m=5.0,
            position_at=now,
        )
    dispatcher = people.get("dispatcher")

    title, address, (lat, lon), priority, minutes = OPEN_INCIDENT
    lat, lon = placer.place(lat, lon)
    services.do_create_incident(
        title=title,
        lat=lat,
        lon=lon,
        address=address,
        priority=priority,
        alarm_at=now - timedelta(minutes=minutes),
        description="群众来电：福州路山东中路口非机动车停放点一辆电动车起火冒烟，周边有行人。",
        actor=dispatcher,
    )

    title, address, (lat, lon), priority, minutes = MISSING_PERSON
    appeal = (
        Appeal.objects.filter(category__code=DEMO_CATEGORY_CODES["missing_person"]).order_by("pk").first()
    )
    if appeal is not None:
        incident = services.do_create_incident(appeal=appeal, title=title, actor=dispatcher)
    else:
        lat, lon = placer.place(lat, lon)
        incident = services.do_create_incident(
            title=title,
            lat=lat,
            lon=lon,
            address=address,
            priority=priority,
            alarm_at=now - timedelta(minutes=minutes),
            actor=dispatcher,
        )
    try:
        picks = [r["id"] for r in recommend_units(incident, k=2, agency="police") if r["recommended"]]
    except (roads.RoadError, ValueError):
        picks = []
    if not picks:
        picks = list(
            Unit.objects.filter(agency="police", unit_type="patrol_car").values_list("pk", flat=True)[:2]
        )
    services.do_dispatch(incident, picks, dispatcher)
    group = services.do_open_command_group(incident, dispatcher)
    if dispatcher is not None:
        services.do_post_group_message(
            group, dispatcher, "老人穿灰色外套，可能往南京东路方向走，请沿途留意。"
        )
    if stdout is not None:
        stdout.write(
            f"dispatch demo: {Unit.objects.count()} units, 2 incidents ({incident.reference} dispatched)"
        )
    return True
