"""The demo's enforcement complaints: invented complainants contesting tickets and penalty decisions
or an officer's conduct, from every channel, each walked through the same services a person would
use to the stage it is shown in, back-dated to when it was filed; then one sweep of the complaint
clocks marks what is overdue (the one under review for 17 days is past its 15-day reply).

A second legal reviewer (``legal2``, 吴法制) takes the further appeal, since the first reviewer may
not review their own decision.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.complaints import clocks, services
from lastmeter.complaints.models import Complaint, ComplaintClock
from lastmeter.demo.organisation import person

# (channel, subject, number, officer username, text, complainant, phone, stage, days ago)
COMPLAINTS = [
    (
        "web",
        "ticket",
        "沪A2026031500117",
        "officer1",
        "我在南京西路临时停车给老人取药，前后不到三分钟，车里一直有人，却被贴了违停罚单。",
        "孙丽华",
        "13701230001",
        "received",
        0.1,
    ),
    (
        "hotline",
        "conduct",
        "",
        "officer3",
        "昨晚在人民广场地铁口，执勤民警查验身份证时语气很冲，还不让我解释。",
        "周志强",
        "13701230002",
        "acknowledged",
        2,
    ),
    (
        "statement_line",
        "penalty_decision",
        "沪公（黄）行罚决字〔2026〕0318号",
        "officer5",
        "处罚决定认定我闯红灯，但当时信号灯故障一直黄闪，请调取路口监控。",
        "吴建平",
        "13701230003",
        "in_review",
        17,
    ),
    (
        "in_person",
        "ticket",
        "沪A2026031000256",
        "aux11",
        "福州路装卸区有明显的卸货标志，我在卸货却被辅警拍照开单。",
        "郑晓东",
        "13701230004",
        "decided",
        12,
    ),
    (
        "chat",
        "penalty_decision",
        "沪公（黄）行罚决字〔2026〕0207号",
        "officer2",
        "电动自行车加装雨棚被罚款二百元，我认为处罚过重。",
        "冯秀英",
        "13701230005",
        "closed_after_appeal",
        30,
    ),
    (
        "web",
        "conduct",
        "",
        "officer4",
        "民警处理邻里纠纷时偏袒对方。",
        "何先生",
        "13701230006",
        "withdrawn",
        8,
    ),
]


def _by_username(username: str) -> Person:
    return Person.objects.get(user__username=username)


def load_complaints(station: OrgUnit) -> None:
    """The complaints above, and the second legal reviewer (``legal2``) at ``station``."""
    legal = _by_username("legal")
    legal2 = person("吴法制", "legal2", "13800000004", Role.LEGAL_REVIEWER, org_unit=station)
    leader = scope_for(_by_username("leader"))
    dispatcher = _by_username("dispatcher")
    first, second = scope_for(legal), scope_for(legal2)
    now = timezone.now()
    for channel, subject, number, officer, text, name, phone, stage, days_ago in COMPLAINTS:
        filed = now - timedelta(days=days_ago)
        data = services.NewComplaint(
            channel=channel,
            subject_kind=subject,
            decision_number=number if subject == "penalty_decision" else "",
            ticket_number=number if subject == "ticket" else "",
            text=text,
            complainant_name=name,
            complainant_phone=phone,
            officer=_by_username(officer),
        )
        complaint = services.do_file_complaint(
            data, actor=None if channel == "web" else dispatcher, now=filed
        )
        Complaint.objects.filter(pk=complaint.pk).update(created_at=filed)
        ComplaintClock.objects.filter(complaint=complaint).update(started_at=filed)
        pk = complaint.pk
        if stage == "received":
            continue
        if stage == "acknowledged":
            services.do_acknowledge(first, pk, note="已电话告知受理")
            continue
        if stage == "withdrawn":
            services.do_acknowledge(first, pk)
            services.do_withdraw(leader, pk, reason="投诉人来电表示误会已解除，申请撤回")
            continue
        services.do_assign(leader, pk, reviewer=legal)
        services.do_add_evidence(
            first,
            pk,
            kind="officer_statement",
            description=f"{data.officer.name if data.officer else ''}书面陈述已调取",
        )
        if stage == "in_review":
            services.do_add_evidence(
                first, pk, kind="document", description="路口信号灯运维记录（申请调取中）"
            )
            continue
        services.do_decide(
            first,
            pk,
            kind="revoke" if stage == "decided" else "uphold",
            reasons="经调取现场照片和执法记录仪视频，"
            + (
                "当事人确在卸货区卸货，罚单依据不足，予以撤销。"
                if stage == "decided"
                else "违法事实清楚，处罚在法定幅度内，予以维持。"
            ),
        )
        if stage == "closed_after_appeal":
            services.do_appeal(leader, pk, reason="投诉人认为未考虑其初次违法、及时改正的情节")
            services.do_assign(leader, pk, reviewer=legal2)
            services.do_decide(
                second, pk, kind="partly", reasons="初次违法且已自行拆除雨棚，依法改为警告，不予罚款。"
            )
            services.do_close(leader, pk, reason="复核答复已送达投诉人")
    clocks.sweep()
