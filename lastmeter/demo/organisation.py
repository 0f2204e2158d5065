"""The demo's organisation: the jurisdiction, its police station and traffic squadron, their staff.

Invented people; every login's password is DEMO_PASSWORD. ``person`` makes one person (with a login
when given a username) and their role, for every area of the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import OrgUnit, Person, RoleAssignment

DEMO_PASSWORD = "lastmeter-demo"
# The demo jurisdiction's code: the demo is loaded when an org unit has it.
JURISDICTION_CODE = "huangpu-demo"


@dataclass
class Organisation:
    root: OrgUnit
    station: OrgUnit


def person(name: str, username: str | None, phone: str, role: str, *, staff: bool = False, **scope) -> Person:
    """A person with a role over ``scope`` (org_unit=, grid=, department=), and a login if named."""
    user = None
    if username:
        user = get_user_model().objects.create_user(username=username, password=DEMO_PASSWORD, is_staff=staff)
    created = Person.objects.create(name=name, user=user, phone=phone)
    RoleAssignment.objects.create(person=created, role=role, **scope)
    return created


def load_organisation() -> Organisation:
    """The superuser ``admin`` (unless it exists), the jurisdiction with its police station and traffic
    squadron, the station's leader, dispatcher and legal reviewer, and the administrator's person."""
    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@localhost", DEMO_PASSWORD)
    root = OrgUnit.objects.create(kind=OrgKind.JURISDICTION, name="黄浦区（演示）", code=JURISDICTION_CODE)
    station = OrgUnit.objects.create(
        kind=OrgKind.STATION, name="人民广场派出所", code="rmgc-station", parent=root
    )
    OrgUnit.objects.create(
        kind=OrgKind.STATION, name="黄浦交警支队人民广场中队", code="rmgc-traffic", parent=root
    )
    person("王建国", "leader", "13800000001", Role.LEADERSHIP, staff=True, org_unit=station)
    person("李调度", "dispatcher", "13800000002", Role.DISPATCHER, staff=True, org_unit=station)
    person("周法制", "legal", "13800000003", Role.LEGAL_REVIEWER, org_unit=station)
    admin_person = Person.objects.create(name="系统管理员", user=User.objects.get(username="admin"))
    RoleAssignment.objects.create(person=admin_person, role=Role.ADMINISTRATOR, org_unit=root)
    return Organisation(root=root, station=station)
