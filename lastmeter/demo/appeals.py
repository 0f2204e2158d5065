"""The demo's appeals: residents' messages at real street corners, each walked through the same
services a person would use to the stage it is shown in (received … closed, transferred, accepted,
returned), back-dated to when it arrived; then one clock sweep marks what is overdue.

The steps themselves happen when the demo is loaded, so each clock is met or late by comparing
that moment with its deadline: the neighbours' dispute filed 20 hours earlier is contacted 18
hours late, the fraud and congestion appeals are contacted and landed late, the others on time.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope, scope_for
from lastmeter.appeals import feedback, services, transfers
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import Appeal, Category
from lastmeter.demo.departments import LIAISONS

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
        1,
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
        0,
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
        1,
    ),
]

# Department code -> username of its liaison (who accepts or returns the demo's transfers).
LIAISON_OF = {code: username for _, username, _, code in LIAISONS}


def load_appeals(categories: dict[str, Category]) -> None:
    """Every appeal of APPEALS at its stage, then a sweep of the clocks."""
    for data in APPEALS:
        _demo_appeal(categories, *data)
    sweep()


def _scope_of(username: str) -> Scope:
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
    if stage in ("acknowledged", "contacted", "landed", "resolved", "closed"):
        services.do_acknowledge(officer, appeal.pk)
    if stage in ("contacted", "landed", "resolved", "closed"):
        services.do_contact(officer, appeal.pk, note="已电话联系报警人")
    if stage in ("landed", "resolved", "closed"):
        services.do_land(officer, appeal.pk, lat=lat + 0.0003, lon=lon)
    if stage in ("resolved", "closed"):
        services.do_resolve(officer, appeal.pk, resolution="民警已到场处置，并向报警人反馈")
    if stage == "closed":
        # The reporter asks for the one-time code (sent to their phone) and rates with it.
        code = feedback.issue_feedback_code(appeal.tracking_token).code
        services.do_rate(appeal.tracking_token, code=code, score=5, comment="处理很及时，谢谢民警")
    dept = appeal.department.code if appeal.department else None
    if stage in ("accepted", "returned") and dept in LIAISON_OF:
        scope = _scope_of(LIAISON_OF[dept])
        if stage == "accepted":
            transfers.do_accept_transfer(scope, appeal.pk)
        else:
            transfers.do_return_transfer(scope, appeal.pk, reason="该路段属于市管道路，请转市路政部门")
