"""Enumerations of duty posts and joint campaigns, and the campaigns' transition table."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PostKind(models.TextChoices):
    INTERSECTION = "intersection", _("Intersection")
    SCHOOL = "school", _("School gate")
    MARKET = "market", _("Market")
    OTHER = "other", _("Other post")


class HoursSource(models.TextChoices):
    DRAFTED = "drafted", _("Drafted from the figures")
    MANUAL = "manual", _("Set by hand")


class CampaignState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Under way")
    CLOSED = "closed", _("Campaign closed")
    CANCELLED = "cancelled", _("Cancelled")


S = CampaignState
CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PLANNED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Daily results are entered while a campaign is planned or under way, never after it closed.
RESULT_STATES = frozenset({S.PLANNED, S.ACTIVE})
