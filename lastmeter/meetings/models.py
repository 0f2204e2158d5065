"""Consultation meetings (民主恳谈会 / 警民议事): agenda, attendees, minutes, decisions that become
action items with an owner and a deadline, report-backs; and the one-window counter's log."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lastmeter.meetings.choices import (
    ActionState,
    AttendeeKind,
    CounterKind,
    ItemKind,
    MeetingEventKind,
    MeetingState,
)


class Meeting(models.Model):
    """One meeting of a community. ``previous`` is the community's meeting before it: its
    unfinished action items are carried to this one's agenda for the report-back."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("community")
    )
    title = models.CharField(_("title"), max_length=200)
    held_at = models.DateTimeField(_("meeting time"), db_index=True)
    place = models.CharField(_("place"), max_length=200)
    state = models.CharField(
        _("state"), max_length=20, choices=MeetingState.choices, default=MeetingState.PLANNED
    )
    minutes = models.TextField(_("minutes"), blank=True)
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("previous meeting"),
    )
    organised_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("organised by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-held_at", "-id"]
        verbose_name = _("consultation meeting")
        verbose_name_plural = _("consultation meetings")

    def __str__(self) -> str:
        return self.reference or f"meeting {self.pk}"


class AgendaItem(models.Model):
    """A matter on the agenda: an open appeal, a recurring problem (several appeals of one
    category at one place), an unfinished action item to report back on, or anything else."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="items", verbose_name=_("meeting")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    title = models.CharField(_("title"), max_length=300)
    appeals = models.ManyToManyField(
        "appeals.Appeal", blank=True, related_name="+", verbose_name=_("appeals")
    )
    repeat_count = models.PositiveIntegerField(_("appeals about it"), default=0)
    action_item = models.ForeignKey(
        "ActionItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report_back_items",
        verbose_name=_("action item reported on"),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return self.title


class Attendee(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendees", verbose_name=_("meeting")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=AttendeeKind.choices)
    person = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")

    def __str__(self) -> str:
        return self.name


class ActionItem(models.Model):
    """What a decision commits someone to do, by a deadline in working days. Never without an
    owner: the owner answers for it at the next meeting."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("meeting")
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
        verbose_name=_("agenda item"),
    )
    decision = models.TextField(_("decision"))
    task = models.TextField(_("what is to be done"))
    owner = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="meeting_actions", verbose_name=_("owner")
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
    )
    working_days = models.PositiveIntegerField(_("working days given"))
    due_at = models.DateTimeField(_("due at"), db_index=True)
    state = models.CharField(_("state"), max_length=20, choices=ActionState.choices, default=ActionState.OPEN)
    report = models.TextField(_("report-back"), blank=True)
    reported_at = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_heard",
        verbose_name=_("reported back at"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self) -> str:
        return self.task[:60]


class MeetingEvent(models.Model):
    """One line of a meeting's timeline."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="events", verbose_name=_("meeting")
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("at"))
    kind = models.CharField(max_length=20, choices=MeetingEventKind.choices, verbose_name=_("kind"))
    actor_label = models.CharField(max_length=100, blank=True, verbose_name=_("actor label"))
    note = models.TextField(blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("meeting timeline entry")
        verbose_name_plural = _("meeting timeline entries")


class CounterVisit(models.Model):
    """A walk-in at the station's one-window counter: arrival, when a clerk began serving, when
    the matter was finished. Handling time is finished − served; waiting is served − arrived."""

    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(_("kind of matter"), max_length=20, choices=CounterKind.choices)
    visitor = models.CharField(_("visitor"), max_length=100, blank=True)
    matter = models.CharField(_("matter"), max_length=300)
    arrived_at = models.DateTimeField(_("arrived at"), db_index=True)
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    clerk = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("clerk"),
    )
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)

    class Meta:
        ordering = ["-arrived_at", "-id"]
        verbose_name = _("counter visit")
        verbose_name_plural = _("counter visits")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.arrived_at:%Y-%m-%d %H:%M}"
