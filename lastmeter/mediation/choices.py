"""Enumerations and the transition tables of mediation cases and follow-up visits."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseSource(models.TextChoices):
    APPEAL = "appeal", _("From an appeal")
    WALK_IN = "walk_in", _("Walk-in")


class DisputeType(models.TextChoices):
    NEIGHBOUR = "neighbour", _("Neighbour dispute")
    NOISE = "noise", _("Noise")
    DEBT = "debt", _("Small debt")
    FAMILY = "family", _("Family")
    TRAFFIC_DAMAGE = "traffic_damage", _("Traffic damage")
    OTHER = "other", _("Other dispute")


class MediatorKind(models.TextChoices):
    PEOPLES_MEDIATOR = "peoples_mediator", _("People's mediator")
    COMMUNITY_POLICE = "community_police", _("Community police")
    LAWYER = "lawyer", _("Lawyer")
    VOLUNTEER = "volunteer", _("Volunteer mediator")


class PartySide(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")


class CaseState(models.TextChoices):
    OPEN = "open", _("In mediation")
    AGREED = "agreed", _("Agreement reached")
    PARTIAL = "partial", _("Partial agreement")
    FAILED = "failed", _("Mediation failed")
    REFERRED = "referred", _("Referred")
    CLOSED = "closed", _("Closed")


S = CaseState
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.AGREED, S.PARTIAL, S.FAILED}),
    # What a partial agreement left open may go to a court, arbitration or a department.
    S.PARTIAL: frozenset({S.REFERRED, S.CLOSED}),
    S.AGREED: frozenset({S.CLOSED}),
    S.FAILED: frozenset({S.REFERRED, S.CLOSED}),
    S.REFERRED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
OPEN_STATES = frozenset({S.OPEN})
# Outcomes with an agreement the parties signed: follow-up visits are scheduled after them.
AGREEMENT_STATES = frozenset({S.AGREED, S.PARTIAL})


class Outcome(models.TextChoices):
    AGREEMENT = "agreement", _("Agreement")
    PARTIAL = "partial", _("Partial agreement")
    FAILED = "failed", _("Failed")


class ReferralTarget(models.TextChoices):
    COURT = "court", _("Court")
    ARBITRATION = "arbitration", _("Arbitration")
    DEPARTMENT = "department", _("Department")


class FollowUpState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OVERDUE = "overdue", _("Overdue")
    DONE = "done", _("Visited")
    CANCELLED = "cancelled", _("Cancelled")


F = FollowUpState
FOLLOW_UP_TRANSITIONS: dict[str, frozenset[str]] = {
    F.SCHEDULED: frozenset({F.OVERDUE, F.DONE, F.CANCELLED}),
    F.OVERDUE: frozenset({F.DONE, F.CANCELLED}),
    F.DONE: frozenset(),
    F.CANCELLED: frozenset(),
}


class RecurrenceReason(models.TextChoices):
    SAME_PARTY = "same_party", _("A party reported again")
    SAME_ADDRESS = "same_address", _("At the same address")


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    STATE = "state", _("State changed")
    PARTY = "party", _("Party added")
    CONSENT = "consent", _("Consent recorded")
    SESSION = "session", _("Session held")
    AGREEMENT = "agreement", _("Agreement drafted")
    CONFIRMED = "confirmed", _("Agreement confirmed by a party")
    REFERRED = "referred", _("Referred")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Follow-up visit overdue")
    RECURRENCE = "recurrence", _("Recurrence")
    NOTE = "note", _("Note")
