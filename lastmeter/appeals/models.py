"""Appeals, their clocks, transfers, timeline, landing proofs, ratings and the outbox."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lastmeter.appeals.choices import (
    AppealState,
    Channel,
    ClockKind,
    ClockState,
    ClockUnit,
    EventKind,
    OutboxState,
    Priority,
    TransferState,
)
from lastmeter.lib.fields import EncryptedJSONField, EncryptedTextField, PhoneHashField


def new_tracking_token() -> str:
    return secrets.token_urlsafe(18)


class Category(models.Model):
    """A node of the appeal taxonomy. A category with a department is out of police scope:
    appeals in it are transferred to that department at once."""

    code = models.SlugField(_("code"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        help_text=_("Empty: handled by the police. Set: transferred to this department."),
        verbose_name=_("department"),
    )
    default_priority = models.IntegerField(
        choices=Priority.choices, default=Priority.NORMAL, verbose_name=_("default priority")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class ClockPolicy(models.Model):
    """How long a clock of one kind runs, for one category (or for all when category is empty)."""

    kind = models.CharField(_("clock"), max_length=30, choices=ClockKind.choices)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policies",
        verbose_name=_("category"),
    )
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=ClockUnit.choices, default=ClockUnit.HOURS)
    pause_while_waiting = models.BooleanField(_("pause while waiting for the reporter"), default=False)

    class Meta:
        verbose_name = _("clock policy")
        verbose_name_plural = _("clock policies")
        constraints = [
            models.UniqueConstraint(fields=["kind", "category"], name="one_policy_per_kind_category"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(category__isnull=True), name="one_default_policy_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} {self.get_unit_display()} ({self.category or '*'})"


class Appeal(models.Model):
    """A resident's request for help, from any channel, and everything done about it.

    The reporter's phone is personal data: it is masked in every list, and every view of the
    appeal's detail, its photos, the full number or its admin page writes an accounts.AccessLog
    row. Residents without an account follow the appeal by `tracking_token`.
    """

    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    tracking_token = models.CharField(
        max_length=40,
        unique=True,
        default=new_tracking_token,
        editable=False,
        verbose_name=_("tracking token"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # Where and how to answer on the channel the appeal came from (chat id, message id, …).
    channel_ref = models.JSONField(default=dict, blank=True, verbose_name=_("reference on the channel"))
    # Encrypted at rest (lib/fields.py); "the same reporter" is found by the phone's keyed hash.
    reporter_name = EncryptedTextField(_("reporter name"), max_length=100, blank=True)
    reporter_phone = EncryptedTextField(_("reporter phone"), max_length=40, blank=True)
    reporter_phone_hash = PhoneHashField(source="reporter_phone", db_index=True)
    reporter_email = models.EmailField(_("reporter e-mail"), blank=True)
    reporter_person = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_appeals",
        verbose_name=_("reporter (person)"),
    )
    filed_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filed_appeals",
        help_text=_("A volunteer or staff member who filed on the reporter's behalf."),
        verbose_name=_("filed by"),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    location_confidence = models.FloatField(null=True, blank=True, verbose_name=_("location confidence"))
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("category"),
    )
    grid = models.ForeignKey(
        "grids.Grid",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeals",
        verbose_name=_("grid"),
    )
    building = models.ForeignKey(
        "accounts.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeals",
        verbose_name=_("building"),
    )
    assignee = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_appeals",
        verbose_name=_("assignee"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeals",
        help_text=_("The department of the current transfer, if any."),
        verbose_name=_("department"),
    )
    priority = models.IntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(
        _("state"), max_length=20, choices=AppealState.choices, default=AppealState.RECEIVED
    )
    state_changed_at = models.DateTimeField(auto_now_add=True, verbose_name=_("state changed at"))
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    waiting_for_reporter = models.BooleanField(default=False, verbose_name=_("waiting for the reporter"))
    escalation_level = models.PositiveSmallIntegerField(default=0, verbose_name=_("escalation level"))
    resolution = models.TextField(_("resolution"), blank=True)
    # The earliest running deadline, denormalised for the queue's sort and countdown.
    next_deadline_at = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=_("next deadline")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    contacted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("contacted at"))
    landed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("landed at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    # Set when the retention job erased the reporter's personal data (lastmeter/ops/retention.py).
    personal_data_erased_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("personal data erased at")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [
            models.Index(fields=["state", "grid"]),
            models.Index(fields=["department", "state"]),
            # The retention job's scan: finished appeals whose personal data is still there.
            models.Index(
                fields=["state_changed_at"],
                condition=Q(state__in=["closed", "merged"], personal_data_erased_at__isnull=True),
                name="appeal_retention_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"appeal {self.pk}"

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lon is not None


class AppealMedia(models.Model):
    """A photo or file attached to an appeal (by the reporter, or as landing proof).

    Files are not under a public URL: staff who may see the appeal get them through
    ``appeals:media`` (scoped, and each view written to the access log)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="appeals/%Y/%m/")
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appeal attachment")
        verbose_name_plural = _("appeal attachments")


class Clock(models.Model):
    """A deadline on an appeal. The sweeper moves it to breached with compare-and-set updates.

    `warn_at`/`due_at` are computed at start from the policy; a paused clock keeps the time it had
    left in `remaining_s` and gets a new due date when resumed.
    """

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("appeal")
    )
    transfer = models.ForeignKey(
        "Transfer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="clocks",
        verbose_name=_("transfer"),
    )
    kind = models.CharField(max_length=30, choices=ClockKind.choices, verbose_name=_("kind"))
    unit = models.CharField(max_length=20, choices=ClockUnit.choices, verbose_name=_("time unit"))
    amount = models.PositiveIntegerField(verbose_name=_("amount"))
    pause_while_waiting = models.BooleanField(
        default=False, verbose_name=_("pause while waiting for the reporter")
    )
    state = models.CharField(
        max_length=20, choices=ClockState.choices, default=ClockState.RUNNING, verbose_name=_("state")
    )
    started_at = models.DateTimeField(verbose_name=_("started at"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    warn_at = models.DateTimeField(verbose_name=_("warn at"))
    warned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("warned at"))
    breached_at = models.DateTimeField(null=True, blank=True, verbose_name=_("breached at"))
    met_at = models.DateTimeField(null=True, blank=True, verbose_name=_("met at"))
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    remaining_s = models.FloatField(null=True, blank=True, verbose_name=_("remaining seconds"))
    escalated_to = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("escalated to"),
    )

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        ordering = ["due_at"]
        indexes = [
            # The sweeper's two scans touch only running clocks; partial indexes keep them cheap.
            models.Index(fields=["due_at"], condition=Q(state="running"), name="clock_running_due"),
            models.Index(
                fields=["warn_at"],
                condition=Q(state="running", warned_at__isnull=True),
                name="clock_unwarned_warn",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal} {self.kind} {self.state} due {self.due_at:%Y-%m-%d %H:%M}"


class Transfer(models.Model):
    """An appeal handed to a department outside the police, with its answer."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("appeal")
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="transfers",
        verbose_name=_("department"),
    )
    state = models.CharField(
        max_length=20, choices=TransferState.choices, default=TransferState.PENDING, verbose_name=_("state")
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    reason = models.TextField(_("return reason"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    decided_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at"]
        indexes = [
            # The transfers still waiting on their department: a few hundred among hundreds of
            # thousands. Departments' inboxes and the "overdue now" figure read only these.
            models.Index(
                fields=["department", "state"],
                condition=models.Q(state__in=["pending", "accepted"]),
                name="transfer_open_by_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal} → {self.department} ({self.state})"


class AppealEvent(models.Model):
    """One line of an appeal's timeline: who did what, when, through which channel."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="events", verbose_name=_("appeal")
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("time"))
    kind = models.CharField(max_length=30, choices=EventKind.choices, verbose_name=_("kind"))
    actor = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("'system', 'reporter', a bot name…"),
        verbose_name=_("actor label"),
    )
    channel = models.CharField(max_length=20, blank=True, verbose_name=_("channel"))
    from_state = models.CharField(max_length=20, blank=True, verbose_name=_("from state"))
    to_state = models.CharField(max_length=20, blank=True, verbose_name=_("to state"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "id"]


class LandingProof(models.Model):
    """Proof of presence on site: the officer's position, its distance to the appeal, the time."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="landings")
    officer = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="+")
    lat = models.FloatField()
    lon = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField()
    at = models.DateTimeField(auto_now_add=True)
    photo = models.ForeignKey(AppealMedia, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("landing proof")
        verbose_name_plural = _("landing proofs")


class Rating(models.Model):
    """The reporter's satisfaction (1–5) with a resolution, or a contest that reopened it.

    ``resolved_at`` is the resolution the row answers (the appeal's ``resolved_at`` then): one
    rating per resolution, enforced by the database too. Contests are counted per appeal
    (``LASTMETER_MAX_CONTESTS``).
    """

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    contested = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            ),
            models.UniqueConstraint(
                fields=["appeal", "resolved_at"],
                condition=Q(contested=False, resolved_at__isnull=False),
                name="one_rating_per_resolution",
            ),
        ]


class FeedbackCode(models.Model):
    """A one-time code sent privately to the reporter (SMS, else e-mail) before they may rate or
    contest: the tracking link alone is not enough, as it gets posted in group chats.

    Only the SHA-256 of the code is stored. A code works once, for ``LASTMETER_FEEDBACK_CODE_TTL_MIN``
    minutes and ``LASTMETER_FEEDBACK_CODE_ATTEMPTS`` wrong tries.
    """

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="feedback_codes")
    code_hash = models.CharField(max_length=64)
    transport = models.CharField(max_length=20)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("feedback code")
        verbose_name_plural = _("feedback codes")

    def __str__(self) -> str:
        return f"{self.appeal} code {self.created_at:%Y-%m-%d %H:%M} ({'used' if self.used_at else 'open'})"


class Subscription(models.Model):
    """Someone else who reported the same problem (a duplicate) and gets this appeal's updates."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="subscriptions")
    name = EncryptedTextField(max_length=100, blank=True)
    phone = EncryptedTextField(max_length=40, blank=True)
    phone_hash = PhoneHashField(source="phone", db_index=True)
    email = models.EmailField(blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    channel_ref = models.JSONField(default=dict, blank=True)
    source_appeal = models.ForeignKey(
        Appeal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")


class OutboxMessage(models.Model):
    """A message to send, written in the same transaction as the change it reports.

    The worker claims a row with a compare-and-set update, sends it with `key` as idempotency key,
    then marks it sent; failures back off exponentially and park as `failed` after N attempts.
    """

    key = models.CharField(max_length=200, unique=True, verbose_name=_("idempotency key"))
    transport = models.CharField(
        max_length=40, help_text=_("sms, email, console, or channel:<kind>"), verbose_name=_("transport")
    )
    # Where it goes (a phone, an e-mail, a chat id): encrypted at rest, so nothing filters on it.
    recipient = EncryptedJSONField(verbose_name=_("recipient"))
    subject = models.CharField(max_length=200, blank=True, verbose_name=_("subject"))
    body = models.TextField(verbose_name=_("body"))
    appeal = models.ForeignKey(
        Appeal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox",
        verbose_name=_("appeal"),
    )
    state = models.CharField(
        max_length=20, choices=OutboxState.choices, default=OutboxState.PENDING, verbose_name=_("state")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"))
    locked_until = models.DateTimeField(null=True, blank=True, verbose_name=_("locked until"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="outbox_pending_due"),
            models.Index(fields=["locked_until"], condition=Q(state="sending"), name="outbox_sending_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.transport} {self.key} ({self.state})"


class DeliveryReceipt(models.Model):
    """What a local backend (console, log) delivered, keyed by the outbox key: the idempotency
    record that makes a re-delivery after a crash a no-op for backends we control."""

    key = models.CharField(max_length=200, unique=True)
    transport = models.CharField(max_length=40)
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery receipt")
        verbose_name_plural = _("delivery receipts")
