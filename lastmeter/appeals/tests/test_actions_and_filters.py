"""The layer the API and the pages share: the queue filter by scope, and run_action."""

from __future__ import annotations

import pytest
from django.http import Http404

from lastmeter.appeals.actions import ACTIONS, run_action
from lastmeter.appeals.choices import AppealState
from lastmeter.appeals.filters import QueueFilter, filtered_queue
from lastmeter.appeals.forms import ActionForm, QueueFilterForm
from lastmeter.appeals.schemas import ActionIn
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.testing.world import POINT_IN_B


def test_it_filters_the_queue_within_the_viewers_scope(world, new_appeal):
    mine = new_appeal()
    theirs = new_appeal(lat=POINT_IN_B[0], lon=POINT_IN_B[1], text="云南中路噪音")
    officer, dispatcher = world.scope(world.grid_officer), world.scope(world.dispatcher)
    assert list(filtered_queue(officer, QueueFilter())) == [mine]
    assert set(filtered_queue(dispatcher, QueueFilter(open=True))) == {mine, theirs}
    assert list(filtered_queue(dispatcher, QueueFilter(state=AppealState.CLOSED))) == []
    assert list(filtered_queue(dispatcher, QueueFilter(grid=world.grid_a.pk))) == [mine]


def test_it_acts_as_the_viewer_and_returns_the_appeal_afterwards(world, new_appeal):
    appeal = new_appeal()
    officer = world.scope(world.grid_officer)
    after = run_action(officer, appeal.pk, "acknowledge", ActionIn(note="on my way"))
    assert after.pk == appeal.pk and after.state == AppealState.ACKNOWLEDGED
    with pytest.raises(NotAllowed):
        run_action(officer, appeal.pk, "close", ActionIn())  # staff only


def test_it_answers_404_before_looking_at_the_action(world, new_appeal):
    appeal = new_appeal()
    with pytest.raises(Http404):
        run_action(world.scope(world.other_officer), appeal.pk, "no-such-action", ActionIn())
    with pytest.raises(ServiceError, match="未知操作「no-such-action」"):
        run_action(world.scope(world.dispatcher), appeal.pk, "no-such-action", ActionIn())
    assert "acknowledge" in ACTIONS and "complete_transfer" in ACTIONS


def test_its_page_forms_treat_a_value_that_does_not_parse_as_not_given():
    f = QueueFilterForm({"state": "received", "grid": "abc", "overdue": "1", "open": "yes"}).queue_filter()
    assert (f.state, f.grid, f.overdue, f.open) == ("received", None, True, None)
    data = ActionForm(
        {"note": " as typed ", "lat": "abc", "lon": "121.5", "into": "-3", "department": ""}
    ).action_in()
    assert (data.note, data.lat, data.lon, data.into, data.department) == (
        " as typed ",
        None,
        121.5,
        None,
        None,
    )
