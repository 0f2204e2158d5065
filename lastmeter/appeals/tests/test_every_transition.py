"""Drive every allowed (from → to) pair of the appeal transition table through the services."""

from __future__ import annotations

import pytest

from lastmeter.appeals import feedback, services, transfers
from lastmeter.appeals.choices import APPEAL_TRANSITIONS, AppealState
from lastmeter.testing.world import POINT_IN_A

S = AppealState
LAT, LON = POINT_IN_A


def _reach(world, new_appeal, state: str):
    """Create an appeal and bring it to `state` by the shortest real path."""
    officer = world.scope(world.grid_officer)
    liaison = world.scope(world.liaison)
    dispatcher = world.scope(world.dispatcher)
    if state in (S.TRANSFERRED, S.ACCEPTED, S.RETURNED):
        appeal = new_appeal(category=world.department_category)
        if state == S.ACCEPTED:
            transfers.do_accept_transfer(liaison, appeal.pk)
        if state == S.RETURNED:
            transfers.do_return_transfer(liaison, appeal.pk, reason="不属于本部门")
        return appeal
    appeal = new_appeal()
    paths: dict[str, list[str]] = {
        S.RECEIVED: [],
        S.ACKNOWLEDGED: ["ack"],
        S.CONTACTED: ["ack", "contact"],
        S.LANDED: ["ack", "land"],
        S.RESOLVED: ["ack", "land", "resolve"],
        S.CLOSED: ["close"],
        S.REOPENED: ["close", "reopen"],
        S.MERGED: ["merge"],
    }
    for step in paths[state]:
        if step == "ack":
            services.do_acknowledge(officer, appeal.pk)
        elif step == "contact":
            services.do_contact(officer, appeal.pk)
        elif step == "land":
            services.do_land(officer, appeal.pk, lat=LAT, lon=LON)
        elif step == "resolve":
            services.do_resolve(officer, appeal.pk, resolution="已处理")
        elif step == "close":
            services.do_close(dispatcher, appeal.pk, reason="测试")
        elif step == "reopen":
            services.do_reopen(dispatcher, appeal.pk, reason="再次反映")
        elif step == "merge":
            services.do_merge(dispatcher, appeal.pk, into_id=new_appeal().pk)
    return appeal


@pytest.fixture(autouse=True)
def _codes_without_waiting(settings):
    # A path may contest and then rate within a minute: the reporter's wait between codes is not
    # what these tests are about.
    settings.LASTMETER_FEEDBACK_CODE_INTERVAL_S = 0


def _perform(world, new_appeal, appeal, target: str) -> None:
    dispatcher = world.scope(world.dispatcher)
    liaison = world.scope(world.liaison)
    if target == S.ACKNOWLEDGED:
        services.do_acknowledge(dispatcher, appeal.pk)
    elif target == S.CONTACTED:
        services.do_contact(dispatcher, appeal.pk)
    elif target == S.LANDED:
        services.do_land(world.scope(world.grid_officer), appeal.pk, lat=LAT, lon=LON)
    elif target == S.RESOLVED and appeal.state == S.ACCEPTED:
        transfers.do_complete_transfer(liaison, appeal.pk, outcome="已处理")
    elif target == S.RESOLVED:
        services.do_resolve(dispatcher, appeal.pk, resolution="已处理")
    elif target == S.CLOSED and appeal.state == S.RESOLVED:
        code = feedback.issue_feedback_code(appeal.tracking_token).code
        services.do_rate(appeal.tracking_token, code=code, score=4)
    elif target == S.CLOSED:
        services.do_close(dispatcher, appeal.pk, reason="无效")
    elif target == S.REOPENED and appeal.state == S.RESOLVED:
        code = feedback.issue_feedback_code(appeal.tracking_token).code
        services.do_contest(appeal.tracking_token, code=code, reason="没解决")
    elif target == S.REOPENED:
        services.do_reopen(dispatcher, appeal.pk, reason="再次反映")
    elif target == S.TRANSFERRED:
        transfers.do_transfer(dispatcher, appeal.pk, department=world.other_department)
    elif target == S.ACCEPTED:
        transfers.do_accept_transfer(liaison, appeal.pk)
    elif target == S.RETURNED:
        transfers.do_return_transfer(liaison, appeal.pk, reason="不属于本部门")
    elif target == S.MERGED:
        services.do_merge(dispatcher, appeal.pk, into_id=new_appeal().pk)
    else:  # pragma: no cover - the table gained a state this test does not know
        raise AssertionError(f"no service performs → {target}")


PAIRS = sorted((src, dst) for src, targets in APPEAL_TRANSITIONS.items() for dst in targets)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_it_performs_every_allowed_transition(world, new_appeal, source, target):
    appeal = _reach(world, new_appeal, source)
    appeal.refresh_from_db()
    assert appeal.state == source
    _perform(world, new_appeal, appeal, target)
    appeal.refresh_from_db()
    assert appeal.state == target
    last = appeal.events.filter(kind="state").order_by("-id").first()
    assert (last.from_state, last.to_state) == (source, target)


def test_it_covers_every_state():
    assert {s for pair in PAIRS for s in pair} | {S.MERGED} == set(S.values)
