"""Patrol teams, plans, shifts, check-ins and sightings; the building-head network's records
(badge, training, tasks, points, support) that the station manages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lastmeter.patrols.choices import (
    Band,
    CheckKind,
    PlanState,
    PointSource,
    ShiftState,
    SupportKind,
    TaskState,
    TeamKind,
)


def default_radius() -> float:
    return float(getattr(settings, "LASTMETER_PATROL_CHECKIN_RADIUS_M", 1000.0))


class PatrolTeam(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=TeamKind.choices)
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="patrol_teams", verbose_name=_("community")
    )
    leader = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_patrol_teams",
        verbose_name=_("team leader"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["community", "name"]
        verbose_name = _("patrol team")
        verbose_name_plural = _("patrol teams")

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(
        PatrolTeam, on_delete=models.CASCADE, related_name="members", verbose_name=_("team")
    )
    person = models.ForeignKey(
        "accounts.Person",
        on_delete=models.CASCADE,
        related_name="patrol_memberships",
        verbose_name=_("person"),
    )
    skills = models.CharField(_("skills"), max_length=200, blank=True, help_text=_("Comma-separated."))
    # The bands this member can patrol in (Band values); empty means any.
    available_bands = models.JSONField(_("available bands"), default=list, blank=True)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["team", "person"], name="patrols_member_once")]

    def available_in(self, band: str) -> bool:
        return not self.available_bands or band in self.available_bands


class PatrolPlan(models.Model):
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="patrol_plans", verbose_name=_("community")
    )
    day = models.DateField(_("day"))
    band = models.CharField(_("time of day"), max_length=12, choices=Band.choices)
    state = models.CharField(_("state"), max_length=12, choices=PlanState.choices, default=PlanState.DRAFT)
    source = models.CharField(_("hotspots of"), max_length=12, choices=PointSource.choices)
    period_start = models.DateTimeField(_("history from"))
    period_end = models.DateTimeField(_("history until"))
    cell_m = models.FloatField(_("cell size (m)"))
    points = models.PositiveIntegerField(_("points in the band"), default=0)
    checkin_radius_m = models.FloatField(_("check-in radius (m)"), default=default_radius)
    coverage = models.FloatField(_("coverage"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        on_delete=models.SET_NULL,
        related_name="patrol_plans_made",
        verbose_name=_("made by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-day", "band"]
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")

    def __str__(self) -> str:
        return f"{self.community} {self.day} {self.get_band_display()}"


class PlanCell(models.Model):
    """One significant hot cell of the band that the plan sends a team to."""

    plan = models.ForeignKey(
        PatrolPlan, on_delete=models.CASCADE, related_name="cells", verbose_name=_("plan")
    )
    key = models.CharField(_("cell"), max_length=32)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    ring = models.JSONField(_("outline"), default=list)
    count = models.PositiveIntegerField(_("points in the cell"), default=0)
    z = models.FloatField(_("Gi* z-score"))
    shift = models.ForeignKey(
        "PatrolShift",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cells",
        verbose_name=_("shift"),
    )
    order = models.PositiveSmallIntegerField(_("order on the route"), default=0)

    class Meta:
        ordering = ["plan", "order"]
        verbose_name = _("planned hot cell")
        verbose_name_plural = _("planned hot cells")


class PatrolShift(models.Model):
    plan = models.ForeignKey(
        PatrolPlan, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("plan")
    )
    team = models.ForeignKey(
        PatrolTeam, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("team")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    state = models.CharField(
        _("state"), max_length=12, choices=ShiftState.choices, default=ShiftState.PLANNED
    )
    route = models.JSONField(_("route"), default=list, blank=True)  # [[lat, lon], …]
    route_m = models.FloatField(_("route length (m)"), default=0)
    on_roads = models.BooleanField(_("routed on the road graph"), default=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("patrol shift")
        verbose_name_plural = _("patrol shifts")

    def __str__(self) -> str:
        return f"{self.team} {self.starts_at:%Y-%m-%d %H:%M}"


class CheckIn(models.Model):
    shift = models.ForeignKey(
        PatrolShift, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("shift")
    )
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="patrol_checkins", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CheckKind.choices)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    at = models.DateTimeField(_("at"))
    distance_m = models.FloatField(_("distance from the plan (m)"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")


class Sighting(models.Model):
    shift = models.ForeignKey(
        PatrolShift, on_delete=models.CASCADE, related_name="sightings", verbose_name=_("shift")
    )
    person = models.ForeignKey(
        "accounts.Person",
        on_delete=models.PROTECT,
        related_name="patrol_sightings",
        verbose_name=_("reported by"),
    )
    text = models.TextField(_("what was seen"))
    category_code = models.CharField(_("category"), max_length=60, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    at = models.DateTimeField(_("at"))
    appeal = models.ForeignKey(
        "appeals.Appeal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrol_sightings",
        verbose_name=_("appeal"),
    )
    intake_note = models.CharField(_("intake's decision"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")


# --- the building-head network: the five unifications --------------------------------------------


class Badge(models.Model):
    """Unified identity: one badge number per network member."""

    person = models.OneToOneField(
        "accounts.Person", on_delete=models.CASCADE, related_name="network_badge", verbose_name=_("person")
    )
    number = models.CharField(_("badge number"), max_length=20, unique=True)
    issued_on = models.DateField(_("issued on"))

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")

    def __str__(self) -> str:
        return self.number


class TrainingSession(models.Model):
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="trainings", verbose_name=_("community")
    )
    attendees = models.ManyToManyField(
        "accounts.Person", blank=True, related_name="trainings_attended", verbose_name=_("attendees")
    )

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self) -> str:
        return self.title


class NetworkTask(models.Model):
    person = models.ForeignKey(
        "accounts.Person",
        on_delete=models.CASCADE,
        related_name="network_tasks",
        verbose_name=_("assigned to"),
    )
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    points = models.PositiveSmallIntegerField(_("points"), default=1)
    state = models.CharField(_("state"), max_length=12, choices=TaskState.choices, default=TaskState.OPEN)
    assigned_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        on_delete=models.SET_NULL,
        related_name="network_tasks_given",
        verbose_name=_("assigned by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["state", "due_on", "pk"]
        verbose_name = _("network task")
        verbose_name_plural = _("network tasks")


class PointRecord(models.Model):
    """Evaluation points, per task done or report filed."""

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="network_points", verbose_name=_("person")
    )
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    task = models.ForeignKey(
        NetworkTask, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("task")
    )
    sighting = models.ForeignKey(
        Sighting, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("sighting")
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at"]
        verbose_name = _("points record")
        verbose_name_plural = _("points records")


class SupportRecord(models.Model):
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="network_support", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SupportKind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    given_on = models.DateField(_("given on"))

    class Meta:
        ordering = ["-given_on"]
        verbose_name = _("support record")
        verbose_name_plural = _("support records")
