"""Mediation cases: parties with their consent, sessions, the agreement and its confirmations,
referrals, follow-up visits, and links to appeals that show the dispute recurring."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lastmeter.lib.fields import EncryptedTextField, PhoneHashField
from lastmeter.mediation.choices import (
    CaseEventKind,
    CaseSource,
    CaseState,
    DisputeType,
    FollowUpState,
    MediatorKind,
    Outcome,
    PartySide,
    RecurrenceReason,
    ReferralTarget,
)


class MediationCase(models.Model):
    """A dispute taken to mediation, from an appeal or a walk-in, and all that came of it.

    Parties' phone numbers are personal data: lists do not show them; the case page shows them to
    the people handling the case and writes the access log."""

    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=CaseSource.choices)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mediation_cases",
        verbose_name=_("appeal"),
    )
    dispute_type = models.CharField(_("type of dispute"), max_length=20, choices=DisputeType.choices)
    summary = models.TextField(_("what the dispute is about"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    grid = models.ForeignKey(
        "grids.Grid",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("grid"),
    )
    community = models.ForeignKey(
        "accounts.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mediation_cases",
        verbose_name=_("community"),
    )
    mediator = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="mediations", verbose_name=_("mediator")
    )
    mediator_kind = models.CharField(_("mediator's role"), max_length=20, choices=MediatorKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=CaseState.choices, default=CaseState.OPEN)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    referred_to = models.CharField(
        _("referred to"), max_length=20, choices=ReferralTarget.choices, blank=True
    )
    referral_department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("referral department"),
    )
    referral_note = models.TextField(_("referral note"), blank=True)
    recurrence_flag = models.BooleanField(_("recurred"), default=False)
    opened_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("mediation case", "closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    # Set when the retention job erased the parties' personal data (mediation/retention.py).
    personal_data_erased_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("personal data erased at")
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("mediation case")
        verbose_name_plural = _("mediation cases")
        indexes = [
            models.Index(
                fields=["closed_at"],
                condition=Q(state="closed", personal_data_erased_at__isnull=True),
                name="mediation_retention_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"mediation {self.pk}"


class Party(models.Model):
    """One side of the dispute. Mediation is voluntary: ``consent_at`` records when and how the
    party agreed to it, and no session is held before every party has consented."""

    case = models.ForeignKey(
        MediationCase, on_delete=models.CASCADE, related_name="parties", verbose_name=_("case")
    )
    # Encrypted at rest (lib/fields.py); recurrences find a party by the phone's keyed hash.
    name = EncryptedTextField(_("name"), max_length=100)
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    phone_hash = PhoneHashField(source="phone", db_index=True)
    side = models.CharField(_("side"), max_length=20, choices=PartySide.choices)
    consent_at = models.DateTimeField(_("consented at"), null=True, blank=True)
    consent_how = models.CharField(_("how consent was given"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """A mediation session: place, time, who attended, what was said and agreed."""

    case = models.ForeignKey(
        MediationCase, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("case")
    )
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200)
    attendees = models.TextField(_("attendees"))
    notes = models.TextField(_("notes"))
    recorded_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")


class Agreement(models.Model):
    """The agreement text and its terms. Redrafting it clears the confirmations: a party confirms
    a text, not whatever the text later becomes."""

    case = models.OneToOneField(
        MediationCase, on_delete=models.CASCADE, related_name="agreement", verbose_name=_("case")
    )
    text = models.TextField(_("agreement"))
    terms = models.TextField(_("terms"), help_text=_("One term per line: who does what by when."))
    drafted_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    drafted_at = models.DateTimeField(_("drafted at"))

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")


class Confirmation(models.Model):
    """A party's confirmation of the agreement as drafted (signature, fingerprint, recorded call)."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="confirmations", verbose_name=_("agreement")
    )
    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="confirmations", verbose_name=_("party")
    )
    how = models.CharField(_("how"), max_length=200)
    at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("agreement confirmation")
        verbose_name_plural = _("agreement confirmations")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="one_confirmation_per_party")
        ]


class FollowUp(models.Model):
    """A follow-up visit after an agreement, due on a local date; the sweeper marks a visit not
    made by the end of that day as overdue (compare-and-set) and tells the mediator."""

    case = models.ForeignKey(
        MediationCase, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("case")
    )
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"), max_length=20, choices=FollowUpState.choices, default=FollowUpState.SCHEDULED
    )
    done_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    kept = models.BooleanField(_("agreement kept"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    visited_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("visited by"),
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        indexes = [
            models.Index(fields=["due_on"], condition=Q(state="scheduled"), name="followup_scheduled_due")
        ]


class RecurrenceLink(models.Model):
    """A later appeal between the same parties or at the same address: the dispute recurred."""

    case = models.ForeignKey(
        MediationCase, on_delete=models.CASCADE, related_name="recurrences", verbose_name=_("case")
    )
    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="+", verbose_name=_("appeal")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=RecurrenceReason.choices)
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))

    class Meta:
        verbose_name = _("recurrence")
        verbose_name_plural = _("recurrences")
        constraints = [models.UniqueConstraint(fields=["case", "appeal"], name="one_link_per_case_appeal")]


class RecurrenceWatermark(models.Model):
    """The last appeal the recurrence scan has looked at (one row); moved by compare-and-set."""

    last_appeal_id = models.BigIntegerField(default=0, verbose_name=_("last appeal id"))

    class Meta:
        verbose_name = _("recurrence scan position")
        verbose_name_plural = _("recurrence scan position")


class CaseEvent(models.Model):
    """One line of a case's timeline."""

    case = models.ForeignKey(
        MediationCase, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("at"))
    kind = models.CharField(max_length=20, choices=CaseEventKind.choices, verbose_name=_("kind"))
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
        verbose_name = _("mediation timeline entry")
        verbose_name_plural = _("mediation timeline entries")
