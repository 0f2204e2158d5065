"""Enumerations and the transition tables of units, incidents and SOS alarms.

Every status write in lastmeter.dispatching goes through ``check_transition`` with one of these
tables (the same helper as appeals, so the API maps a refused transition to HTTP 409).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lastmeter.lib.transitions import TransitionError, check_transition

__all__ = [
    "INCIDENT_TRANSITIONS",
    "PREFERRED_AGENCIES",
    "SOS_TRANSITIONS",
    "UNIT_TRANSITIONS",
    "Agency",
    "IncidentStatus",
    "IncidentType",
    "MessageKind",
    "SosStatus",
    "TransitionError",
    "UnitStatus",
    "UnitType",
    "check_move",
    "check_transition",
]


class Agency(models.TextChoices):
    POLICE = "police", _("Police")
    TRAFFIC_POLICE = "traffic_police", _("Traffic police")
    URBAN_MANAGEMENT = "urban_management", _("Urban management")
    FIRE = "fire", _("Fire and rescue")


class UnitType(models.TextChoices):
    PATROL_CAR = "patrol_car", _("Patrol car")
    MOTORBIKE = "motorbike", _("Motorbike")
    FOOT = "foot", _("Foot patrol")
    FIRE_ENGINE = "fire_engine", _("Fire engine")
    ENFORCEMENT_VAN = "enforcement_van", _("Enforcement van")


class IncidentType(models.TextChoices):
    """What an incident is about, as far as who should go first (recommend.incident_type_of)."""

    FIRE = "fire", pgettext_lazy("incident type", "Fire")
    TRAFFIC_ACCIDENT = "traffic_accident", pgettext_lazy("incident type", "Traffic accident")
    TRAFFIC = "traffic", pgettext_lazy("incident type", "Traffic order")
    PUBLIC_ORDER = "public_order", pgettext_lazy("incident type", "Public order")
    CITY = "city", pgettext_lazy("incident type", "City management")
    OTHER = "other", pgettext_lazy("incident type", "Other")


# Who goes first, by incident type: recommendations rank the units of these agencies (in this order)
# before every other unit, each group fastest first; other agencies' units follow as support, and
# lead when none of these is available. OTHER: no preference, fastest first.
PREFERRED_AGENCIES: dict[str, tuple[str, ...]] = {
    IncidentType.FIRE: (Agency.FIRE,),
    IncidentType.TRAFFIC_ACCIDENT: (Agency.TRAFFIC_POLICE,),
    IncidentType.TRAFFIC: (Agency.TRAFFIC_POLICE,),
    IncidentType.PUBLIC_ORDER: (Agency.POLICE,),
    IncidentType.CITY: (Agency.URBAN_MANAGEMENT,),
    IncidentType.OTHER: (),
}


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    DISPATCHED = "dispatched", _("Dispatched")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    RETURNING = "returning", _("Returning")
    OFF_DUTY = "off_duty", _("Off duty")


U = UnitStatus
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    U.AVAILABLE: frozenset({U.DISPATCHED, U.OFF_DUTY}),
    # dispatched/en route → available: the unit was recalled before it arrived.
    # dispatched → on scene: it was around the corner and never reported "en route".
    U.DISPATCHED: frozenset({U.EN_ROUTE, U.ON_SCENE, U.AVAILABLE}),
    U.EN_ROUTE: frozenset({U.ON_SCENE, U.AVAILABLE}),
    U.ON_SCENE: frozenset({U.RETURNING, U.AVAILABLE}),
    # A returning unit is free again: it may be sent straight to the next incident.
    U.RETURNING: frozenset({U.AVAILABLE, U.DISPATCHED, U.OFF_DUTY}),
    U.OFF_DUTY: frozenset({U.AVAILABLE}),
}
# Statuses in which a unit may receive a new assignment, and in which it counts as "available" for
# recommendations.
DISPATCHABLE = frozenset({U.AVAILABLE, U.RETURNING})
# Statuses in which a unit has an active assignment.
ASSIGNED = frozenset({U.DISPATCHED, U.EN_ROUTE, U.ON_SCENE})


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISPATCHED = "dispatched", _("Units dispatched")
    ON_SCENE = "on_scene", _("Units on scene")
    CLOSED = "closed", _("Closed")


INC = IncidentStatus
INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    INC.OPEN: frozenset({INC.DISPATCHED, INC.CLOSED}),
    # dispatched → open: every dispatched unit was recalled before arriving; the incident still waits.
    INC.DISPATCHED: frozenset({INC.ON_SCENE, INC.OPEN, INC.CLOSED}),
    INC.ON_SCENE: frozenset({INC.CLOSED}),
    INC.CLOSED: frozenset(),
}
# Incidents that can still receive units (reinforcements go to dispatched/on-scene incidents too).
INCIDENT_ACTIVE = frozenset({INC.OPEN, INC.DISPATCHED, INC.ON_SCENE})


class SosStatus(models.TextChoices):
    # Their own words, not the appeals' "Acknowledged"/"Resolved" (受理/已解决): an acknowledged
    # alarm means help is on the way, not that the danger is over (已确认/处置中).
    RAISED = "raised", pgettext_lazy("SOS status", "Calling for help")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("SOS status", "Acknowledged, being handled")
    RESOLVED = "resolved", pgettext_lazy("SOS status", "Ended, officer safe")


SOS_TRANSITIONS: dict[str, frozenset[str]] = {
    SosStatus.RAISED: frozenset({SosStatus.ACKNOWLEDGED, SosStatus.RESOLVED}),
    SosStatus.ACKNOWLEDGED: frozenset({SosStatus.RESOLVED}),
    SosStatus.RESOLVED: frozenset(),
}
SOS_OPEN = frozenset({SosStatus.RAISED, SosStatus.ACKNOWLEDGED})


class MessageKind(models.TextChoices):
    TEXT = "text", _("Text")
    SYSTEM = "system", _("System")
    SOS = "sos", _("SOS")
    POSITION = "position", _("Shared position")


def check_move(
    table: dict[str, frozenset[str]], labels: type[models.TextChoices], current: str, target: str, thing: str
) -> None:
    """``check_transition`` with a refusal a person can act on, in their language: what ``thing``
    (e.g. "单位 P1") is now, that it cannot become ``target`` directly, and the step that leads
    there — or that it is finished. Raises TransitionError (HTTP 409)."""
    try:
        check_transition(table, current, target)
    except TransitionError:
        pass
    else:
        return
    names = {"thing": thing, "current": labels(current).label, "target": labels(target).label}
    step = _first_step(table, current, target)
    if step is not None:
        message = gettext(
            "%(thing)s is “%(current)s”: it cannot become “%(target)s” directly; first make it “%(step)s”."
        ) % {**names, "step": labels(step).label}
    elif not table.get(current):
        message = gettext("%(thing)s is “%(current)s”, which is final: nothing more can change it.") % names
    else:
        message = gettext("%(thing)s is “%(current)s”: it can no longer become “%(target)s”.") % names
    raise TransitionError(message)


def _first_step(table: dict[str, frozenset[str]], current: str, target: str) -> str | None:
    """The first state on a shortest way from ``current`` to ``target`` (None: there is none)."""
    seen, frontier = {current}, [(s, s) for s in sorted(table.get(current, ()))]
    while frontier:
        nxt = []
        for state, first in frontier:
            if state == target:
                return first
            if state not in seen:
                seen.add(state)
                nxt += [(s, first) for s in sorted(table.get(state, ()))]
        frontier = nxt
    return None


def _check_tables() -> None:
    """Every state of each table is a known status (guards typos when the tables are edited)."""
    for table, enum in ((UNIT_TRANSITIONS, U), (INCIDENT_TRANSITIONS, INC), (SOS_TRANSITIONS, SosStatus)):
        assert set(table) == set(enum.values), table
        for targets in table.values():
            assert targets <= set(enum.values), targets
    assert set(PREFERRED_AGENCIES) == set(IncidentType.values)
    assert all(set(agencies) <= set(Agency.values) for agencies in PREFERRED_AGENCIES.values())


_check_tables()
