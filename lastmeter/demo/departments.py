"""The demo's departments (out-of-police-scope appeals are transferred to them) and their liaisons."""

from __future__ import annotations

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Department
from lastmeter.demo.organisation import person

# code, name, public phone
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

# name, username, phone, department code: the department liaisons who accept or return transfers.
LIAISONS = [
    ("城管联络员刘", "liaison", "13800000004", "urban_management"),
    ("交通委联络员蔡", "liaison_transport", "13800000005", "transport"),
    ("绿化联络员潘", "liaison_greening", "13800000006", "greening"),
]


def load_departments() -> dict[str, Department]:
    """The departments by code, then a liaison for three of them."""
    departments = {}
    for code, name, phone in DEPARTMENTS:
        departments[code] = Department.objects.create(code=code, name=name, phone=phone)
    for name, username, phone, code in LIAISONS:
        person(name, username, phone, Role.DEPARTMENT_LIAISON, department=departments[code])
    return departments
