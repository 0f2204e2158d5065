"""The appeal state machine: every allowed transition works, every other one is refused."""

from __future__ import annotations

import pytest
from django.utils import translation

from lastmeter.appeals import feedback, services
from lastmeter.appeals.choices import APPEAL_TRANSITIONS, AppealState, ClockKind, ClockState
from lastmeter.appeals.models import Appeal, AppealEvent, LandingProof
from lastmeter.lib.transitions import TransitionError
from lastmeter.testing.world import POINT_IN_A

S = AppealState


def test_it_routes_a_located_appeal_to_its_grid_and_officer(world, new_appeal):
    appeal = new_appeal()
    assert appeal.grid == world.grid_a
    assert appeal.assignee == world.grid_officer
    assert appeal.state == S.RECEIVED
    assert appeal.reference.startswith("LM")
    kinds = sorted(appeal.clocks.values_list("kind", flat=True))
    assert kinds == [ClockKind.CONTACT, ClockKind.LAND]


def test_it_walks_the_happy_path_with_a_timeline(world, new_appeal):
    appeal = new_appeal()
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, appeal.pk)
    services.do_contact(officer, appeal.pk, note="电话联系了报警人")
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0] + 0.0005, lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="车辆已挪走")
    appeal.refresh_from_db()
    assert appeal.state == S.RESOLVED
    states = list(appeal.events.filter(kind="state").values_list("to_state", flat=True))
    assert states == [S.ACKNOWLEDGED, S.CONTACTED, S.LANDED, S.RESOLVED]
    assert {c.kind: c.state for c in appeal.clocks.all()} == {
        ClockKind.CONTACT: ClockState.MET,
        ClockKind.LAND: ClockState.MET,
    }
    proof = LandingProof.objects.get(appeal=appeal)
    assert 50 < proof.distance_m < 60  # 0.0005° of latitude ≈ 55.6 m
    assert appeal.next_deadline_at is None


def test_it_refuses_landing_far_from_the_appeal(world, new_appeal):
    appeal = new_appeal()
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, appeal.pk)
    with pytest.raises(services.TooFarToLand, match="约 1112 米，需在 300 米内") as refused:
        services.do_land(officer, appeal.pk, lat=POINT_IN_A[0] + 0.01, lon=POINT_IN_A[1])
    assert round(refused.value.distance_m) == 1112 and refused.value.radius_m == 300
    with (
        translation.override("en"),
        pytest.raises(services.ServiceError, match=r"about 1112 m .* within 300 m"),
    ):
        services.do_land(officer, appeal.pk, lat=POINT_IN_A[0] + 0.01, lon=POINT_IN_A[1])
    with pytest.raises(services.ServiceError, match="position"):
        services.do_land(officer, appeal.pk, lat=None, lon=None)
    appeal.refresh_from_db()
    assert appeal.state == S.ACKNOWLEDGED
    assert not LandingProof.objects.exists()


@pytest.mark.parametrize("current", list(APPEAL_TRANSITIONS))
def test_it_refuses_every_transition_not_in_the_table(current):
    for target in S.values:
        allowed = target in APPEAL_TRANSITIONS[current]
        if allowed:
            continue
        from lastmeter.lib.transitions import check_transition

        with pytest.raises(TransitionError):
            check_transition(APPEAL_TRANSITIONS, current, target, "appeal")


def test_it_refuses_resolving_an_appeal_that_was_only_received(world, new_appeal):
    appeal = new_appeal()
    with pytest.raises(services.NotAllowed):
        services.do_resolve(world.scope(world.dispatcher), appeal.pk, resolution="x")
    appeal.refresh_from_db()
    assert appeal.state == S.RECEIVED


def test_it_reopens_when_the_reporter_contests(world, new_appeal, settings):
    settings.LASTMETER_FEEDBACK_CODE_INTERVAL_S = 0
    appeal = new_appeal()
    officer = world.scope(world.grid_officer)
    services.do_acknowledge(officer, appeal.pk)
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="已劝离")
    code = feedback.issue_feedback_code(appeal.tracking_token).code
    services.do_contest(appeal.tracking_token, code=code, reason="车又停回来了")
    appeal.refresh_from_db()
    assert appeal.state == S.REOPENED
    assert appeal.clocks.filter(kind=ClockKind.LAND, state=ClockState.RUNNING).count() == 1
    assert appeal.ratings.get().contested is True
    # From reopened the officer lands again and resolves again.
    services.do_land(officer, appeal.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    services.do_resolve(officer, appeal.pk, resolution="已拖离")
    code = feedback.issue_feedback_code(appeal.tracking_token).code
    rating = services.do_rate(appeal.tracking_token, code=code, score=5, comment="满意")
    appeal.refresh_from_db()
    assert appeal.state == S.CLOSED and rating.score == 5


def test_it_lets_staff_reopen_a_closed_appeal(world, new_appeal):
    appeal = new_appeal()
    dispatcher = world.scope(world.dispatcher)
    services.do_close(dispatcher, appeal.pk, reason="重复的测试数据")
    services.do_reopen(dispatcher, appeal.pk, reason="报警人再次来电")
    appeal.refresh_from_db()
    assert appeal.state == S.REOPENED


def test_it_refuses_a_bad_rating(world, new_appeal):
    appeal = new_appeal()
    with translation.override("en"):
        with pytest.raises(services.ServiceError, match="resolved"):
            services.do_rate(appeal.tracking_token, code="", score=4)
        with pytest.raises(services.ServiceError, match="1 to 5"):
            services.do_rate(appeal.tracking_token, code="", score=9)


def test_it_merges_a_duplicate_and_subscribes_its_reporter(world, new_appeal):
    first = new_appeal()
    second = new_appeal(reporter_name="王先生", reporter_phone="13700001111")
    services.do_merge(world.scope(world.grid_officer), second.pk, into_id=first.pk)
    second.refresh_from_db()
    assert second.state == S.MERGED and second.merged_into == first
    assert first.subscriptions.get().phone == "13700001111"
    assert not second.clocks.filter(state=ClockState.RUNNING).exists()
    with pytest.raises(services.ServiceError):
        services.do_merge(world.scope(world.grid_officer), first.pk, into_id=first.pk)
    # A merged appeal is terminal.
    with pytest.raises(services.ServiceError):
        services.do_acknowledge(world.scope(world.dispatcher), second.pk)


def test_it_pauses_and_resumes_clocks_while_waiting_for_the_reporter(world, new_appeal, settings):
    import time_machine

    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as traveller:
        appeal = new_appeal()
        officer = world.scope(world.grid_officer)
        services.do_acknowledge(officer, appeal.pk)
        land = appeal.clocks.get(kind=ClockKind.LAND)
        traveller.shift(3600)
        services.do_pause(officer, appeal.pk, reason="报警人出差，明天回来")
        land.refresh_from_db()
        assert land.state == ClockState.PAUSED and land.remaining_s == pytest.approx(23 * 3600)
        traveller.shift(10 * 3600)
        services.do_resume(officer, appeal.pk)
        land.refresh_from_db()
        assert land.state == ClockState.RUNNING
        # 10 paused hours were given back: due 24 h + 10 h after start.
        assert (land.due_at - land.started_at).total_seconds() == pytest.approx(34 * 3600)


def test_it_records_who_acted_through_which_channel(world, new_appeal):
    appeal = new_appeal(channel="hotline")
    created = AppealEvent.objects.get(appeal=appeal, kind="created")
    assert created.channel == "hotline" and created.actor_label == "reporter"
    assert Appeal.objects.filter(pk=appeal.pk, assignee=world.grid_officer).exists()


def test_it_validates_new_appeals(world):
    with pytest.raises(services.ServiceError, match="诉求内容为空"):
        services.do_create_appeal(services.NewAppeal(channel="web", text="   "))
    with pytest.raises(services.ServiceError, match="latitude"):
        services.do_create_appeal(services.NewAppeal(channel="web", text="x", lat=123.0, lon=1.0))
    with pytest.raises(services.ServiceError, match="both"):
        services.do_create_appeal(services.NewAppeal(channel="web", text="x", lat=31.0))
    with pytest.raises(services.ServiceError, match="未知渠道「pigeon」"):
        services.do_create_appeal(services.NewAppeal(channel="pigeon", text="x"))
    assert not Appeal.objects.exists()


def test_it_keeps_an_unlocated_appeal_unassigned(world):
    appeal = services.do_create_appeal(services.NewAppeal(channel="hotline", text="有人在小区里发诈骗传单"))
    assert appeal.grid is None and appeal.assignee is None
    services.do_acknowledge(world.scope(world.dispatcher), appeal.pk)
    appeal.refresh_from_db()
    assert appeal.assignee == world.dispatcher
