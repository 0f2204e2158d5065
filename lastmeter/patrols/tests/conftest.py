"""Fixtures of the patrol tests: the tiny road network of the dispatching tests (round grid A's
centre), a cluster of evening incidents in grid A, and a patrol team in each community."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.dispatching.models import Incident
from lastmeter.dispatching.tests.conftest import tiny_graph
from lastmeter.patrols.choices import Band, TeamKind
from lastmeter.patrols.models import PatrolTeam, TeamMember
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.testing.world import POINT_IN_A

PLAN_DAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def road_network():
    """Routes are computed on the tiny network: never the real road file."""
    with roads.use_network(RoadNetwork(tiny_graph())):
        yield


def evening(day: date, hour: int = 20) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def seed_evening_cluster(now: datetime, n_cluster: int = 80, n_bg: int = 40) -> None:
    """A cluster of evening incidents at grid A's centre over the past weeks, background spread
    over both grids, and a morning cluster in grid B (another band: it must not show)."""
    rng = np.random.default_rng(7)
    rows = []
    for i, (a, b) in enumerate(rng.normal(0, 0.0006, (n_cluster, 2))):
        at = evening((now - timedelta(days=1 + i % 30)).date(), 19 + i % 4)
        rows.append(Incident(title="打架", lat=POINT_IN_A[0] + a, lon=POINT_IN_A[1] + b, alarm_at=at))
    for i in range(n_bg):
        at = evening((now - timedelta(days=1 + i % 30)).date(), 18 + i % 6)
        rows.append(
            Incident(
                title="纠纷", lat=rng.uniform(31.225, 31.235), lon=rng.uniform(121.465, 121.485), alarm_at=at
            )
        )
    for i in range(n_cluster):
        at = evening((now - timedelta(days=1 + i % 30)).date(), 8)
        rows.append(
            Incident(
                title="盗窃",
                lat=31.230 + rng.normal(0, 0.0006),
                lon=121.480 + rng.normal(0, 0.0006),
                alarm_at=at,
            )
        )
    Incident.objects.bulk_create(rows)


def new_person(name: str, username: str, role: str, **where) -> Person:
    user = get_user_model().objects.create_user(username=username, password="pass-" + username)
    person = Person.objects.create(name=name, user=user, phone="13700000000")
    RoleAssignment.objects.create(person=person, role=role, **where)
    return person


@pytest.fixture
def teams(world):
    volunteer = new_person("志愿者钱", "volunteer_a", Role.VOLUNTEER, org_unit=world.community_a)
    team_a = PatrolTeam.objects.create(
        name="福州路平安志愿者", kind=TeamKind.VOLUNTEERS, community=world.community_a
    )
    TeamMember.objects.create(team=team_a, person=volunteer, skills="急救", available_bands=[Band.EVENING])
    TeamMember.objects.create(team=team_a, person=world.building_head, skills="熟悉楼栋")
    other = new_person("志愿者吴", "volunteer_b", Role.VOLUNTEER, org_unit=world.community_b)
    team_b = PatrolTeam.objects.create(
        name="云南中路巡逻队", kind=TeamKind.VOLUNTEERS, community=world.community_b
    )
    TeamMember.objects.create(team=team_b, person=other)
    return type("Teams", (), {"a": team_a, "b": team_b, "volunteer": volunteer, "other": other})
