"""The demo's patrols in 福州路社区: three teams (volunteers, building heads, auxiliaries), a month
of closed evening incidents round 福州路's south grid (invented history, so the evening has a hot
spot to patrol), tonight's evening plan made from them and published, the volunteer team's
check-in; and the building-head network's records — badges, a training session, tasks (one done,
with its points) and a support record.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.demo.organisation import person
from lastmeter.dispatching.choices import IncidentStatus
from lastmeter.dispatching.models import Incident
from lastmeter.grids.models import Grid
from lastmeter.patrols import services
from lastmeter.patrols.choices import Band, SupportKind, TeamKind
from lastmeter.patrols.models import Badge, PatrolTeam, SupportRecord, TeamMember, TrainingSession

COMMUNITY = "fuzhou-rd"
OFFICER = "officer5"


def _evening_history(grid: Grid, now) -> None:
    """Sixty closed evening incidents round the grid's centre over the past month, thirty spread."""
    (lon0, lat0), (lon1, lat1) = grid.boundary["coordinates"][0][0], grid.boundary["coordinates"][0][2]
    clat, clon = (lat0 + lat1) / 2, (lon0 + lon1) / 2
    rng = np.random.default_rng(14)
    rows = []
    for i in range(90):
        if i < 60:
            lat, lon = clat + rng.normal(0, 0.0005), clon + rng.normal(0, 0.0005)
        else:
            lat, lon = (
                rng.uniform(min(lat0, lat1), max(lat0, lat1)),
                rng.uniform(min(lon0, lon1), max(lon0, lon1)),
            )
        day = timezone.localtime(now - timedelta(days=1 + i % 28))
        at = day.replace(hour=18 + i % 5, minute=(7 * i) % 60)
        rows.append(
            Incident(
                title="夜间纠纷" if i % 2 else "醉酒滋事",
                lat=lat,
                lon=lon,
                alarm_at=at,
                status=IncidentStatus.CLOSED,
                closed_at=at + timedelta(minutes=40),
                closing_note="现场处置完毕",
            )
        )
    Incident.objects.bulk_create(rows)


def load_patrols() -> None:
    now = timezone.now()
    community = OrgUnit.objects.get(code=COMMUNITY)
    grid = Grid.objects.filter(community=community).order_by("code").first()
    assert grid is not None
    _evening_history(grid, now)
    volunteer = person("志愿者林", "volunteer1", "13600000101", Role.VOLUNTEER, org_unit=community)
    volunteers = PatrolTeam.objects.create(
        name="福州路平安志愿者", kind=TeamKind.VOLUNTEERS, community=community
    )
    TeamMember.objects.create(
        team=volunteers, person=volunteer, skills="急救,普通话/上海话", available_bands=[Band.EVENING]
    )
    heads_team = PatrolTeam.objects.create(
        name="福州路楼组长巡逻队", kind=TeamKind.BUILDING_HEADS, community=community
    )
    heads = list(
        Person.objects.filter(roles__role=Role.BUILDING_HEAD, roles__org_unit__parent=community).order_by(
            "pk"
        )
    )
    for head in heads:
        TeamMember.objects.create(
            team=heads_team, person=head, skills="熟悉楼栋", available_bands=[Band.MORNING]
        )
    aux = PatrolTeam.objects.create(name="福州路辅警巡逻组", kind=TeamKind.AUXILIARIES, community=community)
    for p in Person.objects.filter(roles__role=Role.GRID_MEMBER, roles__grid__community=community):
        TeamMember.objects.create(team=aux, person=p, skills="巡逻,交通疏导")

    officer = scope_for(Person.objects.get(user__username=OFFICER))
    plan = services.do_generate_plan(
        officer,
        services.PlanRequest(
            community=community, day=timezone.localdate(), band=Band.EVENING, history_days=30, cell_m=150
        ),
        now=now,
    )
    services.do_move_plan(officer, plan.pk, "published")
    shift = plan.shifts.filter(team=volunteers).first()
    cell = plan.cells.filter(shift=shift).order_by("order").first()
    if shift is not None and cell is not None:
        services.do_check(scope_for(volunteer), shift.pk, "in", cell.lat, cell.lon, now=shift.starts_at)

    # The network's five unifications: identity, training, tasks, points, support.
    training = TrainingSession.objects.create(
        title="楼组长消防与矛盾排查培训", held_on=now.date() - timedelta(days=20), community=community
    )
    for n, head in enumerate(heads, start=1):
        Badge.objects.create(person=head, number=f"HP-FZ-{n:04d}", issued_on=now.date() - timedelta(days=60))
        if n % 2:
            training.attendees.add(head)
        services.do_assign_task(
            officer,
            head,
            title="排查楼道堆物和电动车违规充电",
            points=3,
            due_on=now.date() + timedelta(days=7),
        )
    if heads:
        done = services.do_assign_task(officer, heads[0], title="上门走访独居老人", points=5)
        services.do_finish_task(scope_for(heads[0]), done.pk, now=now - timedelta(days=2))
        SupportRecord.objects.create(
            person=heads[0], kind=SupportKind.EQUIPMENT, note="反光背心、手电筒", given_on=now.date()
        )
