"""Staff actions ask for what they need: reasons, a confirmation, a person by name, and every
refusal says in Chinese why and what to do (issue 11 §2)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from lastmeter.accounts.auth import issue_token
from lastmeter.appeals import services, transfers
from lastmeter.appeals.actions import run_action
from lastmeter.appeals.choices import AppealState
from lastmeter.appeals.locking import lock_appeal, move_state
from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.schemas import ActionIn
from lastmeter.appeals.selectors import assignable_people
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.transitions import TransitionError
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B


@pytest.fixture
def api_client(world):
    def client_for(person):
        return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")

    return client_for


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- reasons and confirmation ------------------------------------------------------------------


def test_it_requires_a_reason_to_close_pause_and_return(world, new_appeal):
    dispatcher, officer = world.scope(world.dispatcher), world.scope(world.grid_officer)
    appeal = new_appeal()
    with pytest.raises(ServiceError, match="请填写理由后再「关闭诉求」"):
        services.do_close(dispatcher, appeal.pk, reason="  ")
    with pytest.raises(ServiceError, match="请填写理由后再「暂停计时」"):
        services.do_pause(officer, appeal.pk, reason="")
    transferred = new_appeal(category=world.department_category)
    with pytest.raises(ServiceError, match="请说明退回理由"):
        transfers.do_return_transfer(world.scope(world.liaison), transferred.pk, reason=" ")
    appeal.refresh_from_db()
    transferred.refresh_from_db()
    assert appeal.state == AppealState.RECEIVED and not appeal.waiting_for_reporter
    assert transferred.state == AppealState.TRANSFERRED


def test_it_asks_the_dispatcher_to_give_a_reason_and_confirm_before_closing(world, new_appeal):
    appeal = new_appeal()
    c = login("dispatcher")
    page = c.get(f"/appeals/{appeal.pk}/").content.decode()
    assert 'name="confirm"' in page and "我确认：关闭此诉求并通知诉求人" in page
    r = c.post(f"/appeals/{appeal.pk}/act/close/", {"confirm": "1"}, follow=True)
    assert "请填写理由后再「关闭诉求」，理由会记入办理记录。" in page_messages(r)
    r = c.post(f"/appeals/{appeal.pk}/act/close/", {"reason": "诉求人已撤回"}, follow=True)
    assert "请勾选确认后再「关闭诉求」，系统会通知诉求人。" in page_messages(r)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RECEIVED
    assert not OutboxMessage.objects.filter(key__contains=":closed:").exists()
    r = c.post(f"/appeals/{appeal.pk}/act/close/", {"reason": "诉求人已撤回", "confirm": "1"}, follow=True)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.CLOSED
    assert any("已完成「关闭诉求」" in m for m in page_messages(r))
    assert appeal.events.filter(to_state=AppealState.CLOSED, note="诉求人已撤回").exists()


def test_it_tells_the_reporter_of_a_closed_appeal_on_their_channel_with_the_tracking_link(
    world, new_appeal, settings
):
    settings.LASTMETER_PUBLIC_BASE_URL = "https://lastmeter.example.cn/"
    appeal = new_appeal()
    services.do_close(world.scope(world.dispatcher), appeal.pk, reason="已由物业处理完毕")
    message = OutboxMessage.objects.get(appeal=appeal, key__contains=":closed:")
    assert message.transport == "sms" and message.recipient == {"phone": "13912345678"}
    assert "已办结：已由物业处理完毕" in message.body
    assert f"https://lastmeter.example.cn/t/{appeal.tracking_token}/" in message.body


def test_it_requires_a_reason_to_pause_on_the_page(world, new_appeal):
    appeal = new_appeal()
    r = login("officer_a").post(f"/appeals/{appeal.pk}/act/pause/", {}, follow=True)
    assert "请填写理由后再「暂停计时」，理由会记入办理记录。" in page_messages(r)
    appeal.refresh_from_db()
    assert not appeal.waiting_for_reporter


# --- assigning by name -------------------------------------------------------------------------


def test_it_offers_the_people_in_the_viewers_scope_by_name_grid_and_role(world):
    dispatcher, officer = world.scope(world.dispatcher), world.scope(world.grid_officer)
    everyone = set(assignable_people(dispatcher))
    assert everyone == {world.grid_officer, world.other_officer, world.grid_member}
    assert set(assignable_people(officer)) == {world.grid_officer, world.grid_member}
    assert list(assignable_people(dispatcher, "陈")) == [world.grid_member]
    assert list(assignable_people(dispatcher, "B网格")) == [world.other_officer]
    assert list(assignable_people(dispatcher, role="grid_member")) == [world.grid_member]
    assert set(assignable_people(dispatcher, grid_id=world.grid_a.pk)) == {
        world.grid_officer,
        world.grid_member,
    }
    # Nobody may assign without a role that assigns.
    assert not assignable_people(world.scope(world.grid_member)).exists()
    assert not assignable_people(world.scope(world.liaison)).exists()


def test_it_assigns_by_name_and_refuses_an_officer_of_another_grid(world, new_appeal):
    appeal = new_appeal()
    c = login("officer_a")
    page = c.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "辅警陈 · 网格员（辅警） · A网格" in page and "赵警官" not in page
    assert "Person id" not in page and 'placeholder="人员 ID"' not in page
    narrowed = c.get(f"/appeals/{appeal.pk}/?who=陈").content.decode()
    assert "辅警陈" in narrowed and "张警官 · " not in narrowed

    c.post(f"/appeals/{appeal.pk}/act/assign/", {"person": world.grid_member.pk})
    appeal.refresh_from_db()
    assert appeal.assignee == world.grid_member

    r = c.post(f"/appeals/{appeal.pk}/act/assign/", {"person": world.other_officer.pk}, follow=True)
    appeal.refresh_from_db()
    assert appeal.assignee == world.grid_member
    assert any("赵警官 不在你可以指派的人员范围内" in m for m in page_messages(r))
    with pytest.raises(NotAllowed, match="不在你可以指派的人员范围内"):
        services.do_assign(world.scope(world.grid_officer), appeal.pk, person=world.other_officer)

    r = c.post(f"/appeals/{appeal.pk}/act/assign/", {"person": "abc"}, follow=True)
    assert "请从列表中选择要指派的人员（可按姓名、网格或角色搜索）。" in page_messages(r)


def test_it_answers_the_pickers_search_as_the_viewer(world, new_appeal):
    appeal = new_appeal()
    officer = Client()
    officer.force_login(world.grid_officer.user)
    r = officer.get(f"/api/v1/appeals/{appeal.pk}/assignable", {"q": "陈"})
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": world.grid_member.pk,
            "name": "辅警陈",
            "roles": ["网格员（辅警）"],
            "grids": ["A网格"],
            "units": [],
        }
    ]
    names = [p["name"] for p in officer.get(f"/api/v1/appeals/{appeal.pk}/assignable").json()]
    assert names == ["张警官", "辅警陈"]
    stranger = Client()
    stranger.force_login(world.other_officer.user)
    assert stranger.get(f"/api/v1/appeals/{appeal.pk}/assignable").status_code == 404
    member = Client()
    member.force_login(world.grid_member.user)
    r = member.get(f"/api/v1/appeals/{appeal.pk}/assignable")
    assert r.status_code == 403 and "只有调度员或负责该网格的社区民警可以指派" in r.json()["detail"]


# --- refusals in words -------------------------------------------------------------------------


def test_it_says_what_state_the_appeal_is_in_and_what_to_do_first(world, new_appeal, api_client):
    appeal = new_appeal()
    c = api_client(world.grid_officer)
    r = c.post(
        f"/api/v1/appeals/{appeal.pk}/actions/land",
        {"lat": POINT_IN_A[0], "lon": POINT_IN_A[1]},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert r.json()["detail"] == "此诉求当前状态为「已接收」，不能直接「确认到场」。请先「受理」。"
    r = c.post(f"/api/v1/appeals/{appeal.pk}/actions/close", {"reason": "x"}, content_type="application/json")
    assert r.status_code == 403
    assert "只有调度员、所领导或管理员可以办理，请联系调度员。" in r.json()["detail"]


def test_it_turns_a_refused_transition_into_a_sentence(world, new_appeal):
    appeal = new_appeal()
    with transaction.atomic(), pytest.raises(TransitionError) as refused:
        move_state(lock_appeal(appeal.pk), AppealState.LANDED, None)
    assert str(refused.value) == "此诉求当前状态为「已接收」，不能直接变为「已到场」。请先「受理」。"


def test_it_merges_by_reference_and_explains_refused_merges(world, new_appeal):
    dispatcher = world.scope(world.dispatcher)
    first, second, third = new_appeal(), new_appeal(text="同一辆车又停在那里"), new_appeal(text="第三次")
    c = login("dispatcher")
    r = c.post(f"/appeals/{second.pk}/act/merge/", {"into": first.reference}, follow=True)
    second.refresh_from_db()
    assert second.state == AppealState.MERGED and second.merged_into == first
    r = c.post(f"/appeals/{third.pk}/act/merge/", {"into": second.reference}, follow=True)
    assert (
        f"诉求 {second.reference} 已合并到 {first.reference}，请改为合并到 {first.reference}。"
        in page_messages(r)
    )
    r = c.post(f"/appeals/{third.pk}/act/merge/", {"into": "LM00000000999999"}, follow=True)
    assert any("没有找到你可查看的诉求 LM00000000999999" in m for m in page_messages(r))
    # Another grid's appeal is as unknown to the grid officer as a missing one.
    elsewhere = new_appeal(lat=POINT_IN_B[0], lon=POINT_IN_B[1], text="云南中路噪音")
    for into in (ActionIn(into=elsewhere.pk), ActionIn(into_reference=elsewhere.reference)):
        with pytest.raises(ServiceError, match="没有找到你可查看的诉求"):
            run_action(world.scope(world.grid_officer), third.pk, "merge", into)
    with pytest.raises(ServiceError, match="诉求不能合并到自身"):
        services.do_merge(dispatcher, third.pk, into_id=third.pk)
    with pytest.raises(ServiceError) as finished:
        services.do_acknowledge(dispatcher, second.pk)
    assert f"请到合并后的诉求 {first.reference} 办理。" in str(finished.value)


def test_it_explains_a_refused_transfer(world, new_appeal):
    appeal = new_appeal()
    c = login("dispatcher")
    r = c.post(f"/appeals/{appeal.pk}/act/transfer/", {"department": "no-such-dept"}, follow=True)
    assert "请从列表中选择要转办的部门（没有「no-such-dept」这个部门）。" in page_messages(r)
    transferred = new_appeal(category=world.department_category)
    r = login("liaison").post(
        f"/appeals/{transferred.pk}/act/complete_transfer/", {"outcome": "x"}, follow=True
    )
    assert "请先签收转办，再反馈办理结果。" in page_messages(r)
    other_grid = new_appeal(lat=POINT_IN_B[0], lon=POINT_IN_B[1])
    with pytest.raises(NotAllowed, match="只有负责该网格的民警、被指派人或调度员可以办理"):
        # Visible to the officer as assignee only after assignment; here the service is called
        # directly, as a chat bot would, and refuses with the reason.
        services.do_acknowledge(world.scope(world.grid_officer), other_grid.pk)
