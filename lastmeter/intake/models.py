"""The raw inbound store and the decisions taken on each item."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lastmeter.intake.choices import Decision, ItemStatus


def new_item_token() -> str:
    return secrets.token_urlsafe(12)


class InboundItem(models.Model):
    """One thing that arrived on any channel (chat message, call-log row, form post, API call),
    stored exactly as received BEFORE anything else, in its own committed transaction.

    ``dedupe_key`` = "<channel>:<platform idempotency key>" is unique: a redelivery of the same
    update/event/message is refused by the database, so it can never make a second appeal.
    Processing (intake.services.process_item) fills ``normalised`` and the decision fields.
    """

    channel = models.CharField(_("channel"), max_length=20, db_index=True)
    dedupe_key = models.CharField(max_length=300, unique=True, verbose_name=_("deduplication key"))
    token = models.CharField(
        max_length=32, unique=True, default=new_item_token, editable=False, verbose_name=_("token")
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("received at"))
    body = models.BinaryField(_("raw body"))
    content_type = models.CharField(max_length=200, blank=True, verbose_name=_("content type"))
    headers = models.JSONField(default=dict, blank=True, verbose_name=_("headers"))
    query = models.JSONField(default=dict, blank=True, verbose_name=_("query parameters"))
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("Group name, import file, form…")
    )
    # Platform coordinates, indexed for "a reply quoting message X" look-ups.
    chat_id = models.CharField(max_length=200, blank=True, verbose_name=_("chat id"))
    message_id = models.CharField(max_length=200, blank=True, verbose_name=_("message id"))
    sender_id = models.CharField(max_length=200, blank=True, verbose_name=_("sender id"))
    normalised = models.JSONField(default=dict, blank=True, verbose_name=_("normalised content"))
    status = models.CharField(
        max_length=20, choices=ItemStatus.choices, default=ItemStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    decision = models.CharField(
        max_length=20, choices=Decision.choices, blank=True, verbose_name=_("decision")
    )
    decision_reason = models.TextField(blank=True, verbose_name=_("reason for the decision"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    appeal = models.ForeignKey(
        "appeals.Appeal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_items",
        help_text=_("The appeal this item created, updated or was attached to."),
        verbose_name=_("appeal"),
    )
    subscription = models.ForeignKey(
        "appeals.Subscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("subscription"),
    )
    submitted_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Staff or volunteer who entered it (call form, on-behalf form, API token)."),
        verbose_name=_("submitted by"),
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound item")
        verbose_name_plural = _("inbound items")
        indexes = [
            models.Index(fields=["channel", "chat_id", "message_id"], name="intake_item_msg"),
            models.Index(fields=["channel", "chat_id", "sender_id"], name="intake_item_sender"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="intake_item_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.status}{'/' + self.decision if self.decision else ''})"

    @property
    def body_text(self) -> str:
        """The raw body for display: UTF-8 if it is, else a GB18030 guess, else escaped bytes."""
        data = bytes(self.body or b"")
        for encoding in ("utf-8", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        return data.decode("utf-8", errors="backslashreplace")


class IntakeDecision(models.Model):
    """Every decision on an item, first automatic then any staff reversal, with its reason."""

    item = models.ForeignKey(InboundItem, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.TextField()
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: automatic triage."),
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("intake decision")
        verbose_name_plural = _("intake decisions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.decision} ({'staff' if self.by_id else 'auto'})"


class WebhookNonce(models.Model):
    """A signed webhook request seen within the replay window: its platform, the value that made it
    unique (``ChannelAdapter.replay_nonce``) and a hash of its body. The same value with another
    body is refused (``lastmeter.intake.replay``); rows older than twice the window are pruned."""

    channel = models.CharField(_("channel"), max_length=30)
    nonce = models.CharField(_("nonce"), max_length=300)
    body_sha256 = models.CharField(max_length=64)
    seen_at = models.DateTimeField(pgettext_lazy("webhook nonce", "seen at"), db_index=True)

    class Meta:
        verbose_name = _("webhook nonce")
        verbose_name_plural = _("webhook nonces")
        constraints = [models.UniqueConstraint(fields=["channel", "nonce"], name="webhook_nonce_once")]

    def __str__(self) -> str:
        return f"{self.channel} {self.nonce}"
