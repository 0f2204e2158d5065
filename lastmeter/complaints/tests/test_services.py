"""The complaint's workflow and its refusals: filing, acknowledgement, independent review,
evidence, decision with a kept letter, the one further appeal, and the figures."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.http import Http404

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import RoleAssignment
from lastmeter.appeals.models import OutboxMessage
from lastmeter.complaints import selectors, services
from lastmeter.complaints.choices import ComplaintState
from lastmeter.complaints.models import Complaint, ComplaintClock
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.transitions import TransitionError
from lastmeter.stats import community_work
from lastmeter.stats.measures import Slice

pytestmark = pytest.mark.django_db


def _decided(world, new_complaint, kind="revoke"):
    complaint = new_complaint()
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    services.do_add_evidence(
        world.scope(world.legal_reviewer),
        complaint.pk,
        kind="officer_statement",
        description="当事民警陈述：车辆停放超过二十分钟，未见卸货。",
    )
    services.do_decide(
        world.scope(world.legal_reviewer),
        complaint.pk,
        kind=kind,
        reasons="现场照片显示有卸货标志，处罚依据不足，予以撤销。",
    )
    complaint.refresh_from_db()
    return complaint


def test_it_files_a_complaint_with_both_clocks_and_tells_the_complainant(world, new_complaint):
    complaint = new_complaint()
    assert complaint.reference.startswith("TS") and complaint.state == ComplaintState.RECEIVED
    assert complaint.unit == world.community_a  # the officer concerned's unit, for the figures
    kinds = sorted(ComplaintClock.objects.filter(complaint=complaint).values_list("kind", flat=True))
    assert kinds == ["acknowledge", "reply"]
    message = OutboxMessage.objects.get(key__startswith=f"complaint:{complaint.pk}:received")
    assert message.recipient == {"phone": "13912340000"} and complaint.reference in message.body


def test_it_refuses_a_complaint_without_its_subject_or_a_way_to_reply(world, new_complaint):
    with pytest.raises(ServiceError, match=r"罚单编号|ticket number"):
        new_complaint(ticket_number="")
    with pytest.raises(ServiceError):
        new_complaint(complainant_phone="")


def test_it_never_lets_the_officer_concerned_open_the_complaint(world, new_complaint):
    complaint = new_complaint()
    officer = world.scope(world.grid_officer)
    with pytest.raises(Http404):
        selectors.access_complaint_by_scope(officer, complaint.pk)
    assert not selectors.visible_complaints(officer).exists()
    # Not even with the legal office's role or a jurisdiction-wide one.
    RoleAssignment.objects.create(person=world.grid_officer, role=Role.LEADERSHIP, org_unit=world.station)
    with pytest.raises(Http404):
        selectors.access_complaint_by_scope(world.scope(world.grid_officer), complaint.pk)
    with pytest.raises(Http404):
        services.do_note(world.scope(world.grid_officer), complaint.pk, note="我想看看")


@pytest.mark.parametrize("who", ["other_officer", "grid_member", "building_head", "liaison"])
def test_it_hides_complaints_from_roles_outside_the_legal_office(world, new_complaint, who):
    complaint = new_complaint()
    scope = world.scope(getattr(world, who))
    with pytest.raises(Http404):
        selectors.access_complaint_by_scope(scope, complaint.pk)
    with pytest.raises(Http404):
        services.do_acknowledge(scope, complaint.pk)


def test_it_shows_the_contact_details_only_to_the_reviewer_and_the_recorder(world, new_complaint):
    complaint = new_complaint()
    assert selectors.may_see_contact(world.scope(world.dispatcher), complaint)  # took the call
    assert not selectors.may_see_contact(world.scope(world.leader), complaint)
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    complaint.refresh_from_db()
    assert selectors.may_see_contact(world.scope(world.legal_reviewer), complaint)


def test_it_assigns_only_an_independent_legal_reviewer(world, new_complaint, second_reviewer):
    complaint = new_complaint()
    leader = world.scope(world.leader)
    # Not in the legal office at all.
    with pytest.raises(NotAllowed, match=r"法制|legal"):
        services.do_assign(leader, complaint.pk, reviewer=world.other_officer)
    # The station's leader is above the officer: from the same chain, even as a legal reviewer.
    RoleAssignment.objects.create(person=world.leader, role=Role.LEGAL_REVIEWER, org_unit=world.station)
    with pytest.raises(NotAllowed, match=r"指挥链|chain of command"):
        services.do_assign(leader, complaint.pk, reviewer=world.leader)
    # The officer concerned, had they a legal-review role.
    RoleAssignment.objects.create(person=world.grid_officer, role=Role.LEGAL_REVIEWER, org_unit=world.station)
    with pytest.raises(NotAllowed):
        services.do_assign(leader, complaint.pk, reviewer=world.grid_officer)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RECEIVED and complaint.reviewer is None
    assert {p.pk for p in selectors.eligible_reviewers(complaint)} == {
        world.legal_reviewer.pk,
        second_reviewer.pk,
    }
    services.do_assign(leader, complaint.pk, reviewer=world.legal_reviewer)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.IN_REVIEW and complaint.acknowledged_at is not None


def test_it_refuses_the_grid_officer_as_reviewer_of_their_grid_members_complaint(world, new_complaint):
    complaint = new_complaint(officer=world.grid_member)
    RoleAssignment.objects.create(person=world.grid_officer, role=Role.LEGAL_REVIEWER, org_unit=world.station)
    with pytest.raises(NotAllowed, match=r"指挥链|chain of command"):
        services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.grid_officer)
    # An officer of another community is not above the grid member.
    RoleAssignment.objects.create(
        person=world.other_officer, role=Role.LEGAL_REVIEWER, org_unit=world.station
    )
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.other_officer)


def test_it_needs_the_officer_identified_before_assignment(world, new_complaint):
    complaint = new_complaint(officer=None, officer_description="警号 012345")
    with pytest.raises(NotAllowed, match=r"当事民警|officer concerned"):
        services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    services.do_identify_officer(world.scope(world.legal_reviewer), complaint.pk, officer=world.grid_officer)
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)


def test_it_decides_with_a_chinese_letter_that_is_kept_and_sent(world, new_complaint):
    complaint = _decided(world, new_complaint)
    assert complaint.state == ComplaintState.DECIDED
    decision = complaint.decisions.get()
    with decision.letter.open("rb") as f:
        data = f.read()
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        xml = docx.read("word/document.xml").decode()
    assert "投诉答复书" in xml and "钱先生" in xml and "撤销" in xml and "复核申请" in xml
    assert len(decision.letter_sha256) == 64
    reply = OutboxMessage.objects.get(key__startswith=f"complaint:{complaint.pk}:decided")
    assert reply.recipient == {"phone": "13912340000"}
    reply_clock = complaint.clocks.get(kind="reply")
    assert reply_clock.state == "met"
    assert (
        community_work.on_time_reply_rate(Slice(date(2020, 1, 1), date(2030, 12, 31)))["replied_on_time"] == 1
    )


def test_it_lets_only_the_assigned_reviewer_decide(world, new_complaint, second_reviewer):
    complaint = new_complaint()
    services.do_assign(world.scope(world.leader), complaint.pk, reviewer=world.legal_reviewer)
    for person in (second_reviewer, world.leader, world.dispatcher):
        with pytest.raises(NotAllowed):
            services.do_decide(
                world.scope(person), complaint.pk, kind="uphold", reasons="处罚事实清楚，依据充分。"
            )


def test_it_allows_one_further_appeal_to_a_second_reviewer(world, new_complaint, second_reviewer):
    complaint = _decided(world, new_complaint, kind="uphold")
    leader = world.scope(world.leader)
    services.do_appeal(leader, complaint.pk, reason="当事人不服，提供了新的行车记录仪视频。")
    with pytest.raises(NotAllowed, match=r"第一次|first review"):
        services.do_assign(leader, complaint.pk, reviewer=world.legal_reviewer)
    services.do_assign(leader, complaint.pk, reviewer=second_reviewer)
    services.do_decide(
        world.scope(second_reviewer),
        complaint.pk,
        kind="partly",
        reasons="视频显示卸货属实，但停车时间超时，减轻处罚。",
    )
    complaint.refresh_from_db()
    assert complaint.round == 2 and complaint.decisions.count() == 2
    with pytest.raises(NotAllowed):
        services.do_appeal(leader, complaint.pk, reason="还是不服")
    services.do_close(leader, complaint.pk, reason="复核答复已送达")
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.CLOSED
    with pytest.raises(TransitionError):
        services.do_note(leader, complaint.pk, note="补充")


def test_it_counts_the_figures(world, new_complaint, second_reviewer):
    _decided(world, new_complaint, kind="revoke")
    new_complaint(officer=world.other_officer, subject_kind="conduct", ticket_number="")
    new_complaint(officer=world.other_officer, subject_kind="conduct", ticket_number="")
    ever = Slice(date(2020, 1, 1), date(2030, 12, 31))
    per_officer = {r["label"]: r["complaints"] for r in community_work.complaints_per_officer(ever)}
    assert per_officer == {"赵警官": 2, "张警官": 1}
    per_unit = {r["label"]: r["complaints"] for r in community_work.complaints_per_unit(ever)}
    assert per_unit == {"云南中路社区": 2, "福州路社区": 1}
    kinds = {r["key"]: r["decisions"] for r in community_work.decisions_by_kind(ever)}
    assert kinds == {"uphold": 0, "correct": 0, "revoke": 1, "partly": 0}
    assert Complaint.objects.count() == 3
