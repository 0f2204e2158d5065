"""Units on the road, incidents, assignments, command groups and SOS alarms.

Statuses change only through lastmeter.dispatching.services (transition tables in choices.py).
Positions are WGS-84 degrees; ``node`` is the road-graph node nearest to the unit's snapped position
in the network version that was loaded when the position arrived (a hint for the map, not a key).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lastmeter.appeals.choices import Priority
from lastmeter.dispatching.choices import (
    Agency,
    IncidentStatus,
    IncidentType,
    MessageKind,
    SosStatus,
    UnitStatus,
    UnitType,
)


class Unit(models.Model):
    """A dispatchable resource of one agency: a patrol car, motorbike, foot patrol, fire engine, van.

    ``person`` is the officer or crew lead who carries the unit's phone: they receive its dispatch
    orders and may report its position.  A person leads at most one unit.
    """

    code = models.CharField(_("call sign"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    agency = models.CharField(_("agency"), max_length=30, choices=Agency.choices)
    unit_type = models.CharField(_("type"), max_length=30, choices=UnitType.choices)
    skills = models.JSONField(
        _("skills"), default=list, blank=True, help_text=_('e.g. ["first_aid", "english"]')
    )
    status = models.CharField(
        _("status"), max_length=20, choices=UnitStatus.choices, default=UnitStatus.AVAILABLE, db_index=True
    )
    status_changed_at = models.DateTimeField(default=timezone.now, verbose_name=_("status changed at"))
    person = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="units",
        verbose_name=_("officer carrying the unit's phone"),
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    heading = models.FloatField(_("heading (degrees)"), null=True, blank=True)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    position_at = models.DateTimeField(_("position time"), null=True, blank=True)
    node = models.IntegerField(_("road node"), null=True, blank=True)
    # Position reports since the unit was created; the history is trimmed every TRIM_EVERY reports.
    reports_count = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("position reports"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["agency", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [models.UniqueConstraint(fields=["person"], name="one_unit_per_person")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


class PositionReport(models.Model):
    """One position sent by a unit's device (bounded history: the newest HISTORY_PER_UNIT per unit)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="positions")
    lat = models.FloatField()
    lon = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("position report")
        verbose_name_plural = _("position reports")
        ordering = ["-at"]
        indexes = [models.Index(fields=["unit", "at"])]

    def __str__(self) -> str:
        return f"{self.unit_id} @ {self.lat:.5f},{self.lon:.5f} {self.at:%H:%M:%S}"


class Incident(models.Model):
    """Something units are sent to: a place, an alarm time, a status, and the units assigned.

    ``alarm_at`` is when the alarm was raised (for an incident from an appeal: when the appeal
    arrived), so ``response_s`` = first arrival on scene − alarm, the figure the reports quote.
    """

    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    incident_type = models.CharField(
        _("incident type"), max_length=30, choices=IncidentType.choices, blank=True, default=""
    )
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    priority = models.IntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(
        _("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN, db_index=True
    )
    alarm_at = models.DateTimeField(_("alarm time"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("first dispatch"), null=True, blank=True)
    first_arrival_at = models.DateTimeField(_("first arrival"), null=True, blank=True)
    response_s = models.FloatField(_("response time (s)"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        verbose_name=_("appeal"),
    )
    commander = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commanded_incidents",
        verbose_name=_("commander"),
    )
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_incidents",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-alarm_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.reference or _("incident %(id)s") % {"id": self.pk}


class Assignment(models.Model):
    """One unit sent to one incident: when, the road ETA and route it was given, and what happened.

    Active while ``cleared_at`` is empty; a unit has at most one active assignment.
    ``route`` is a GeoJSON LineString (lon, lat) from the unit's position to the scene.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("incident")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("unit")
    )
    dispatched_at = models.DateTimeField(default=timezone.now, verbose_name=_("dispatched at"))
    dispatched_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dispatched by"),
    )
    eta_s = models.FloatField(_("ETA (s)"), null=True, blank=True)
    distance_m = models.FloatField(_("road distance (m)"), null=True, blank=True)
    route = models.JSONField(_("route"), null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True, verbose_name=_("en route at"))
    arrived_at = models.DateTimeField(null=True, blank=True, verbose_name=_("arrived at"))
    # arrived_at − incident.alarm_at: this unit's response time.
    response_s = models.FloatField(null=True, blank=True, verbose_name=_("response time (s)"))
    cleared_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cleared at"))
    cleared_reason = models.CharField(max_length=40, blank=True, verbose_name=_("reason for clearing"))

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["dispatched_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(cleared_at__isnull=True), name="one_active_assignment_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} → {self.incident_id}"

    @property
    def active(self) -> bool:
        return self.cleared_at is None


class CommandGroup(models.Model):
    """The on-site command group of one incident: its members talk, share positions and see SOS.

    Archived (not deleted) when the incident closes: the conversation stays with the incident.
    """

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="command_group", verbose_name=_("incident")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    archived_at = models.DateTimeField(null=True, blank=True, verbose_name=_("archived at"))

    class Meta:
        verbose_name = _("command group")
        verbose_name_plural = _("command groups")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class CommandGroupMember(models.Model):
    """A person in a command group (the commander, dispatched officers, anyone added later)."""

    group = models.ForeignKey(
        CommandGroup, on_delete=models.CASCADE, related_name="members", verbose_name=_("command group")
    )
    person = models.ForeignKey(
        "accounts.Person",
        on_delete=models.CASCADE,
        related_name="command_memberships",
        verbose_name=_("person"),
    )
    is_commander = models.BooleanField(default=False, verbose_name=_("commander"))
    added_at = models.DateTimeField(default=timezone.now, verbose_name=_("added at"))

    class Meta:
        verbose_name = _("command group member")
        verbose_name_plural = _("command group members")
        ordering = ["-is_commander", "added_at"]
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="one_membership_per_group")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.group_id}"


class GroupMessage(models.Model):
    """A message in a command group: text, a system note, an SOS or a shared position (in ``data``)."""

    group = models.ForeignKey(
        CommandGroup, on_delete=models.CASCADE, related_name="messages", verbose_name=_("command group")
    )
    author = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(blank=True, verbose_name=_("text"))
    kind = models.CharField(
        max_length=20, choices=MessageKind.choices, default=MessageKind.TEXT, verbose_name=_("kind")
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("time"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))

    class Meta:
        verbose_name = _("group message")
        verbose_name_plural = _("group messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["group", "id"])]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.text[:40]}"


class SosAlarm(models.Model):
    """An officer's emergency alarm with their live position; one open alarm per person.

    ``lat``/``lon`` is where it was raised; ``last_*`` follows the person's position reports until
    the alarm is resolved.
    """

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="sos_alarms", verbose_name=_("person")
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sos_alarms",
        verbose_name=_("unit"),
    )
    lat = models.FloatField(verbose_name=_("latitude"))
    lon = models.FloatField(verbose_name=_("longitude"))
    raised_at = models.DateTimeField(default=timezone.now, verbose_name=_("raised at"))
    status = models.CharField(
        max_length=20,
        choices=SosStatus.choices,
        default=SosStatus.RAISED,
        db_index=True,
        verbose_name=_("status"),
    )
    acknowledged_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    resolved_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ended by"),
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    last_lat = models.FloatField(null=True, blank=True, verbose_name=_("last latitude"))
    last_lon = models.FloatField(null=True, blank=True, verbose_name=_("last longitude"))
    last_position_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last position time"))
    note = models.TextField(blank=True, verbose_name=_("note"))

    class Meta:
        verbose_name = _("SOS alarm")
        verbose_name_plural = _("SOS alarms")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["raised", "acknowledged"]),
                name="one_open_sos_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"SOS {self.person_id} {self.get_status_display()}"
