"""Duty posts with the hours each agency staffs them, the shifts assigned to them, and joint
campaigns (专项行动) with their target area and daily results."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lastmeter.dispatching.choices import Agency
from lastmeter.duty.choices import CampaignState, HoursSource, PostKind


class DutyPost(models.Model):
    """A place staffed by time of day: an intersection at rush hour, a school gate, a market.
    ``radius_m`` is how far around the point the figures that drafted its hours were counted."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind of post"), max_length=20, choices=PostKind.choices)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    radius_m = models.PositiveIntegerField(_("radius (m)"), default=150)
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="duty_posts", verbose_name=_("community")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("duty post")
        verbose_name_plural = _("duty posts")

    def __str__(self) -> str:
        return self.name


class PostHours(models.Model):
    """One staffed window of a post, every day: from ``start_hour`` to ``end_hour`` (local time,
    end exclusive, 24 = midnight), by one agency."""

    post = models.ForeignKey(DutyPost, on_delete=models.CASCADE, related_name="hours", verbose_name=_("post"))
    agency = models.CharField(_("agency"), max_length=30, choices=Agency.choices)
    start_hour = models.PositiveSmallIntegerField(_("from hour"))
    end_hour = models.PositiveSmallIntegerField(_("to hour"))
    source = models.CharField(_("source"), max_length=20, choices=HoursSource.choices)
    basis = models.CharField(_("basis"), max_length=200, blank=True)

    class Meta:
        ordering = ["post", "start_hour", "agency"]
        verbose_name = _("staffed hours")
        verbose_name_plural = _("staffed hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_hour__gt=models.F("start_hour"), end_hour__lte=24),
                name="post_hours_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.start_hour:02d}–{self.end_hour:02d} {self.agency}"


class PostAssignment(models.Model):
    """A roster shift (accounts' ``DutyShift``) spent at a post for one agency, with the unit
    (dispatching) the person takes there, if any."""

    post = models.ForeignKey(
        DutyPost, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("post")
    )
    shift = models.ForeignKey(
        "accounts.DutyShift",
        on_delete=models.CASCADE,
        related_name="post_assignments",
        verbose_name=_("shift"),
    )
    agency = models.CharField(_("agency"), max_length=30, choices=Agency.choices)
    unit = models.ForeignKey(
        "dispatching.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="post_assignments",
        verbose_name=_("unit"),
    )

    class Meta:
        ordering = ["shift__starts_at", "id"]
        verbose_name = _("post assignment")
        verbose_name_plural = _("post assignments")

    def __str__(self) -> str:
        return f"{self.post}: {self.shift}"


class Campaign(models.Model):
    """A joint campaign against one problem in one area for a period: its target is an appeal
    category plus either a polygon (GeoJSON, lon/lat) or a circle around a point."""

    name = models.CharField(_("name"), max_length=120)
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("community")
    )
    category = models.ForeignKey(
        "appeals.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("target category"),
    )
    target = models.CharField(_("target"), max_length=200)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    radius_m = models.PositiveIntegerField(_("radius (m)"), null=True, blank=True)
    area = models.JSONField(_("area polygon"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    agencies = models.JSONField(_("participating agencies"), default=list)
    units = models.ManyToManyField(
        "dispatching.Unit", blank=True, related_name="campaigns", verbose_name=_("participating units")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=CampaignState.choices, default=CampaignState.PLANNED
    )
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("joint campaign")
        verbose_name_plural = _("joint campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DailyResult(models.Model):
    """What the campaign achieved on one day of its period; one row per day, corrected in place."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="results", verbose_name=_("campaign")
    )
    day = models.DateField(_("day"))
    cases_handled = models.PositiveIntegerField(_("cases handled"), default=0)
    penalties = models.PositiveIntegerField(_("penalties"), default=0)
    appeals_resolved = models.PositiveIntegerField(_("appeals resolved"), default=0)
    note = models.TextField(_("note"), blank=True)
    entered_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        ordering = ["campaign", "day"]
        verbose_name = _("daily result")
        verbose_name_plural = _("daily results")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day"], name="one_result_per_campaign_day")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.day}"
