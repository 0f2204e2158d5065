"""A mediation case's workflow and refusals: consent before sessions, both confirmations before
an agreement, follow-up visits on working days, referral, recurrence, scope, figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from lastmeter.appeals.models import OutboxMessage
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.mediation import jobs, selectors, services
from lastmeter.mediation.models import FollowUp, MediationCase
from lastmeter.stats import community_work
from lastmeter.stats.measures import Slice
from lastmeter.testing.world import POINT_IN_B

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_it_refuses_a_session_before_every_party_consented(world, open_case):
    case = open_case()
    officer = world.scope(world.grid_officer)
    first = case.parties.first()
    services.do_record_consent(officer, case.pk, party_id=first.pk, how="签署调解申请书")
    with pytest.raises(NotAllowed, match=r"马先生"):
        services.do_record_session(
            officer, case.pk, held_at=timezone.now(), place="调解室", attendees="双方", notes="陈述"
        )
    assert not case.sessions.exists()


def test_it_refuses_an_agreement_without_both_confirmations(world, open_case):
    case = open_case()
    officer = world.scope(world.grid_officer)
    for party in case.parties.all():
        services.do_record_consent(officer, case.pk, party_id=party.pk, how="口头同意，已录音")
    with pytest.raises(ServiceError):
        services.do_draft_agreement(officer, case.pk, text="和解", terms="道歉")  # no session yet
    services.do_record_session(
        officer, case.pk, held_at=timezone.now(), place="调解室", attendees="双方", notes="陈述"
    )
    services.do_draft_agreement(officer, case.pk, text="马先生夜间不再施工", terms="18时后停工")
    applicant, respondent = case.parties.order_by("id")
    services.do_confirm(officer, case.pk, party_id=applicant.pk, how="签字")
    with pytest.raises(NotAllowed, match=r"马先生"):
        services.do_conclude(officer, case.pk)
    services.do_confirm(officer, case.pk, party_id=respondent.pk, how="签字")
    # Redrafting the text lets both confirmations lapse.
    services.do_draft_agreement(
        officer, case.pk, text="马先生夜间不再施工并赔偿", terms="18时后停工\n赔偿200元"
    )
    with pytest.raises(NotAllowed):
        services.do_conclude(officer, case.pk)
    case.refresh_from_db()
    assert case.state == "open" and case.agreed_at is None and not FollowUp.objects.exists()


def test_it_refuses_an_agreement_with_one_side_only(world, open_case):
    case = open_case(parties=[services.NewParty("刘女士", "applicant", "13912345678")])
    officer = world.scope(world.grid_officer)
    services.do_record_consent(officer, case.pk, party_id=case.parties.get().pk, how="签字")
    with pytest.raises(ServiceError, match=r"双方|both sides"):
        services.do_record_session(
            officer, case.pk, held_at=timezone.now(), place="调解室", attendees="刘女士", notes="陈述"
        )


def test_it_schedules_follow_up_visits_on_working_days_after_the_national_day(world, agreed_case):
    # Agreed on Wednesday 24 September 2025: +7 days is 1 October (holiday until the 8th) → 9
    # October; +30 is Friday 24 October; +90 is Tuesday 23 December.
    with time_machine.travel(datetime(2025, 9, 24, 15, 0, tzinfo=SHANGHAI), tick=False):
        case = agreed_case()
    assert case.state == "agreed"
    assert list(case.follow_ups.values_list("due_on", flat=True)) == [
        date(2025, 10, 9),
        date(2025, 10, 24),
        date(2025, 12, 23),
    ]


def test_it_marks_a_missed_follow_up_overdue_once_and_tells_the_mediator(world, agreed_case):
    with time_machine.travel(datetime(2025, 9, 24, 15, 0, tzinfo=SHANGHAI), tick=False):
        case = agreed_case()
    on_the_day = datetime(2025, 10, 9, 23, 0, tzinfo=SHANGHAI)
    assert jobs.sweep_follow_ups(on_the_day) == {"follow_ups_overdue": 0}
    next_morning = datetime(2025, 10, 10, 8, 0, tzinfo=SHANGHAI)
    assert jobs.sweep_follow_ups(next_morning) == {"follow_ups_overdue": 1}
    assert jobs.sweep_follow_ups(next_morning) == {"follow_ups_overdue": 0}
    first = case.follow_ups.order_by("due_on").first()
    assert first.state == "overdue"
    assert (
        OutboxMessage.objects.get(key=f"followup:{first.pk}:overdue").recipient["person"]
        == world.grid_officer.pk
    )
    # The late visit is still recorded; the case closes only after every visit.
    officer = world.scope(world.grid_officer)
    services.do_follow_up(officer, case.pk, follow_up_id=first.pk, kept=True, note="夜间未再施工")
    with pytest.raises(ServiceError):
        services.do_close(officer, case.pk)
    for visit in case.follow_ups.exclude(pk=first.pk):
        services.do_follow_up(officer, case.pk, follow_up_id=visit.pk, kept=True, note="协议履行良好")
    services.do_close(officer, case.pk, note="回访完毕")
    case.refresh_from_db()
    assert case.state == "closed"


def test_it_refers_a_failed_mediation_to_a_department(world, open_case):
    case = open_case(dispute_type="debt")
    officer = world.scope(world.grid_officer)
    services.do_fail(officer, case.pk, note="双方对欠款金额分歧过大")
    with pytest.raises(ServiceError):
        services.do_refer(officer, case.pk, target="department")
    services.do_refer(officer, case.pk, target="department", department=world.department, note="涉及占道经营")
    case.refresh_from_db()
    assert (case.state, case.outcome, case.referral_department) == ("referred", "failed", world.department)


def test_it_opens_a_case_from_an_appeal_the_officer_may_see(world, new_appeal):
    appeal = new_appeal(text="楼上邻居每天夜里装修，吵得无法入睡", address="福州路1号楼")
    data = services.NewCase(
        dispute_type="noise",
        summary="夜间装修噪音",
        mediator=world.grid_officer,
        mediator_kind="community_police",
        appeal=appeal,
    )
    case = services.do_open_case(world.scope(world.grid_officer), data)
    assert case.source == "appeal" and case.grid == world.grid_a and case.community == world.community_a
    assert [p.name for p in case.parties.all()] == ["刘女士"]  # the reporter, as applicant
    with pytest.raises(Http404):
        services.do_open_case(world.scope(world.other_officer), data)  # not their grid's appeal


@pytest.mark.parametrize("who", ["other_officer", "building_head", "liaison", "legal_reviewer"])
def test_it_hides_the_case_from_people_outside_it(world, open_case, who):
    case = open_case()
    scope = world.scope(getattr(world, who))
    with pytest.raises(Http404):
        selectors.access_case_by_scope(scope, case.pk)
    with pytest.raises(Http404):
        services.do_note(scope, case.pk, note="看看")


def test_it_refuses_a_walk_in_case_in_another_community(world, open_case):
    with pytest.raises(NotAllowed):
        services.do_open_case(
            world.scope(world.other_officer),
            services.NewCase(
                dispute_type="family",
                summary="家庭纠纷",
                mediator=world.other_officer,
                mediator_kind="community_police",
                community=world.community_a,
            ),
        )
    with pytest.raises(NotAllowed):
        services.do_open_case(
            world.scope(world.building_head),
            services.NewCase(
                dispute_type="family",
                summary="家庭纠纷",
                mediator=world.building_head,
                mediator_kind="volunteer",
                community=world.community_a,
            ),
        )


def test_it_links_a_new_appeal_by_a_party_or_at_the_address_and_flags_the_case(
    world, agreed_case, new_appeal
):
    case = agreed_case()
    # The same respondent complains again, elsewhere; a stranger at the same building; one far away.
    by_party = new_appeal(
        text="楼下又来吵闹", reporter_phone="+86 138-1111-2222", lat=POINT_IN_B[0], lon=POINT_IN_B[1]
    )
    same_place = new_appeal(text="1号楼又在装修", reporter_phone="13700000000", lat=31.2301, lon=121.4701)
    new_appeal(text="路灯坏了", reporter_phone="13700000001", lat=POINT_IN_B[0], lon=POINT_IN_B[1])
    assert jobs.link_recurrences() == {"recurrences": 2}
    assert jobs.link_recurrences() == {"recurrences": 0}  # nothing new
    case.refresh_from_db()
    assert case.recurrence_flag
    assert dict(case.recurrences.values_list("appeal_id", "reason")) == {
        by_party.pk: "same_party",
        same_place.pk: "same_address",
    }
    assert (
        community_work.recurrence_within_90_days(Slice(date(2020, 1, 1), date(2030, 12, 31)))[
            "recurred_in_90d"
        ]
        == 1
    )


def test_it_counts_the_figures(world, agreed_case, open_case):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)) as traveller:
        case = open_case()
        traveller.shift(timedelta(days=4))
        officer = world.scope(world.grid_officer)
        for party in case.parties.all():
            services.do_record_consent(officer, case.pk, party_id=party.pk, how="签字")
        services.do_record_session(
            officer, case.pk, held_at=timezone.now(), place="调解室", attendees="双方", notes="陈述"
        )
        services.do_draft_agreement(officer, case.pk, text="和解", terms="互相道歉")
        for party in case.parties.all():
            services.do_confirm(officer, case.pk, party_id=party.pk, how="签字")
        services.do_conclude(officer, case.pk)
    failed = open_case(dispute_type="debt")
    services.do_fail(world.scope(world.grid_officer), failed.pk, note="分歧过大")
    open_case(dispute_type="family")
    ever = Slice(date(2020, 1, 1), date(2030, 12, 31))
    types = {t["key"]: t["cases"] for t in community_work.mediation_cases_by_type(ever)}
    assert (types["noise"], types["debt"], types["family"], types["traffic_damage"]) == (1, 1, 1, 0)
    success = community_work.mediation_success_rate(ever)
    assert (success["agreed"], success["failed"], success["success_rate"]) == (1, 1, 0.5)
    days = community_work.days_to_agreement(ever)
    assert days["agreements"] == 1 and round(days["agreement_p50_days"]) == 4
    assert MediationCase.objects.count() == 3
