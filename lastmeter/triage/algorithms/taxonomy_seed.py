"""Builds the seed taxonomy (``lastmeter/triage/data/taxonomy.csv``).

Input: the government's three-level appeal taxonomy (category names only, which are facts), e.g.
``../shared/data/cn_appeals/taxonomy_3level.csv`` with columns 一级分类,二级分类,三级分类. Output: every
level-1, level-2 and level-3 category with a handling unit chosen by the tables below, plus the
police categories that taxonomy lacks (illegal parking, zombie cars, fraud, …) with keywords.

Run: ``python -m lastmeter.triage.algorithms.taxonomy_seed GOV.csv > lastmeter/triage/data/taxonomy.csv``
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable

from .taxonomy import KNOWN_UNITS, Category, HandlingUnit, taxonomy_to_csv

LEVEL1_EN = {
    "城乡建设": "urban and rural construction",
    "农村农业": "agriculture and rural affairs",
    "政法": "politics and law",
    "教育文体": "education, culture and sport",
    "劳动和社会保障": "labour and social security",
    "民政": "civil affairs",
    "党务政务": "party and government affairs",
    "经济管理": "economic management",
    "卫生计生": "health and family planning",
    "商贸旅游": "commerce and tourism",
    "环境保护": "environmental protection",
    "交通运输": "transport",
    "纪检监察": "discipline inspection",
    "国土资源": "land and resources",
    "科技与信息产业": "science and information industry",
}
LEVEL1_UNIT = {
    "城乡建设": "housing_construction",
    "农村农业": "agriculture",
    "政法": "community_police",
    "教育文体": "education",
    "劳动和社会保障": "hr_social_security",
    "民政": "civil_affairs",
    "党务政务": "government_office",
    "经济管理": "development_reform",
    "卫生计生": "health",
    "商贸旅游": "market_regulation",
    "环境保护": "environment",
    "交通运输": "transport",
    "纪检监察": "discipline_inspection",
    "国土资源": "natural_resources",
    "科技与信息产业": "industry_it",
}
# (level1, level2) -> unit, where it differs from the level-1 unit.
LEVEL2_UNIT = {
    ("交通运输", "邮政管理"): "postal",
    ("农村农业", "水利水电"): "water",
    ("农村农业", "林业管理"): "natural_resources",
    ("农村农业", "野生资源管理"): "natural_resources",
    ("卫生计生", "食品药品监管"): "market_regulation",
    ("商贸旅游", "旅游管理"): "culture_tourism",
    ("城乡建设", "城市建设和市政管理"): "urban_management",
    ("城乡建设", "城乡规划"): "natural_resources",
    ("城乡建设", "安全生产"): "emergency_management",
    ("政法", "交通管理"): "traffic_police",
    ("政法", "仲裁与调解"): "justice",
    ("政法", "刑罚执行"): "justice",
    ("政法", "法制建设"): "justice",
    ("政法", "法律服务"): "justice",
    ("政法", "行政复议"): "justice",
    ("政法", "诉讼"): "court",
    ("教育文体", "体育"): "culture_tourism",
    ("教育文体", "文化"): "culture_tourism",
    ("教育文体", "文物管理"): "culture_tourism",
    ("民政", "优抚"): "veterans_affairs",
    ("民政", "复退安置"): "veterans_affairs",
    ("科技与信息产业", "知识产权"): "market_regulation",
    ("经济管理", "安全生产"): "emergency_management",
    ("经济管理", "金融财税"): "finance",
    ("经济管理", "国资监管"): "finance",
}
# (level1, level2, level3) -> unit, where it differs from the level-2 unit.
LEVEL3_UNIT = {
    ("城乡建设", "城市建设和市政管理", "园林绿化"): "greening",
    ("城乡建设", "城市建设和市政管理", "园林绿化环卫"): "greening",
    ("城乡建设", "城市建设和市政管理", "公园管理"): "greening",
    ("城乡建设", "城市建设和市政管理", "公共汽车"): "transport",
    ("城乡建设", "城市建设和市政管理", "地铁城铁"): "transport",
    ("城乡建设", "城市建设和市政管理", "燃气供应"): "utilities",
    ("城乡建设", "城市建设和市政管理", "电力供应"): "utilities",
    ("城乡建设", "城市建设和市政管理", "自来水供应"): "utilities",
    ("城乡建设", "城市建设和市政管理", "冬季采暖"): "utilities",
    ("城乡建设", "城市建设和市政管理", "小区管理"): "housing_construction",
    ("城乡建设", "城乡规划", "违章建筑"): "urban_management",
    ("政法", "社会治安", "消防安全"): "fire",
    ("政法", "仲裁与调解", "劳动仲裁"): "hr_social_security",
    ("政法", "仲裁与调解", "人事仲裁"): "hr_social_security",
    ("农村农业", "林业管理", "森林防火"): "fire",
    ("经济管理", "金融财税", "税收征管"): "tax",
}
# Extra keywords for government categories that residents name in everyday words.
GOV_KEYWORDS = {
    (
        "政法",
        "交通管理",
        "交通事故",
    ): "车祸|撞车|追尾|剐蹭|交通事故|撞了|被撞|car crash|collision|hit by a car",
    ("城乡建设", "城乡规划", "违章建筑"): "违建|违章搭建|私搭乱建|违章建筑|illegal construction",
    ("环境保护", "环境污染", "大气污染"): "烧垃圾|焚烧|油烟|粉尘|扬尘|air pollution",
    ("环境保护", "环境污染", "水污染"): "排污|污水直排|河水发臭|water pollution",
    ("政法", "社会治安", "黄赌毒"): "赌博|吸毒|卖淫|gambling|drug dealing",
    ("政法", "社会治安", "消防安全"): "消防通道|堵塞消防|灭火器|fire lane|fire exit",
    ("劳动和社会保障", "工资福利", "工资发放"): "拖欠工资|欠薪|不发工资|unpaid wages",
    ("卫生计生", "食品药品监管", "食品安全"): "食物中毒|过期食品|food poisoning",
}

# Police categories the government taxonomy lacks: (level2, level3, code, English, unit, keywords).
_P = "社区警务"
POLICE_EXTRAS = [
    (
        "交通秩序",
        "违章停车",
        "illegal_parking",
        "illegal parking",
        "traffic_police",
        "违停|违章停车|乱停|乱停车|乱停放|占道停车|停在人行道|停人行道|堵门口|挡住出口|堵住出口|双排停车|"
        "illegal parking|illegally parked|double parked|blocked driveway|blocking driveway|blocking my driveway|"
        "parked on sidewalk|parked on the sidewalk|blocking hydrant",
    ),
    (
        "交通秩序",
        "僵尸车",
        "zombie_car",
        "zombie (abandoned) car",
        "traffic_police",
        "僵尸车|废弃车|废弃车辆|长期停放|长期占用车位|积满灰尘|报废车|abandoned vehicle|abandoned car|derelict vehicle",
    ),
    (
        "交通秩序",
        "交通拥堵",
        "congestion",
        "traffic congestion",
        "traffic_police",
        "拥堵|堵车|塞车|堵死了|交通堵塞|排长队|traffic jam|congestion|gridlock",
    ),
    (
        "交通秩序",
        "事故多发点",
        "accident_black_spot",
        "accident black spot",
        "traffic_police",
        "事故多发|经常出事故|经常发生事故|多次发生事故|事故频发|老是出车祸|accident-prone|accident black spot|"
        "dangerous intersection",
    ),
    (
        "交通秩序",
        "交通信号故障",
        "signal_fault",
        "traffic signal fault",
        "traffic_police",
        "红绿灯坏|红绿灯不亮|信号灯坏|信号灯不亮|红绿灯故障|信号灯故障|traffic light out|traffic light not working|"
        "signal not working",
    ),
    (
        "交通秩序",
        "交通安全隐患",
        "traffic_hazard",
        "traffic hazard",
        "traffic_police",
        "路障|遮挡视线|抛洒物|散落物|掉落物|逆行|飙车|traffic hazard|debris on the road|debris on road|"
        "obstruction on the road",
    ),
    (
        "治安秩序",
        "噪声扰民",
        "noise",
        "noise nuisance",
        "community_police",
        "噪音|噪声|扰民|太吵|吵闹|吵得|广场舞|半夜装修|loud music|noise|noisy|loud party",
    ),
    (
        "治安秩序",
        "邻里纠纷",
        "neighbour_dispute",
        "neighbour dispute",
        "community_police",
        "邻里纠纷|邻居纠纷|和邻居吵|跟邻居吵|邻居吵架|邻居矛盾|neighbour dispute|neighbor dispute|"
        "argument with neighbour|argument with my neighbor",
    ),
    (
        "治安秩序",
        "打架斗殴",
        "fight",
        "fight / assault",
        "community_police",
        "打架|斗殴|打人|被打|殴打|fight|fighting|assault|assaulted|beaten up",
    ),
    (
        "治安秩序",
        "诈骗",
        "fraud",
        "fraud",
        "community_police",
        "诈骗|被骗|骗子|骗钱|刷单|冒充客服|冒充公检法|杀猪盘|scam|scammed|fraud|fraudster",
    ),
    (
        "治安秩序",
        "盗窃",
        "theft",
        "theft",
        "community_police",
        "被偷|偷了|小偷|盗窃|失窃|被盗|偷窃|扒手|stolen|theft|burglary|broke into|pickpocket",
    ),
    (
        "治安秩序",
        "可疑人员",
        "suspicious_person",
        "suspicious person",
        "community_police",
        "可疑人员|形迹可疑|鬼鬼祟祟|suspicious person|suspicious man|suspicious activity",
    ),
    (
        "治安秩序",
        "高空抛物",
        "thrown_objects",
        "objects thrown from height",
        "community_police",
        "高空抛物|高空坠物|楼上扔|从楼上扔|thrown from a window|thrown from the balcony",
    ),
    (
        "治安秩序",
        "犬只伤人",
        "dog",
        "dangerous or unleashed dog",
        "community_police",
        "狗咬|被狗咬|遛狗不牵绳|不拴绳|烈性犬|恶犬|dog bite|bitten by a dog|unleashed dog",
    ),
    (
        "求助服务",
        "走失",
        "missing_person",
        "missing person",
        "community_police",
        "走失|走丢|失踪|孩子不见|老人不见|找不到家|联系不上|missing person|missing child|lost child|wandered off",
    ),
    (
        "求助服务",
        "失物招领",
        "lost_property",
        "lost property",
        "community_police",
        "丢了钱包|钱包丢|手机丢|丢失|捡到|lost my wallet|lost my phone|found a wallet",
    ),
    ("求助服务", "火情", "fire_outbreak", "fire", "fire", "着火|起火|火灾|冒烟|烧起来|fire|on fire|smoke"),
    (
        "城市设施",
        "道路破损",
        "road_damage",
        "road damage",
        "urban_management",
        "坑洼|路面破损|路面塌陷|塌陷|井盖|路面坑|大坑|pothole|road damage|sinkhole|manhole|cave-in",
    ),
    (
        "城市设施",
        "倒伏树木",
        "fallen_tree",
        "fallen tree",
        "greening",
        "树倒|大树倒|树木倒伏|倒伏|树枝断|断枝|树倒了|fallen tree|tree down|tree fell|branch fell|fallen branch",
    ),
    (
        "城市设施",
        "路灯损坏",
        "streetlight",
        "street light out",
        "urban_management",
        "路灯不亮|路灯坏|路灯损坏|streetlight out|street light out|street light not working",
    ),
    (
        "城市设施",
        "道路积水",
        "flooding",
        "flooding / blocked drain",
        "water",
        "积水|内涝|下水道堵|下水道堵塞|污水冒|flooded|flooding|sewer backup|blocked drain",
    ),
    (
        "城市设施",
        "垃圾堆放",
        "rubbish",
        "rubbish / illegal dumping",
        "urban_management",
        "垃圾|乱扔|乱倒|乱堆|建筑垃圾|garbage|trash|litter|dumping|rubbish",
    ),
    (
        "城市设施",
        "占道经营",
        "street_vending",
        "street vending",
        "urban_management",
        "占道经营|摆摊|流动摊贩|小摊贩|street vendor|illegal vendor",
    ),
]


def _unit(code: str) -> HandlingUnit:
    return HandlingUnit(KNOWN_UNITS[code][0], code)


def build_categories(gov_rows: Iterable[tuple[str, str, str]]) -> list[Category]:
    """Seed categories from (level1, level2, level3) rows of the government taxonomy."""
    cats: list[Category] = []
    codes1: dict[str, str] = {}
    codes2: dict[tuple[str, str], str] = {}
    seen3: set[tuple[str, str, str]] = set()
    n3: dict[tuple[str, str], int] = {}
    for l1, l2, l3 in gov_rows:
        l1, l2, l3 = l1.strip(), l2.strip(), l3.strip()
        if not (l1 and l2 and l3) or (l1, l2, l3) in seen3:
            continue
        seen3.add((l1, l2, l3))
        if l1 not in codes1:
            codes1[l1] = f"gov.{len(codes1) + 1:02d}"
            unit = LEVEL1_UNIT.get(l1, "government_office")
            cats.append(Category(codes1[l1], l1, "", "", LEVEL1_EN.get(l1, ""), _unit(unit), (), "gov"))
        if (l1, l2) not in codes2:
            n = sum(1 for k in codes2 if k[0] == l1) + 1
            codes2[(l1, l2)] = f"{codes1[l1]}.{n:02d}"
            unit = LEVEL2_UNIT.get((l1, l2), LEVEL1_UNIT.get(l1, "government_office"))
            cats.append(Category(codes2[(l1, l2)], l1, l2, "", "", _unit(unit), (), "gov"))
        n3[(l1, l2)] = n3.get((l1, l2), 0) + 1
        unit = LEVEL3_UNIT.get(
            (l1, l2, l3), LEVEL2_UNIT.get((l1, l2), LEVEL1_UNIT.get(l1, "government_office"))
        )
        words = GOV_KEYWORDS.get((l1, l2, l3), "")
        keywords = tuple(w for w in words.split("|") if w)
        code = f"{codes2[(l1, l2)]}.{n3[(l1, l2)]:03d}"
        cats.append(Category(code, l1, l2, l3, "", _unit(unit), keywords, "gov"))
    cats.append(Category("pol", _P, "", "", "community policing", _unit("community_police"), (), "police"))
    groups = {
        "交通秩序": ("traffic", "traffic order", "traffic_police"),
        "治安秩序": ("order", "public order", "community_police"),
        "求助服务": ("help", "help requests", "community_police"),
        "城市设施": ("city", "city facilities (transferred)", "urban_management"),
    }
    for l2, (gcode, gname, gunit) in groups.items():
        cats.append(Category(f"pol.{gcode}", _P, l2, "", gname, _unit(gunit), (), "police"))
    for l2, l3, code, en, unit, words in POLICE_EXTRAS:
        gcode = groups[l2][0]
        kws = tuple(w for w in words.split("|") if w)
        cats.append(Category(f"pol.{gcode}.{code}", _P, l2, l3, en, _unit(unit), kws, "police"))
    return cats


def read_gov_rows(path: str) -> list[tuple[str, str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)  # header: 一级分类,二级分类,三级分类
        return [(r[0], r[1], r[2]) for r in reader if len(r) >= 3]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m lastmeter.triage.algorithms.taxonomy_seed GOV_TAXONOMY.csv", file=sys.stderr)
        return 2
    sys.stdout.write(taxonomy_to_csv(build_categories(read_gov_rows(argv[0]))))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
