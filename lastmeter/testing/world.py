"""A small jurisdiction for tests: two grids with their people, a department, categories.

Named roles, as the tests talk about them: resident (no account), dispatcher, grid officer
(of grid A), other officer (of grid B, must be refused on grid A's appeals), grid member,
building head, leader, department liaison, legal reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import Department, OrgUnit, Person, RoleAssignment
from lastmeter.accounts.selectors import Scope, scope_for
from lastmeter.appeals.models import Category
from lastmeter.grids.models import Grid
from lastmeter.lib.geo import box_polygon

# Two adjacent boxes around People's Square, Shanghai (lon, lat).
GRID_A_BOX = (121.465, 31.225, 121.475, 31.235)
GRID_B_BOX = (121.475, 31.225, 121.485, 31.235)
POINT_IN_A = (31.230, 121.470)  # (lat, lon)
POINT_IN_B = (31.230, 121.480)


@dataclass
class World:
    station: OrgUnit
    community_a: OrgUnit
    community_b: OrgUnit
    building_a: OrgUnit
    grid_a: Grid
    grid_b: Grid
    leader: Person
    dispatcher: Person
    grid_officer: Person
    other_officer: Person
    grid_member: Person
    building_head: Person
    liaison: Person
    other_liaison: Person
    legal_reviewer: Person
    department: Department
    other_department: Department
    police_category: Category
    department_category: Category

    def scope(self, person: Person) -> Scope:
        return scope_for(person)


def _person(name: str, role: str, username: str | None = None, **scope) -> Person:
    user = None
    if username:
        user = get_user_model().objects.create_user(username=username, password="pass-" + username)
    person = Person.objects.create(name=name, user=user, phone="13800000000" if username else "")
    RoleAssignment.objects.create(person=person, role=role, **scope)
    return person


def build_world() -> World:
    root = OrgUnit.objects.create(kind=OrgKind.JURISDICTION, name="黄浦区", code="huangpu")
    station = OrgUnit.objects.create(kind=OrgKind.STATION, name="人民广场派出所", code="rmgc", parent=root)
    community_a = OrgUnit.objects.create(
        kind=OrgKind.COMMUNITY, name="福州路社区", code="fuzhou", parent=station
    )
    community_b = OrgUnit.objects.create(
        kind=OrgKind.COMMUNITY, name="云南中路社区", code="yunnan", parent=station
    )
    leader = _person("王所长", Role.LEADERSHIP, "leader", org_unit=station)
    dispatcher = _person("调度员李", Role.DISPATCHER, "dispatcher", org_unit=station)
    grid_officer = _person("张警官", Role.COMMUNITY_POLICE, "officer_a", org_unit=community_a)
    other_officer = _person("赵警官", Role.COMMUNITY_POLICE, "officer_b", org_unit=community_b)
    grid_a = Grid.objects.create(
        code="grid-a",
        name="A网格",
        community=community_a,
        responsible_officer=grid_officer,
        boundary=box_polygon(*GRID_A_BOX),
    )
    grid_b = Grid.objects.create(
        code="grid-b",
        name="B网格",
        community=community_b,
        responsible_officer=other_officer,
        boundary=box_polygon(*GRID_B_BOX),
    )
    building_a = OrgUnit.objects.create(
        kind=OrgKind.BUILDING,
        name="福州路1号楼",
        code="fz-1",
        parent=community_a,
        grid=grid_a,
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
    )
    grid_member = _person("辅警陈", Role.GRID_MEMBER, "member_a", grid=grid_a)
    building_head = _person("楼长孙", Role.BUILDING_HEAD, "head_a", org_unit=building_a)
    department = Department.objects.create(code="urban_management", name="城管执法局", accept_within_hours=4)
    other_department = Department.objects.create(code="greening", name="绿化市容局")
    liaison = _person("城管联络员", Role.DEPARTMENT_LIAISON, "liaison", department=department)
    other_liaison = _person(
        "绿化联络员", Role.DEPARTMENT_LIAISON, "other_liaison", department=other_department
    )
    legal_reviewer = _person("法制员周", Role.LEGAL_REVIEWER, "legal", org_unit=station)
    police_category = Category.objects.create(
        code="illegal_parking", name="违章停车", name_en="Illegal parking"
    )
    department_category = Category.objects.create(
        code="street_vending", name="占道经营", department=department
    )
    return World(
        station=station,
        community_a=community_a,
        community_b=community_b,
        building_a=building_a,
        grid_a=grid_a,
        grid_b=grid_b,
        leader=leader,
        dispatcher=dispatcher,
        grid_officer=grid_officer,
        other_officer=other_officer,
        grid_member=grid_member,
        building_head=building_head,
        liaison=liaison,
        other_liaison=other_liaison,
        legal_reviewer=legal_reviewer,
        department=department,
        other_department=other_department,
        police_category=police_category,
        department_category=department_category,
    )
