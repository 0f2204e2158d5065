"""Every unit, incident and SOS transition through the public services, and every refusal.

The expected tables are written out here independently of choices.py, so an accidental edit of a
table fails a test.
"""

from __future__ import annotations

import itertools

import pytest

from lastmeter.dispatching import services
from lastmeter.dispatching.choices import (
    INCIDENT_TRANSITIONS,
    SOS_TRANSITIONS,
    UNIT_TRANSITIONS,
    IncidentStatus,
    UnitStatus,
)
from lastmeter.dispatching.models import Unit
from lastmeter.dispatching.tests.conftest import NODES, SCENE, make_unit

UNIT_EXPECTED = {
    "available": {"dispatched", "off_duty"},
    "dispatched": {"en_route", "on_scene", "available"},
    "en_route": {"on_scene", "available"},
    "on_scene": {"returning", "available"},
    "returning": {"available", "dispatched", "off_duty"},
    "off_duty": {"available"},
}
INCIDENT_EXPECTED = {
    "open": {"dispatched", "closed"},
    "dispatched": {"on_scene", "open", "closed"},
    "on_scene": {"closed"},
    "closed": set(),
}
SOS_EXPECTED = {"raised": {"acknowledged", "resolved"}, "acknowledged": {"resolved"}, "resolved": set()}


def test_it_keeps_the_tables_as_specified():
    assert {k: set(v) for k, v in UNIT_TRANSITIONS.items()} == UNIT_EXPECTED
    assert {k: set(v) for k, v in INCIDENT_TRANSITIONS.items()} == INCIDENT_EXPECTED
    assert {k: set(v) for k, v in SOS_TRANSITIONS.items()} == SOS_EXPECTED


def _incident(actor, pos=SCENE):
    return services.do_create_incident(title="t", lat=pos[0], lon=pos[1], actor=actor)


def _unit_in(status, world) -> Unit:
    """A unit brought into ``status`` through the services."""
    unit = make_unit("U1", "police", "patrol_car", NODES["B"], world.grid_officer)
    d = world.dispatcher
    if status == "off_duty":
        services.do_set_unit_status(unit, "off_duty", d)
    if status in ("dispatched", "en_route", "on_scene", "returning"):
        services.do_dispatch(_incident(d), [unit.pk], d)
    if status == "en_route":
        services.do_mark_en_route(unit, d)
    if status in ("on_scene", "returning"):
        services.do_mark_arrived(unit, d)
    if status == "returning":
        services.do_clear(unit, d)
    unit.refresh_from_db()
    assert unit.status == status
    return unit


@pytest.mark.parametrize(("current", "target"), list(itertools.product(UnitStatus.values, UnitStatus.values)))
def test_it_allows_exactly_the_unit_transitions_of_the_table(world, current, target):
    unit = _unit_in(current, world)
    allowed = target in UNIT_EXPECTED[current]

    def attempt():
        if target == "dispatched":
            services.do_dispatch(_incident(world.dispatcher, NODES["A"]), [unit.pk], world.dispatcher)
        else:
            services.do_set_unit_status(unit, target, world.dispatcher)

    if allowed:
        attempt()
        unit.refresh_from_db()
        assert unit.status == target
    else:
        # a refused table transition (409), or "this unit has no assignment" for en route / on scene
        with pytest.raises((services.TransitionError, services.ServiceError)):
            attempt()
        unit.refresh_from_db()
        assert unit.status == current


def test_it_walks_an_incident_through_open_dispatched_on_scene_closed(world, fleet):
    d = world.dispatcher
    inc = _incident(d)
    assert inc.status == "open"
    services.do_dispatch(inc, [fleet.p1.pk, fleet.p2.pk], d)
    inc.refresh_from_db()
    assert inc.status == "dispatched"
    services.do_mark_arrived(fleet.p1, d)
    inc.refresh_from_db()
    assert inc.status == "on_scene"
    services.do_clear(fleet.p1, d)  # one unit leaves, another is still assigned: stays on scene
    inc.refresh_from_db()
    assert inc.status == "on_scene"
    services.do_close_incident(inc, d)
    inc.refresh_from_db()
    assert inc.status == "closed" and inc.closed_at is not None
    assert Unit.objects.get(pk=fleet.p2.pk).status == "available"  # recalled on close, never arrived
    assert Unit.objects.get(pk=fleet.p1.pk).status == "returning"


def test_it_reopens_a_dispatched_incident_when_every_unit_is_recalled(world, fleet):
    d = world.dispatcher
    inc = _incident(d)
    services.do_dispatch(inc, [fleet.p1.pk], d)
    services.do_clear(fleet.p1, d)
    inc.refresh_from_db()
    assert inc.status == "open"
    assert Unit.objects.get(pk=fleet.p1.pk).status == "available"
    services.do_close_incident(inc, d)  # open → closed
    inc.refresh_from_db()
    assert inc.status == "closed"


def test_it_refuses_to_touch_a_closed_incident(world, fleet):
    d = world.dispatcher
    inc = _incident(d)
    services.do_close_incident(inc, d)
    with pytest.raises(services.TransitionError):
        services.do_dispatch(inc, [fleet.p1.pk], d)
    with pytest.raises(services.TransitionError):
        services.do_close_incident(inc, d)
    with pytest.raises(services.ServiceError):
        services.do_open_command_group(inc, d)
    assert Unit.objects.get(pk=fleet.p1.pk).status == "available"


def test_it_sends_reinforcements_without_moving_an_incident_backwards(world, fleet):
    d = world.dispatcher
    inc = _incident(d)
    services.do_dispatch(inc, [fleet.p1.pk], d)
    services.do_mark_arrived(fleet.p1, d)
    services.do_dispatch(inc, [fleet.p2.pk], d)
    inc.refresh_from_db()
    assert inc.status == IncidentStatus.ON_SCENE


def test_it_dispatches_all_or_nothing(world, fleet):
    d = world.dispatcher
    services.do_set_unit_status(fleet.f1, "off_duty", d)
    inc = _incident(d)
    with pytest.raises(services.TransitionError):
        services.do_dispatch(inc, [fleet.p1.pk, fleet.f1.pk], d)
    inc.refresh_from_db()
    assert inc.status == "open" and not inc.assignments.exists()
    assert Unit.objects.get(pk=fleet.p1.pk).status == "available"
    with pytest.raises(services.ServiceError):
        services.do_dispatch(inc, [fleet.p1.pk, 999999], d)
    with pytest.raises(services.ServiceError):
        services.do_dispatch(inc, [], d)


def test_it_walks_sos_alarms_through_their_table(world):
    officer, d = world.grid_officer, world.dispatcher
    a = services.do_raise_sos(officer, *SCENE, actor=officer)
    services.do_ack_sos(a, d)
    with pytest.raises(services.TransitionError):
        services.do_ack_sos(a, d)
    services.do_resolve_sos(a, officer)
    with pytest.raises(services.TransitionError):
        services.do_resolve_sos(a, d)
    b = services.do_raise_sos(officer, *SCENE, actor=officer)  # a new alarm after the last was resolved
    assert b.pk != a.pk
    services.do_resolve_sos(b, d)  # raised → resolved directly
    b.refresh_from_db()
    assert b.status == "resolved"


def test_it_lets_only_staff_dispatch_and_only_the_crew_or_staff_move_a_unit(world, fleet):
    inc = _incident(world.dispatcher)
    with pytest.raises(services.NotAllowed):
        services.do_dispatch(inc, [fleet.p1.pk], world.grid_officer)
    services.do_dispatch(inc, [fleet.p1.pk, fleet.p2.pk], world.leader)
    with pytest.raises(services.NotAllowed):
        services.do_mark_en_route(fleet.p1, world.other_officer)  # not their unit
    services.do_mark_en_route(fleet.p1, world.grid_officer)
    with pytest.raises(services.NotAllowed):
        services.do_set_unit_status(fleet.p2, "on_scene", world.grid_officer)
    with pytest.raises(services.NotAllowed):
        services.do_close_incident(inc, world.grid_officer)
    with pytest.raises(services.NotAllowed):
        services.do_create_incident(title="x", lat=SCENE[0], lon=SCENE[1], actor=world.grid_officer)
