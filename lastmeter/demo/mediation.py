"""The demo's mediation cases: invented disputes in the demo communities, each walked through the
same services the mediation room uses to the stage it is shown in, back-dated to when it was
opened and agreed; then the follow-up sweep marks the visits not made, and the recurrence scan
links a neighbour's new appeal to the case agreed 40 days earlier at the same building.

Besides the community officers, a people's mediator and a lawyer from the residents' committee
mediate (they have no login; the officers record for them).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals import services as appeal_services
from lastmeter.appeals.models import Appeal, Category
from lastmeter.demo.organisation import person
from lastmeter.mediation import jobs, services
from lastmeter.mediation.models import FollowUp, MediationCase
from lastmeter.mediation.services import NewCase, NewParty

# The officer who records each case, by the case's community (see demo.communities).
RECORDER = {"nanjing-w": "officer1", "renmin-sq": "officer3", "fuzhou-rd": "officer5"}


def _officer(username: str) -> Person:
    return Person.objects.get(user__username=username)


def _walk_to_agreement(scope, case: MediationCase, *, text: str, terms: str, when) -> None:
    for party in case.parties.all():
        services.do_record_consent(scope, case.pk, party_id=party.pk, how="签署人民调解申请书")
    services.do_record_session(
        scope,
        case.pk,
        held_at=when,
        place="社区警务室调解室",
        attendees="双方当事人、社区民警、楼长",
        notes="双方陈述，调解员释法说理",
    )
    services.do_draft_agreement(scope, case.pk, text=text, terms=terms)
    for party in case.parties.all():
        services.do_confirm(scope, case.pk, party_id=party.pk, how="当场签字并按手印")


def _backdate(case: MediationCase, opened, agreed=None) -> None:
    """Put the case's dates where the story has them, the follow-up visits with them."""
    MediationCase.objects.filter(pk=case.pk).update(opened_at=opened, agreed_at=agreed)
    if agreed is not None:
        days = services.follow_up_dates(timezone.localtime(agreed).date())
        for visit, day in zip(case.follow_ups.order_by("due_on"), days, strict=False):
            FollowUp.objects.filter(pk=visit.pk).update(due_on=day)


def load_mediation() -> None:
    now = timezone.now()
    communities = {c.code: c for c in OrgUnit.objects.filter(code__in=RECORDER)}
    peoples = person("冯桂兰", None, "13600000101", Role.VOLUNTEER, org_unit=communities["renmin-sq"])
    lawyer = person("李律师", None, "13600000102", Role.VOLUNTEER, org_unit=communities["fuzhou-rd"])

    # 1. From the demo appeal about a neighbour's renovation: agreed today, visits ahead.
    appeal = Appeal.objects.filter(text__startswith="楼上邻居装修").select_related("grid").first()
    if appeal is not None and appeal.grid is not None and appeal.grid.responsible_officer is not None:
        officer = appeal.grid.responsible_officer
        scope = scope_for(officer)
        case = services.do_open_case(
            scope,
            NewCase(
                dispute_type="neighbour",
                summary="楼上装修砸墙，周末清晨施工，郑先生与楼上住户多次争吵",
                mediator=officer,
                mediator_kind="community_police",
                appeal=appeal,
                parties=[NewParty("周女士", "respondent", "13901119901")],
            ),
        )
        _walk_to_agreement(
            scope,
            case,
            text="周女士装修期间遵守施工时间",
            terms="工作日8时至18时施工\n周末不施工\n砸墙前一天告知楼下",
            when=now,
        )
        services.do_conclude(scope, case.pk, note="双方握手言和")

    # 2. A walk-in small debt the parties could not settle: referred to the court.
    scope = scope_for(_officer(RECORDER["fuzhou-rd"]))
    debt = services.do_open_case(
        scope,
        NewCase(
            dispute_type="debt",
            summary="装修工程尾款八千元，业主认为有质量问题拒付",
            mediator=lawyer,
            mediator_kind="lawyer",
            community=communities["fuzhou-rd"],
            address="福州路社区4号楼",
            parties=[
                NewParty("陈师傅", "applicant", "13901119902"),
                NewParty("林女士", "respondent", "13901119903"),
            ],
        ),
        now=now - timedelta(days=12),
    )
    for party in debt.parties.all():
        services.do_record_consent(scope, debt.pk, party_id=party.pk, how="口头同意，已记录")
    services.do_record_session(
        scope,
        debt.pk,
        held_at=now - timedelta(days=10),
        place="社区警务室调解室",
        attendees="双方、李律师",
        notes="对质量问题鉴定意见分歧",
    )
    services.do_fail(scope, debt.pk, note="双方对工程质量鉴定意见分歧过大")
    services.do_refer(scope, debt.pk, target="court", note="告知双方可向黄浦区人民法院起诉")

    # 3. A walk-in traffic damage case, still in mediation after its first session.
    scope = scope_for(_officer(RECORDER["renmin-sq"]))
    traffic = services.do_open_case(
        scope,
        NewCase(
            dispute_type="traffic_damage",
            summary="电动自行车剐蹭停放的轿车，车主要求赔偿维修费",
            mediator=peoples,
            mediator_kind="peoples_mediator",
            community=communities["renmin-sq"],
            address="人民广场社区2号楼门口",
            parties=[
                NewParty("赵先生", "applicant", "13901119904"),
                NewParty("钱同学", "respondent", "13901119905"),
            ],
        ),
        now=now - timedelta(days=2),
    )
    for party in traffic.parties.all():
        services.do_record_consent(scope, traffic.pk, party_id=party.pk, how="签署人民调解申请书")
    services.do_record_session(
        scope,
        traffic.pk,
        held_at=now - timedelta(days=1),
        place="人民调解室",
        attendees="双方、冯桂兰",
        notes="等待维修报价",
    )

    # 4. A family dispute partly settled 35 days ago; the first visit was made, the second missed.
    scope = scope_for(_officer(RECORDER["nanjing-w"]))
    family = services.do_open_case(
        scope,
        NewCase(
            dispute_type="family",
            summary="兄妹因父母房屋居住安排发生争吵",
            mediator=_officer(RECORDER["nanjing-w"]),
            mediator_kind="community_police",
            community=communities["nanjing-w"],
            address="南京西路社区2号楼",
            parties=[
                NewParty("吴大哥", "applicant", "13901119906"),
                NewParty("吴小妹", "respondent", "13901119907"),
            ],
        ),
        now=now - timedelta(days=40),
    )
    _walk_to_agreement(
        scope,
        family,
        text="父母暂由吴大哥照顾",
        terms="吴小妹每月分担一半护理费",
        when=now - timedelta(days=36),
    )
    services.do_conclude(scope, family.pk, partial=True, note="房屋产权分歧另行协商")
    _backdate(family, now - timedelta(days=40), now - timedelta(days=35))
    first = family.follow_ups.order_by("due_on").first()
    if first is not None:
        services.do_follow_up(scope, family.pk, follow_up_id=first.pk, kept=True, note="护理费已按月支付")

    # 5. A noise case agreed 40 days ago at a building where a neighbour now appeals again.
    scope = scope_for(_officer(RECORDER["fuzhou-rd"]))
    building = OrgUnit.objects.filter(code="fuzhou-rd-b2").first()
    lat, lon = (building.lat, building.lon) if building is not None else (None, None)
    noise = services.do_open_case(
        scope,
        NewCase(
            dispute_type="noise",
            summary="底商KTV深夜噪音扰民",
            mediator=_officer(RECORDER["fuzhou-rd"]),
            mediator_kind="community_police",
            community=communities["fuzhou-rd"],
            address="福州路社区2号楼",
            lat=lat,
            lon=lon,
            parties=[
                NewParty("孔阿姨", "applicant", "13901119908"),
                NewParty("KTV经理韩先生", "respondent", "13901119909"),
            ],
        ),
        now=now - timedelta(days=45),
    )
    _walk_to_agreement(
        scope,
        noise,
        text="KTV夜间控制音量",
        terms="22时后关闭临街门窗\n加装隔音棉",
        when=now - timedelta(days=41),
    )
    services.do_conclude(scope, noise.pk)
    _backdate(noise, now - timedelta(days=45), now - timedelta(days=40))
    if lat is not None and lon is not None:
        appeal_services.do_create_appeal(
            appeal_services.NewAppeal(
                channel="web",
                text="楼下KTV又开始半夜唱歌，吵得孩子睡不着",
                category=Category.objects.filter(code="pol.order.noise").first(),
                lat=lat + 0.0001,
                lon=lon,
                address="福州路社区2号楼",
                reporter_name="许女士",
                reporter_phone="13901119910",
            )
        )
    jobs.sweep_follow_ups()
    jobs.link_recurrences()
