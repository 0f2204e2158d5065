"""The demo's communities on the map: two grids each, their officers, auxiliaries, duty shifts,
buildings and building heads.

Three communities side by side over the OSM extract of central Shanghai, each cut into a south and
a north grid; each grid has its community officer (officer1..6, on duty now), two auxiliaries
(aux<n>1, aux<n>2; the first on the evening shift) and three buildings with a head each.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lastmeter.accounts.choices import OrgKind, Role, VolunteerKind
from lastmeter.accounts.models import DutyShift, OrgUnit
from lastmeter.demo.organisation import person
from lastmeter.grids.models import Grid
from lastmeter.lib.geo import box_polygon

# Column and row edges over the OSM extract (lon 121.461–121.486, lat 31.2196–31.2412).
LON_EDGES = (121.4610, 121.4695, 121.4780, 121.4865)
LAT_EDGES = (31.2195, 31.2305, 31.2415)

# code, name, column (between LON_EDGES)
COMMUNITIES = [
    ("nanjing-w", "南京西路社区", 0),
    ("renmin-sq", "人民广场社区", 1),
    ("fuzhou-rd", "福州路社区", 2),
]

# The community officers, two per community (south grid, then north).
OFFICERS = ["张伟", "刘洋", "陈静", "杨帆", "黄磊", "赵敏"]


def load_communities(station: OrgUnit) -> None:
    """The communities under ``station`` with their grids, people and buildings."""
    now = timezone.now()
    n = 0
    for ccode, cname, col in COMMUNITIES:
        community = OrgUnit.objects.create(kind=OrgKind.COMMUNITY, name=cname, code=ccode, parent=station)
        for row in range(2):
            officer_name = OFFICERS[n]
            officer = person(
                officer_name, f"officer{n + 1}", f"1380000010{n}", Role.COMMUNITY_POLICE, org_unit=community
            )
            grid = Grid.objects.create(
                code=f"{ccode}-{row + 1}",
                name=f"{cname}{'北' if row else '南'}网格",
                community=community,
                responsible_officer=officer,
                boundary=box_polygon(LON_EDGES[col], LAT_EDGES[row], LON_EDGES[col + 1], LAT_EDGES[row + 1]),
            )
            for k in range(2):
                aux = person(
                    f"辅警{officer_name[0]}{k + 1}",
                    f"aux{n + 1}{k + 1}",
                    f"139000{n:02d}{k:02d}0",
                    Role.GRID_MEMBER,
                    grid=grid,
                )
                if k == 0:  # the first auxiliary covers the evening shift
                    DutyShift.objects.create(
                        person=aux,
                        grid=grid,
                        starts_at=now.replace(hour=10, minute=0, second=0),
                        ends_at=now.replace(hour=14, minute=0, second=0),
                    )
            DutyShift.objects.create(
                person=officer,
                grid=grid,
                starts_at=now - timedelta(hours=12),
                ends_at=now + timedelta(hours=12),
            )
            clat = (LAT_EDGES[row] + LAT_EDGES[row + 1]) / 2
            clon = (LON_EDGES[col] + LON_EDGES[col + 1]) / 2
            for b in range(3):
                building = OrgUnit.objects.create(
                    kind=OrgKind.BUILDING,
                    name=f"{cname}{row * 3 + b + 1}号楼",
                    code=f"{ccode}-b{row * 3 + b + 1}",
                    parent=community,
                    grid=grid,
                    lat=clat + 0.001 * (b - 1),
                    lon=clon,
                )
                head = person(
                    f"楼长{cname[0]}{row * 3 + b + 1}",
                    None,
                    f"1370000{n}{b}00",
                    Role.BUILDING_HEAD,
                    org_unit=building,
                )
                head.volunteer_kind = VolunteerKind.TRAFFIC_OBSERVER if b == 0 else ""
                head.save(update_fields=["volunteer_kind"])
            n += 1
