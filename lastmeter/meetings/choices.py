"""Enumerations and transition tables of consultation meetings, their action items, and the
one-window counter's visits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("Not held yet")
    HELD = "held", _("Held")
    CLOSED = "closed", _("Minutes closed")


M = MeetingState
MEETING_TRANSITIONS: dict[str, frozenset[str]] = {
    M.PLANNED: frozenset({M.HELD}),
    # Decisions are taken while the meeting is held; closing the minutes freezes them.
    M.HELD: frozenset({M.CLOSED}),
    M.CLOSED: frozenset(),
}


class ItemKind(models.TextChoices):
    APPEAL = "appeal", _("Open appeal")
    HOTSPOT = "hotspot", _("Recurring problem")
    REPORT_BACK = "report_back", _("Report-back on an action item")
    OTHER = "other", _("Other matter")


class AttendeeKind(models.TextChoices):
    RESIDENT_REP = "resident_rep", _("Residents' representative")
    BUILDING_HEAD = "building_head", _("Building head")
    DEPARTMENT = "department", _("Department")
    POLICE = "police", _("Community police")
    OTHER = "other", _("Other attendee")


class ActionState(models.TextChoices):
    OPEN = "open", _("Open")
    OVERDUE = "overdue", _("Overdue")
    DONE = "done", _("Done")


A = ActionState
ACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    A.OPEN: frozenset({A.OVERDUE, A.DONE}),
    A.OVERDUE: frozenset({A.DONE}),
    A.DONE: frozenset(),
}
UNFINISHED_ACTION_STATES = frozenset({A.OPEN, A.OVERDUE})


class MeetingEventKind(models.TextChoices):
    SCHEDULED = "scheduled", _("Meeting scheduled")
    STATE = "state", _("State changed")
    ITEM = "item", _("Agenda item added")
    ATTENDEE = "attendee", _("Attendee added")
    MINUTES = "minutes", _("Minutes recorded")
    DECISION = "decision", _("Decision taken")
    REPORT_BACK = "report_back", _("Report-back heard")
    ACTION_OVERDUE = "action_overdue", _("Action item overdue")


class CounterKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Certificate")
    CONSULTATION = "consultation", _("Consultation")
    LOST_PROPERTY = "lost_property", _("Lost property registration")
    OTHER = "other", _("Other matter at the counter")
