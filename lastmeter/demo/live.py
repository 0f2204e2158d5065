"""The live demo behind `make run`: officers drive along real roads, appeals keep arriving, an
incident is dispatched now and then, and once in a while an officer presses SOS.

Runs as one daemon thread beside the in-process worker (lastmeter.worker.start_in_process), only
when the demo simulation is enabled: LASTMETER_DEMO_SIMULATION=1/0, or by default when the
embedded default (no DATABASE_URL) serves the demo jurisdiction. A deployment never simulates.

Unit movement is the simulator's `simulate_step(dt_s)` (lastmeter.demo.simulator); the scenario
here only files appeals, raises incidents/SOS through the same services a person would.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import OrgUnit
from lastmeter.appeals.models import Category
from lastmeter.appeals.services import NewAppeal, do_create_appeal
from lastmeter.demo.categories import DEMO_CATEGORY_CODES
from lastmeter.demo.organisation import JURISDICTION_CODE
from lastmeter.demo.simulator import simulate_step
from lastmeter.dispatching import services
from lastmeter.dispatching.models import Incident, SosAlarm, Unit
from lastmeter.web import simulation

log = logging.getLogger("lastmeter.demo")

STEP_S = 2.0  # how often units move (the board shows motion, not jumps)
APPEAL_EVERY_S = 45.0
INCIDENT_EVERY_S = 150.0
SOS_EVERY_S = 300.0
SOS_LASTS_S = 120.0  # an unanswered demo alarm resolves itself so the board stays readable

# (text, category code, lat, lon, address) — invented residents' words at real street corners.
NEW_APPEALS = [
    ("南京东路步行街入口有电动车逆行，差点撞到老人。", "traffic_hazard", 31.23760, 121.47790, "南京东路"),
    ("北京东路一家店门口天天占道卸货，早高峰堵车。", "illegal_parking", 31.24050, 121.47900, "北京东路"),
    ("威海路上半夜有人大声喧哗喝酒，已经一个多小时了。", "noise", 31.23120, 121.46480, "威海路"),
    ("黄河路小区门口有人发传单推销理财，说保本高收益。", "fraud", 31.23690, 121.47000, "黄河路"),
    ("西藏中路天桥下一辆自行车锁了半年没人骑，挡住了通道。", "zombie_car", 31.23400, 121.47580, "西藏中路"),
    ("淮海中路普安路口信号灯时间太短，行人过不去。", "traffic_hazard", 31.22630, 121.47320, "淮海中路普安路"),
    ("我家孩子放学没回家，最后一次看见是在人民公园门口。", "missing_person", 31.23220, 121.47100, "人民公园"),
    ("云南南路美食街油烟太大，楼上住户窗户都不敢开。", "noise", 31.22930, 121.47930, "云南南路"),
]
NEW_INCIDENTS = [
    ("人民广场地铁站出口有人晕倒", 31.23180, 121.47450, "人民广场"),
    ("福州路两车剐蹭发生口角", 31.23560, 121.47900, "福州路"),
    ("延安东路隧道口车辆抛锚", 31.23050, 121.48120, "延安东路"),
    ("南京西路商场门口有人抢包", 31.23420, 121.46800, "南京西路"),
]


def simulated_activity() -> list[str]:
    """What the live pages tell their viewers while the simulation runs (lastmeter.web.simulation)."""
    return [
        _("Patrol units drive along real roads and report their positions."),
        _("A new appeal arrives about every %(s)d seconds.") % {"s": APPEAL_EVERY_S},
        _("About every %(m)s minutes an incident is raised and the nearest unit dispatched to it.")
        % {"m": f"{INCIDENT_EVERY_S / 60:g}"},
        _("About every %(m)s minutes an officer presses SOS; it clears itself after %(c)s minutes.")
        % {"m": f"{SOS_EVERY_S / 60:g}", "c": f"{SOS_LASTS_S / 60:g}"},
    ]


def demo_simulation_enabled() -> bool:
    """LASTMETER_DEMO_SIMULATION if set; otherwise on only for the embedded demo."""
    if settings.LASTMETER_DEMO_SIMULATION is not None:
        return settings.LASTMETER_DEMO_SIMULATION
    if settings.DATABASE_URL:
        return False
    return OrgUnit.objects.filter(code=JURISDICTION_CODE).exists()


class DemoScenario:
    """What happens on the demo's clock; each `tick` is one pass (idempotent enough to skip one)."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        now = time.monotonic()
        # First events come soon after start, so a visitor sees them without waiting long.
        self.next_appeal = now + 15.0
        self.next_incident = now + 30.0
        self.next_sos = now + 75.0
        self.step: Callable[[float], object] = simulate_step

    def tick(self, dt_s: float) -> None:
        self.step(dt_s)
        now = time.monotonic()
        if now >= self.next_appeal:
            self.next_appeal = now + APPEAL_EVERY_S * self.rng.uniform(0.7, 1.3)
            self.file_appeal()
        if now >= self.next_incident:
            self.next_incident = now + INCIDENT_EVERY_S * self.rng.uniform(0.8, 1.2)
            self.raise_incident()
        if now >= self.next_sos:
            self.next_sos = now + SOS_EVERY_S * self.rng.uniform(0.8, 1.2)
            self.press_sos()
        self.expire_sos()

    def file_appeal(self) -> None:
        text, code, lat, lon, address = self.rng.choice(NEW_APPEALS)
        do_create_appeal(
            NewAppeal(
                channel=self.rng.choice(["wecom", "hotline", "web", "dingtalk"]),
                text=text,
                category=Category.objects.filter(code=DEMO_CATEGORY_CODES.get(code, code)).first(),
                lat=lat + self.rng.uniform(-0.0004, 0.0004),
                lon=lon + self.rng.uniform(-0.0004, 0.0004),
                address=address,
                reporter_name=self.rng.choice(["陈先生", "林女士", "周阿姨", "Mr. Brown"]),
                reporter_phone=f"1390111{self.rng.randint(1000, 9999)}",
            )
        )

    def raise_incident(self) -> None:
        # Keep the board readable: close the oldest demo incident when three are open.
        open_ = Incident.objects.exclude(status="closed").order_by("alarm_at")
        if open_.count() >= 3:
            oldest = open_.first()
            if oldest is not None:
                services.do_close_incident(oldest, None, note="演示：处置完毕")
        title, lat, lon, address = self.rng.choice(NEW_INCIDENTS)
        incident = services.do_create_incident(title=title, lat=lat, lon=lon, address=address)
        recs = [r for r in services.recommend_units(incident, k=3, passed_over=False) if r.get("recommended")]
        if recs:
            services.do_dispatch(incident, [recs[0]["unit_id"]], None)
            services.do_open_command_group(incident, None)

    def press_sos(self) -> None:
        if SosAlarm.objects.filter(status__in=["raised", "acknowledged"]).exists():
            return
        crewed = list(Unit.objects.filter(person__isnull=False, lat__isnull=False).exclude(status="off_duty"))
        if not crewed:
            return
        unit = self.rng.choice(crewed)
        assert unit.person is not None and unit.lat is not None and unit.lon is not None
        services.do_raise_sos(unit.person, unit.lat, unit.lon, note="演示警报")

    def expire_sos(self) -> None:
        cutoff = timezone.now() - timedelta(seconds=SOS_LASTS_S)
        for alarm in SosAlarm.objects.filter(status__in=["raised", "acknowledged"], raised_at__lt=cutoff):
            services.do_resolve_sos(alarm, None, note="演示：自动解除")


def run_demo_forever(stop: threading.Event, step_s: float = STEP_S) -> None:
    scenario = DemoScenario()
    last = time.monotonic()
    while not stop.is_set():
        close_old_connections()
        now = time.monotonic()
        try:
            scenario.tick(now - last)
        except Exception:  # the demo must never take the server down; the next tick retries
            log.exception("demo tick failed")
        last = now
        stop.wait(step_s)


def start_demo(stop: threading.Event) -> threading.Thread | None:
    """Start the demo thread if the simulation is enabled; returns it (None when off)."""
    try:
        enabled = demo_simulation_enabled()
    except Exception:  # no tables yet (before migrate): no demo
        log.exception("demo simulation check failed")
        return None
    if not enabled:
        return None
    thread = threading.Thread(target=run_demo_forever, args=(stop,), name="lastmeter-demo", daemon=True)
    thread.start()
    simulation.announce(simulated_activity)
    log.info("demo simulation running (LASTMETER_DEMO_SIMULATION=0 turns it off)")
    return thread
