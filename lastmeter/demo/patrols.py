"""The demo's patrols in 福州路社区: three teams (volunteers, building heads, auxiliaries), today's
plan made from the hot cells of the demo's appeals and published, the volunteer team's check-in; and the building-head network's records — badges, a training session, tasks (one done,
with its points) and a support record.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.demo.organisation import person
from lastmeter.patrols import services
from lastmeter.patrols.choices import Band, SupportKind, TeamKind
from lastmeter.patrols.models import Badge, PatrolTeam, SupportRecord, TeamMember, TrainingSession

COMMUNITY = "fuzhou-rd"
OFFICER = "officer5"


def load_patrols() -> None:
    now = timezone.now()
    community = OrgUnit.objects.get(code=COMMUNITY)
    volunteer = person("志愿者林", "volunteer1", "13600000101", Role.VOLUNTEER, org_unit=community)
    volunteers = PatrolTeam.objects.create(
        name="福州路平安志愿者", kind=TeamKind.VOLUNTEERS, community=community
    )
    TeamMember.objects.create(
        team=volunteers, person=volunteer, skills="急救,普通话/上海话", available_bands=[]
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
        TeamMember.objects.create(team=heads_team, person=head, skills="熟悉楼栋", available_bands=[])
    aux = PatrolTeam.objects.create(name="福州路辅警巡逻组", kind=TeamKind.AUXILIARIES, community=community)
    for p in Person.objects.filter(roles__role=Role.GRID_MEMBER, roles__grid__community=community):
        TeamMember.objects.create(team=aux, person=p, skills="巡逻,交通疏导")

    officer = scope_for(Person.objects.get(user__username=OFFICER))
    # Today's plan from the demo's appeals: the evening's, or the first other band with a
    # significant hot cell in this community when the evening has none.
    plan = None
    for band in (Band.EVENING, Band.AFTERNOON, Band.MORNING, Band.NIGHT):
        if plan is not None:
            plan.delete()
        req = services.PlanRequest(
            community=community,
            day=timezone.localdate(),
            band=band,
            source="appeals",
            history_days=30,
            cell_m=150,
        )
        plan = services.do_generate_plan(officer, req, now=now)
        if plan.cells.exists():
            break
    assert plan is not None
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
