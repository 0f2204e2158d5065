"""The demo's appeal categories (police or a department's) and the clock policies of their deadlines."""

from __future__ import annotations

from lastmeter.accounts.models import Department
from lastmeter.appeals.choices import ClockKind, ClockUnit
from lastmeter.appeals.models import Category, ClockPolicy

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


def load_categories(departments: dict[str, Department]) -> dict[str, Category]:
    """The categories by code; a department's category is transferred to it."""
    categories = {}
    for code, name, name_en, dept, priority in CATEGORIES:
        categories[code] = Category.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            default_priority=priority,
            department=departments[dept] if dept else None,
        )
    return categories


def load_clock_policies(categories: dict[str, Category]) -> None:
    """Contact within 2 hours (1 for a missing person), land within 24, a department accepts within
    4 hours and reports its outcome within 5 working days (1 day for a fallen tree), a complaint is
    answered within 15 days."""
    ClockPolicy.objects.create(
        kind=ClockKind.CONTACT, amount=2, unit=ClockUnit.HOURS, pause_while_waiting=True
    )
    ClockPolicy.objects.create(kind=ClockKind.LAND, amount=24, unit=ClockUnit.HOURS, pause_while_waiting=True)
    ClockPolicy.objects.create(
        kind=ClockKind.CONTACT, category=categories["missing_person"], amount=15, unit=ClockUnit.HOURS
    )
    ClockPolicy.objects.create(kind=ClockKind.TRANSFER_ACCEPT, amount=4, unit=ClockUnit.HOURS)
    # A department reports its outcome within 5 working days (each department's default); a fallen
    # tree on a cycle lane cannot wait that long.
    ClockPolicy.objects.create(
        kind=ClockKind.TRANSFER_OUTCOME,
        category=categories["fallen_tree"],
        amount=1,
        unit=ClockUnit.CALENDAR_DAYS,
    )
    ClockPolicy.objects.create(kind=ClockKind.COMPLAINT_REPLY, amount=15, unit=ClockUnit.CALENDAR_DAYS)
    # A missing person cannot wait two hours for a call back.
    ClockPolicy.objects.filter(category=categories["missing_person"]).update(amount=1)
