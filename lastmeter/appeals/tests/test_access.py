"""Scoping: who sees and may act on which appeal. Refusals are 404 for reads."""

from __future__ import annotations

import pytest
from django.http import Http404

from lastmeter.appeals import services
from lastmeter.appeals.selectors import (
    access_appeal_by_scope,
    access_appeal_by_token,
    available_actions,
    visible_appeals,
)
from lastmeter.testing.world import POINT_IN_B


def test_it_shows_an_officer_only_their_grids(world, new_appeal):
    mine = new_appeal()
    theirs = new_appeal(lat=POINT_IN_B[0], lon=POINT_IN_B[1])
    officer = world.scope(world.grid_officer)
    assert list(visible_appeals(officer)) == [mine]
    with pytest.raises(Http404):
        access_appeal_by_scope(officer, theirs.pk)
    assert set(visible_appeals(world.scope(world.dispatcher))) == {mine, theirs}
    assert set(visible_appeals(world.scope(world.leader))) == {mine, theirs}


def test_it_refuses_an_officer_of_another_grid_every_action(world, new_appeal):
    appeal = new_appeal()
    other = world.scope(world.other_officer)
    assert available_actions(other, appeal) == []
    for call in (
        lambda: services.do_acknowledge(other, appeal.pk),
        lambda: services.do_resolve(other, appeal.pk, resolution="x"),
        lambda: services.do_pause(other, appeal.pk, reason="x"),
    ):
        with pytest.raises(services.NotAllowed):
            call()


def test_it_lets_grid_members_see_their_grid(world, new_appeal):
    appeal = new_appeal()
    member = world.scope(world.grid_member)
    assert access_appeal_by_scope(member, appeal.pk) == appeal
    assert "acknowledge" in available_actions(member, appeal)


def test_it_gives_a_resident_only_the_token(world, new_appeal):
    appeal = new_appeal()
    assert access_appeal_by_token(appeal.tracking_token) == appeal
    for bad in ("", "x" * 100, appeal.tracking_token[:-1] + "?"):
        with pytest.raises(Http404):
            access_appeal_by_token(bad)


def test_it_gives_a_legal_reviewer_no_appeals(world, new_appeal):
    new_appeal()
    assert not visible_appeals(world.scope(world.legal_reviewer)).exists()
