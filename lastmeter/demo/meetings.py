"""The demo's consultation meetings and counter log, invented for the demo.

In 福州路社区 a meeting was held five weeks ago (residents' representatives, a building head, the
urban management liaison): two decisions, one reported done since, one not, which the overdue sweep
marks; the next meeting, next week, carries the unfinished one to its agenda for the report-back,
with the community's recurring problems and open appeals. The station's counter has a morning of
walk-ins (certificates, consultations, lost property), one still waiting.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lastmeter.accounts.models import Department, OrgUnit, Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.meetings import jobs, services
from lastmeter.meetings.models import ActionItem

COMMUNITY = "fuzhou-rd"
OFFICER = "officer5"

# kind, matter, visitor, minutes waited, minutes handled (None: still waiting)
WALK_INS = [
    ("certificate", "开具无犯罪记录证明", "孙先生", 3, 12),
    ("certificate", "开具居住证明", "何女士", 6, 9),
    ("consultation", "咨询居住证办理", "郭先生", 2, 7),
    ("lost_property", "登记遗失的钱包", "韩同学", 4, 15),
    ("consultation", "咨询户口迁入材料", "罗阿姨", 8, 11),
    ("lost_property", "拾到手机交还", "唐先生", 1, 6),
    ("certificate", "开具亲属关系证明", "冯女士", 10, None),
]


def _person(username: str) -> Person:
    return Person.objects.get(user__username=username)


def load_meetings() -> None:
    now = timezone.now()
    community = OrgUnit.objects.get(code=COMMUNITY)
    officer = _person(OFFICER)
    liaison = _person("liaison")
    scope = scope_for(officer)
    urban = Department.objects.filter(code="urban_management").first()

    held_at = now - timedelta(days=35)
    first = services.do_schedule_meeting(
        scope,
        community=community,
        title="福州路社区警民议事会（第一次）",
        held_at=held_at,
        place="福州路社区活动室",
    )
    for name, kind in (
        ("居民代表钱阿姨", "resident_rep"),
        ("居民代表许先生", "resident_rep"),
        ("4号楼楼长", "building_head"),
    ):
        services.do_add_attendee(scope, first.pk, name=name, kind=kind)
    if urban is not None:
        services.do_add_attendee(scope, first.pk, name="", kind="department", department=urban)
    services.do_add_attendee(scope, first.pk, name=officer.name, kind="police")
    services.do_record_minutes(
        scope,
        first.pk,
        minutes="居民反映小区门口夜间违停、占道经营和楼道堆物问题；城管、社区民警当场认领。",
    )
    # Entered after the fact, the meeting proposes no appeals filed since; its matters are added.
    item = services.do_add_item(scope, first.pk, title="小区门口夜间违停堵住消防通道")
    vending = services.do_add_item(scope, first.pk, title="菜场门口占道经营")
    parking = services.do_decide(
        scope,
        first.pk,
        services.NewDecision(
            item.pk, "门口划设禁停标线并夜间巡查", "划设禁停标线，夜间巡查两周", officer, 10
        ),
        now=held_at,
    )
    services.do_decide(
        scope,
        first.pk,
        services.NewDecision(vending.pk, "清理占道摊点", "联合城管清理菜场门口占道摊点", liaison, 5, urban),
        now=held_at,
    )
    # The parking item was done and reported; the vending one is past its deadline.
    ActionItem.objects.filter(pk=parking.pk).update(state="done", done_at=held_at + timedelta(days=9))
    jobs.sweep_actions(now)
    services.do_close(scope, first.pk)

    services.do_schedule_meeting(
        scope,
        community=community,
        title="福州路社区警民议事会（第二次）",
        held_at=now + timedelta(days=7),
        place="福州路社区活动室",
    )

    start = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for k, (kind, matter, visitor, waited, handled) in enumerate(WALK_INS):
        arrived = start + timedelta(minutes=25 * k)
        visit = services.do_log_arrival(
            scope, community=community, kind=kind, matter=matter, visitor=visitor, at=arrived
        )
        if handled is None:
            continue
        services.do_serve(scope, visit.pk, at=arrived + timedelta(minutes=waited))
        services.do_finish(
            scope, visit.pk, outcome="已办结", at=arrived + timedelta(minutes=waited + handled)
        )
