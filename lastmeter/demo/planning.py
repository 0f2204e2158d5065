"""Planning demo data: basic units from the shipped road extract, one previewed plan, and a few platforms.

For the demo loader (lastmeter.demo.loader) to call after it has created grids, people and appeals:
``load_planning_demo()``. Safe to call twice (does nothing when units exist). The demo platforms stand at
real intersections of the central-Shanghai extract (named by their cross streets), unevenly spread on
purpose — as inherited placements are — so that the service-area page, the city-wide review and the
containment plan have something to show; they are only seeded when there are no platforms at all.
"""

from __future__ import annotations

import logging

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import RoleAssignment
from lastmeter.grids.models import Grid
from lastmeter.planning.models import BasicUnit, GridPlan, Platform
from lastmeter.planning.platforms import do_save_platform
from lastmeter.planning.report import PlanError
from lastmeter.planning.services import PlanParams, do_create_plan, do_preview_plan
from lastmeter.planning.unit_services import do_build_units
from lastmeter.roads import services

log = logging.getLogger(__name__)

# (code, name, lat, lon): intersections of the shipped OSM extract (© OpenStreetMap contributors).
DEMO_PLATFORMS = [
    ("demo-ya-hb", "延安东路黄陂北路警务平台", 31.2279786, 121.4686119),
    ("demo-nj-cd", "南京西路成都北路警务平台", 31.2327882, 121.4623225),
    ("demo-rm-xz", "人民大道西藏中路警务平台", 31.2333736, 121.4720236),
    ("demo-bj-fj", "北京东路福建中路警务平台", 31.2410872, 121.4745864),
    ("demo-ya-zj", "延安东路浙江中路警务平台", 31.2324254, 121.4769212),
    ("demo-fz-hn", "福州路河南中路警务平台", 31.2366656, 121.4811841),
    ("demo-rm-hn", "人民路河南南路警务平台", 31.2309684, 121.4826178),
    ("demo-hh-cq", "淮海中路重庆南路警务平台", 31.2238967, 121.4669253),
    ("demo-xz-nh", "西藏南路宁海东路警务平台", 31.229524, 121.474627),
    ("demo-bj-cd", "北京西路成都北路警务平台", 31.2366485, 121.461815),
]


def load_demo_platforms() -> int:
    """Create the demo platforms if there are none; returns how many were created (0 if the road
    network cannot be read or a platform does not snap to it)."""
    if Platform.objects.exists():
        return 0
    made = 0
    for code, name, lat, lon in DEMO_PLATFORMS:
        try:
            do_save_platform(code=code, name=name, lat=lat, lon=lon)
        except PlanError as exc:  # another road file: skip what does not fit it
            log.warning("demo platform %s not created: %s", code, exc)
            continue
        made += 1
    return made


def load_planning_demo(*, name: str = "演示方案：按工作量重划网格") -> GridPlan | None:
    """Build the units (if there are none) and preview a plan with as many grids as are active now.

    Returns the plan, or None when the road network cannot be read or there are no grids.
    """
    if not BasicUnit.objects.exists():
        try:
            graph = services.get_network().graph
        except services.RoadError as exc:
            log.warning("no planning demo: %s", exc)
            return None
        do_build_units(graph, source=services.source_path().name)
    load_demo_platforms()
    k = Grid.objects.filter(active=True).count()
    if k == 0 or GridPlan.objects.filter(name=name).exists():
        return GridPlan.objects.filter(name=name).first()
    members = RoleAssignment.objects.filter(role=Role.GRID_MEMBER, grid__active=True).count()
    plan = do_create_plan(PlanParams(name=name, k=k, auxiliaries=members), None)
    try:
        return do_preview_plan(plan.pk)
    except PlanError as exc:
        log.warning("planning demo left as a draft: %s", exc)
        return plan
