"""Complaints against enforcement: the complaint, its evidence, decisions, clocks and timeline."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lastmeter.appeals.choices import ClockState, ClockUnit
from lastmeter.complaints.choices import (
    ComplaintChannel,
    ComplaintClockKind,
    ComplaintEventKind,
    ComplaintState,
    DecisionKind,
    EvidenceKind,
    SubjectKind,
)
from lastmeter.lib.fields import EncryptedTextField, PhoneHashField


def new_tracking_token() -> str:
    return secrets.token_urlsafe(18)


class Complaint(models.Model):
    """A complaint against a penalty decision, a ticket or an officer's conduct.

    The complainant's contact details are personal data: lists mask them, only the reviewer of
    the current round (and whoever recorded the complaint) sees them in full, each view is
    written to the access log, and the officer concerned never sees the complaint at all
    (``selectors.visible_complaints`` leaves it out for them, whatever their role).
    """

    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    tracking_token = models.CharField(
        max_length=40,
        unique=True,
        default=new_tracking_token,
        editable=False,
        verbose_name=_("tracking token"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=ComplaintChannel.choices)
    channel_ref = models.JSONField(default=dict, blank=True, verbose_name=_("channel ref"))
    # Encrypted at rest (lib/fields.py); the phone is found by its keyed hash.
    complainant_name = EncryptedTextField(_("complainant"), max_length=100)
    complainant_phone = EncryptedTextField(_("complainant's phone"), max_length=40, blank=True)
    complainant_phone_hash = PhoneHashField(source="complainant_phone", db_index=True)
    complainant_email = models.EmailField(_("complainant's e-mail"), blank=True)
    complainant_address = models.CharField(_("postal address"), max_length=300, blank=True)
    subject_kind = models.CharField(_("complaint about"), max_length=20, choices=SubjectKind.choices)
    decision_number = models.CharField(_("penalty decision number"), max_length=60, blank=True)
    ticket_number = models.CharField(_("ticket number"), max_length=60, blank=True)
    incident_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    place = models.CharField(_("where it happened"), max_length=300, blank=True)
    text = models.TextField(_("the complaint"))
    officer = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_about",
        verbose_name=_("officer concerned"),
    )
    officer_description = models.CharField(
        _("officer as described"),
        max_length=200,
        blank=True,
        help_text=_(
            "Badge number or description given by the complainant, before the officer is identified."
        ),
    )
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("unit"),
    )
    filed_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filed_complaints",
        verbose_name=_("recorded by"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ComplaintState.choices, default=ComplaintState.RECEIVED
    )
    # 1: the first review; 2: the one further appeal, to a second reviewer.
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    reviewer = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_reviewed",
        verbose_name=_("reviewer"),
    )
    appeal_reason = models.TextField(_("reason for the further appeal"), blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0, verbose_name=_("escalation level"))
    next_deadline_at = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=_("next deadline at")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    # Set when the retention job erased the complainant's personal data (complaints/retention.py).
    personal_data_erased_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("personal data erased at")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["officer", "state"]),
            models.Index(
                fields=["closed_at"],
                condition=Q(state__in=["closed", "withdrawn"], personal_data_erased_at__isnull=True),
                name="complaint_retention_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"complaint {self.pk}"


class Evidence(models.Model):
    """A document, photo or the officer's statement, added by the reviewer."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    description = models.TextField(_("description"))
    file = models.FileField(_("file"), upload_to="complaints/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=100, blank=True, verbose_name=_("content type"))
    added_by = models.ForeignKey(
        "accounts.Person", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("added by")
    )
    round = models.PositiveSmallIntegerField(default=1, verbose_name=_("round"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")


class Decision(models.Model):
    """The reviewer's decision of one round, with reasons and the reply letter that was sent.

    The letter is kept (``letter``, with its SHA-256) exactly as the complainant received it."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("complaint")
    )
    round = models.PositiveSmallIntegerField(_("round"))
    kind = models.CharField(
        pgettext_lazy("complaint", "decision"), max_length=20, choices=DecisionKind.choices
    )
    reasons = models.TextField(_("reasons"))
    reviewer = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewer")
    )
    decided_at = models.DateTimeField(pgettext_lazy("complaint", "decided at"))
    letter = models.FileField(_("reply letter"), upload_to="complaints/letters/%Y/%m/", blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("letter sha256"))

    class Meta:
        ordering = ["round"]
        verbose_name = _("complaint decision")
        verbose_name_plural = _("complaint decisions")
        constraints = [models.UniqueConstraint(fields=["complaint", "round"], name="one_decision_per_round")]


class ComplaintClock(models.Model):
    """A deadline of a complaint (acknowledge within 24 hours, reply within 15 days).

    The same healthchecks pattern as the appeals' clocks: ``due_at``/``warn_at`` columns with
    partial indexes, and a sweeper (``clocks.sweep``) that changes rows by compare-and-set."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("complaint")
    )
    kind = models.CharField(max_length=20, choices=ComplaintClockKind.choices, verbose_name=_("kind"))
    round = models.PositiveSmallIntegerField(default=1, verbose_name=_("round"))
    unit = models.CharField(max_length=20, choices=ClockUnit.choices, verbose_name=_("unit"))
    amount = models.PositiveIntegerField(verbose_name=_("amount"))
    state = models.CharField(
        max_length=20, choices=ClockState.choices, default=ClockState.RUNNING, verbose_name=_("state")
    )
    started_at = models.DateTimeField(verbose_name=_("started at"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    warn_at = models.DateTimeField(verbose_name=_("warn at"))
    warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("warned at"))
    breached_at = models.DateTimeField(null=True, blank=True, verbose_name=_("breached at"))
    met_at = models.DateTimeField(null=True, blank=True, verbose_name=_("met at"))
    escalated_to = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("escalated to"),
    )

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("complaint clock")
        verbose_name_plural = _("complaint clocks")
        indexes = [
            models.Index(fields=["due_at"], condition=Q(state="running"), name="cclock_running_due"),
            models.Index(
                fields=["warn_at"],
                condition=Q(state="running", warned_at__isnull=True),
                name="cclock_unwarned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint} {self.kind} {self.state}"


class ComplaintEvent(models.Model):
    """One line of a complaint's timeline."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("complaint")
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("at"))
    kind = models.CharField(max_length=20, choices=ComplaintEventKind.choices, verbose_name=_("kind"))
    actor = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(max_length=100, blank=True, verbose_name=_("actor label"))
    from_state = models.CharField(max_length=20, blank=True, verbose_name=_("from state"))
    to_state = models.CharField(max_length=20, blank=True, verbose_name=_("to state"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("complaint timeline entry")
        verbose_name_plural = _("complaint timeline entries")
