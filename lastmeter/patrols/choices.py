"""Enumerations and transition tables of patrols and of the building-head network.

Every status write in lastmeter.patrols goes through ``check_transition`` with these tables.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TeamKind(models.TextChoices):
    VOLUNTEERS = "volunteers", _("Volunteers")
    BUILDING_HEADS = "building_heads", _("Building heads")
    AUXILIARIES = "auxiliaries", _("Auxiliary police")


class Band(models.TextChoices):
    """Time-of-day bands of a patrol plan, local time: [start hour, end hour)."""

    NIGHT = "night", _("Night (0–6)")
    MORNING = "morning", _("Morning (6–12)")
    AFTERNOON = "afternoon", _("Afternoon (12–18)")
    EVENING = "evening", _("Evening (18–24)")


BAND_HOURS: dict[str, tuple[int, int]] = {
    Band.NIGHT: (0, 6),
    Band.MORNING: (6, 12),
    Band.AFTERNOON: (12, 18),
    Band.EVENING: (18, 24),
}


class PointSource(models.TextChoices):
    INCIDENTS = "incidents", _("Incidents")
    APPEALS = "appeals", _("Appeals")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


P = PlanState
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.PUBLISHED, P.CANCELLED}),
    P.PUBLISHED: frozenset({P.DONE, P.CANCELLED}),
    P.DONE: frozenset(),
    P.CANCELLED: frozenset(),
}


class ShiftState(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("patrol shift", "Planned")
    ON_PATROL = "on_patrol", _("On patrol")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")


S = ShiftState
SHIFT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PLANNED: frozenset({S.ON_PATROL, S.MISSED}),
    S.ON_PATROL: frozenset({S.DONE}),
    S.DONE: frozenset(),
    S.MISSED: frozenset(),
}


class CheckKind(models.TextChoices):
    CHECK_IN = "in", _("Check-in")
    POSITION = "position", _("Position")
    CHECK_OUT = "out", _("Check-out")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


T = TaskState
TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    T.OPEN: frozenset({T.DONE, T.CANCELLED}),
    T.DONE: frozenset(),
    T.CANCELLED: frozenset(),
}


class SupportKind(models.TextChoices):
    SUBSIDY = "subsidy", _("Subsidy")
    EQUIPMENT = "equipment", _("Equipment")
    INSURANCE = "insurance", _("Insurance")
    RECOGNITION = "recognition", _("Recognition")


# Points a patrol member earns for a sighting that became an appeal.
SIGHTING_POINTS = 2
