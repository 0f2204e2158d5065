"""The demo jurisdiction on the real road network of central Shanghai (People's Square).

Everything here is invented for the demo (people, phone numbers, appeals), written for this
project; the streets are real (© OpenStreetMap contributors, ODbL). Loading is idempotent: an
existing demo is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from lastmeter.accounts.choices import OrgKind, Role, VolunteerKind
from lastmeter.accounts.models import Department, DutyShift, OrgUnit, Person, RoleAssignment
from lastmeter.appeals import services, transfers
from lastmeter.appeals.choices import ClockKind, ClockUnit
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import Appeal, Category, ClockPolicy
from lastmeter.grids.models import Grid
from lastmeter.lib.geo import box_polygon

DEMO_PASSWORD = "lastmeter-demo"

# Column and row edges over the OSM extract (lon 121.461–121.486, lat 31.2196–31.2412).
LON_EDGES = (121.4610, 121.4695, 121.4780, 121.4865)
LAT_EDGES = (31.2195, 31.2305, 31.2415)

COMMUNITIES = [
    ("nanjing-w", "南京西路社区", 0),
    ("renmin-sq", "人民广场社区", 1),
    ("fuzhou-rd", "福州路社区", 2),
]

DEPARTMENTS = [
    ("urban_management", "区城管执法局", "12319"),
    ("housing_construction", "区住房和建设管理委员会", ""),
    ("greening", "区绿化和市容管理局", ""),
    ("transport", "区交通委员会", ""),
    ("environment", "区生态环境局", ""),
    ("health", "区卫生健康委员会", ""),
    ("education", "区教育局", ""),
    ("hr_social_security", "区人力资源和社会保障局", ""),
    ("fire", "区消防救援支队", "119"),
    ("market_regulation", "区市场监督管理局", "12315"),
]

# code, name, English, department code or None (police), priority
CATEGORIES = [
    ("illegal_parking", "违章停车", "Illegal parking", None, 2),
    ("zombie_car", "僵尸车", "Abandoned vehicle", None, 1),
    ("congestion", "交通拥堵", "Congestion", None, 2),
    ("traffic_hazard", "交通安全隐患", "Traffic hazard", None, 3),
    ("accident_black_spot", "事故多发点", "Accident black spot", None, 3),
    ("neighbour_dispute", "邻里纠纷", "Neighbour dispute", None, 2),
    ("fraud", "诈骗", "Fraud", None, 4),
    ("noise", "噪声扰民", "Noise", None, 2),
    ("theft", "盗窃", "Theft", None, 3),
    ("missing_person", "走失", "Missing person", None, 4),
    ("street_vending", "占道经营", "Street vending", "urban_management", 2),
    ("road_damage", "道路破损", "Road damage", "transport", 2),
    ("fallen_tree", "树木倒伏", "Fallen tree", "greening", 3),
    ("illegal_construction", "违章搭建", "Illegal construction", "urban_management", 2),
    ("wage_arrears", "拖欠工资", "Wage arrears", "hr_social_security", 2),
    ("fire_hazard", "消防隐患", "Fire hazard", "fire", 3),
]


def _person(
    name: str, username: str | None, phone: str, role: str, *, staff: bool = False, **scope
) -> Person:
    user = None
    if username:
        user = get_user_model().objects.create_user(username=username, password=DEMO_PASSWORD, is_staff=staff)
    person = Person.objects.create(name=name, user=user, phone=phone)
    RoleAssignment.objects.create(person=person, role=role, **scope)
    return person


# (text, category, lat, lon, address, channel, reporter, phone, stage, hours_ago)
APPEALS = [
    (
        "福州路与福建中路路口早高峰经常有车辆违停，公交车进不了站，麻烦管一管。",
        "illegal_parking",
        31.23585,
        121.47640,
        "福州路福建中路口",
        "wecom",
        "陈阿姨",
        "13901110001",
        "received",
        1,
    ),
    (
        "九江路上一辆白色面包车停了快三个月了，落满灰，轮胎都瘪了，占着车位。",
        "zombie_car",
        31.23728,
        121.47601,
        "九江路",
        "dingtalk",
        "周先生",
        "13901110002",
        "acknowledged",
        5,
    ),
    (
        "延安东路西藏中路口晚上有人飙车，声音特别大，吵得睡不着。",
        "noise",
        31.23150,
        121.47520,
        "延安东路西藏中路口",
        "hotline",
        "吴女士",
        "13901110003",
        "contacted",
        8,
    ),
    (
        "楼上邻居装修天天砸墙，周末早上七点就开始，沟通过没用，想请民警调解。",
        "neighbour_dispute",
        31.22940,
        121.46770,
        "黄陂北路",
        "volunteer",
        "郑先生",
        "13901110004",
        "landed",
        20,
    ),
    (
        "接到自称公检法的电话，说我涉嫌洗钱要转账到安全账户，我没转，但担心老人上当。",
        "fraud",
        31.22510,
        121.46980,
        "淮海中路",
        "web",
        "王女士",
        "13901110005",
        "resolved",
        30,
    ),
    (
        "河南中路汉口路口的红绿灯坏了，路口很乱，差点撞到人。",
        "traffic_hazard",
        31.23735,
        121.48090,
        "河南中路汉口路口",
        "telegram",
        "Li Ming",
        "13901110006",
        "received",
        27,
    ),
    (
        "人民路上人行道有人摆摊卖水果，行人只能走到机动车道上。",
        "street_vending",
        31.22930,
        121.48170,
        "人民路",
        "web",
        "孙先生",
        "13901110007",
        "transferred",
        2,
    ),
    (
        "重庆南路上昨晚大风刮倒了一棵树，压在非机动车道上。",
        "fallen_tree",
        31.22240,
        121.46710,
        "重庆南路",
        "hotline",
        "赵女士",
        "13901110008",
        "accepted",
        6,
    ),
    (
        "复兴东路河南南路附近路面塌了一个坑，电动车摔了好几辆。",
        "road_damage",
        31.22280,
        121.48300,
        "复兴东路河南南路",
        "feishu",
        "钱先生",
        "13901110009",
        "returned",
        10,
    ),
    (
        "南京西路凤阳路附近小区门口电动车被偷了，监控拍到了人。",
        "theft",
        31.23480,
        121.46540,
        "南京西路凤阳路",
        "web",
        "冯先生",
        "13901110010",
        "acknowledged",
        26,
    ),
    (
        "我父亲有老年痴呆，今天下午在人民广场附近走丢了，穿灰色外套。",
        "missing_person",
        31.23200,
        121.47300,
        "人民广场",
        "hotline",
        "何女士",
        "13901110011",
        "contacted",
        1,
    ),
    (
        "西藏南路金陵中路口下班时间堵得走不动，能不能派人疏导一下？",
        "congestion",
        31.22760,
        121.47400,
        "西藏南路金陵中路口",
        "wecom",
        "许先生",
        "13901110012",
        "closed",
        72,
    ),
    (
        "武胜路这个弯道今年已经发生好几次剐蹭了，建议加个警示标志。",
        "accident_black_spot",
        31.23010,
        121.47090,
        "武胜路",
        "volunteer",
        "褚女士",
        "13901110013",
        "received",
        3,
    ),
    (
        "汉口路一家饭店后厨把煤气罐堆在楼道里，很危险。",
        "fire_hazard",
        31.23760,
        121.48020,
        "汉口路",
        "web",
        "卫先生",
        "13901110014",
        "transferred",
        30,
    ),
    (
        "太仓路上有工地拖欠农民工工资，工人在路口聚集。",
        "wage_arrears",
        31.22360,
        121.47190,
        "太仓路",
        "hotline",
        "蒋先生",
        "13901110015",
        "received",
        0,
    ),
    (
        "自忠路小区里有人在楼顶私自搭建彩钢板房。",
        "illegal_construction",
        31.22110,
        121.47290,
        "自忠路",
        "dingtalk",
        "沈女士",
        "13901110016",
        "received",
        0,
    ),
    (
        "普安路上共享单车乱停，把盲道全堵了，晚上也没人清理。",
        "illegal_parking",
        31.22710,
        121.47250,
        "普安路",
        "web",
        "韩女士",
        "13901110017",
        "acknowledged",
        30,
    ),
    (
        "金陵中路上有辆黑色轿车天天停在消防通道上。",
        "illegal_parking",
        31.22760,
        121.47300,
        "金陵中路",
        "wecom",
        "杨先生",
        "13901110018",
        "landed",
        4,
    ),
]


@transaction.atomic
def load_demo(stdout=None) -> bool:
    """Create the demo jurisdiction and its appeals. Returns False if it already exists."""
    if OrgUnit.objects.filter(code="huangpu-demo").exists():
        return False
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@localhost", DEMO_PASSWORD)
    root = OrgUnit.objects.create(kind=OrgKind.JURISDICTION, name="黄浦区（演示）", code="huangpu-demo")
    station = OrgUnit.objects.create(
        kind=OrgKind.STATION, name="人民广场派出所", code="rmgc-station", parent=root
    )
    OrgUnit.objects.create(
        kind=OrgKind.STATION, name="黄浦交警支队人民广场中队", code="rmgc-traffic", parent=root
    )
    _person("王建国", "leader", "13800000001", Role.LEADERSHIP, staff=True, org_unit=station)
    _person("李调度", "dispatcher", "13800000002", Role.DISPATCHER, staff=True, org_unit=station)
    _person("周法制", "legal", "13800000003", Role.LEGAL_REVIEWER, org_unit=station)
    admin_person = Person.objects.create(name="系统管理员", user=User.objects.get(username="admin"))
    RoleAssignment.objects.create(person=admin_person, role=Role.ADMINISTRATOR, org_unit=root)

    departments = {}
    for code, name, phone in DEPARTMENTS:
        departments[code] = Department.objects.create(code=code, name=name, phone=phone)
    _person(
        "城管联络员刘",
        "liaison",
        "13800000004",
        Role.DEPARTMENT_LIAISON,
        department=departments["urban_management"],
    )
    _person(
        "交通委联络员蔡",
        "liaison_transport",
        "13800000005",
        Role.DEPARTMENT_LIAISON,
        department=departments["transport"],
    )
    _person(
        "绿化联络员潘",
        "liaison_greening",
        "13800000006",
        Role.DEPARTMENT_LIAISON,
        department=departments["greening"],
    )

    categories = {}
    for code, name, name_en, dept, priority in CATEGORIES:
        categories[code] = Category.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            default_priority=priority,
            department=departments[dept] if dept else None,
        )
    ClockPolicy.objects.create(
        kind=ClockKind.CONTACT, amount=2, unit=ClockUnit.HOURS, pause_while_waiting=True
    )
    ClockPolicy.objects.create(kind=ClockKind.LAND, amount=24, unit=ClockUnit.HOURS, pause_while_waiting=True)
    ClockPolicy.objects.create(
        kind=ClockKind.CONTACT, category=categories["missing_person"], amount=15, unit=ClockUnit.HOURS
    )
    ClockPolicy.objects.create(kind=ClockKind.TRANSFER_ACCEPT, amount=4, unit=ClockUnit.HOURS)
    ClockPolicy.objects.create(kind=ClockKind.COMPLAINT_REPLY, amount=15, unit=ClockUnit.CALENDAR_DAYS)
    # A missing person cannot wait two hours for a call back.
    ClockPolicy.objects.filter(category=categories["missing_person"]).update(amount=1)

    officers = ["张伟", "刘洋", "陈静", "杨帆", "黄磊", "赵敏"]
    now = timezone.now()
    n = 0
    for ccode, cname, col in COMMUNITIES:
        community = OrgUnit.objects.create(kind=OrgKind.COMMUNITY, name=cname, code=ccode, parent=station)
        for row in range(2):
            officer_name = officers[n]
            officer = _person(
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
                aux = _person(
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
                head = _person(
                    f"楼长{cname[0]}{row * 3 + b + 1}",
                    None,
                    f"1370000{n}{b}00",
                    Role.BUILDING_HEAD,
                    org_unit=building,
                )
                head.volunteer_kind = VolunteerKind.TRAFFIC_OBSERVER if b == 0 else ""
                head.save(update_fields=["volunteer_kind"])
            n += 1

    for data in APPEALS:
        _demo_appeal(categories, *data)
    sweep()
    from lastmeter.dispatching.demo import load_dispatch_demo  # units, incidents: dispatching's part

    load_dispatch_demo(stdout)
    from lastmeter.grids.demo import load_planning_demo  # basic units and a previewed grid plan

    load_planning_demo()
    if stdout is not None:
        stdout.write(f"demo loaded: {Appeal.objects.count()} appeals, {Grid.objects.count()} grids")
    return True


def _scope_of(username: str):
    from lastmeter.accounts.selectors import scope_for

    return scope_for(Person.objects.get(user__username=username))


def _demo_appeal(
    categories, text, category, lat, lon, address, channel, reporter, phone, stage, hours_ago
) -> None:
    created = timezone.now() - timedelta(hours=hours_ago, minutes=7)
    appeal = services.do_create_appeal(
        services.NewAppeal(
            channel=channel,
            text=text,
            category=categories[category],
            lat=lat,
            lon=lon,
            address=address,
            reporter_name=reporter,
            reporter_phone=phone,
            channel_ref={"chat_id": "demo-group"}
            if channel in ("wecom", "dingtalk", "feishu", "telegram")
            else None,
        ),
        now=created,
    )
    Appeal.objects.filter(pk=appeal.pk).update(created_at=created)
    appeal.events.update(at=created)
    if appeal.assignee is None:
        return
    officer = _scope_of(appeal.assignee.user.username) if appeal.assignee.user else _scope_of("dispatcher")
    dispatcher = _scope_of("dispatcher")
    if stage in ("acknowledged", "contacted", "landed", "resolved", "closed"):
        services.do_acknowledge(officer, appeal.pk)
    if stage in ("contacted", "landed", "resolved", "closed"):
        services.do_contact(officer, appeal.pk, note="已电话联系报警人")
    if stage in ("landed", "resolved", "closed"):
        services.do_land(officer, appeal.pk, lat=lat + 0.0003, lon=lon)
    if stage in ("resolved", "closed"):
        services.do_resolve(officer, appeal.pk, resolution="民警已到场处置，并向报警人反馈")
    if stage == "closed":
        services.do_rate(appeal.tracking_token, score=5, comment="处理很及时，谢谢民警")
    liaison = {
        "urban_management": "liaison",
        "transport": "liaison_transport",
        "greening": "liaison_greening",
    }
    dept = appeal.department.code if appeal.department else None
    if stage in ("accepted", "returned") and dept in liaison:
        scope = _scope_of(liaison[dept])
        if stage == "accepted":
            transfers.do_accept_transfer(scope, appeal.pk)
        else:
            transfers.do_return_transfer(scope, appeal.pk, reason="该路段属于市管道路，请转市路政部门")
    _ = dispatcher
