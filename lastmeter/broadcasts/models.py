"""Audiences, broadcasts (with their timeline, runs and deliveries), alerts and sightings."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lastmeter.broadcasts.choices import (
    AlertKind,
    AlertState,
    BroadcastKind,
    BroadcastState,
    DeliveryState,
    EventKind,
    OptInChannel,
    Platform,
    Repeat,
)
from lastmeter.lib.fields import EncryptedTextField, PhoneHashField


def new_public_token() -> str:
    return secrets.token_urlsafe(16)


class ChatGroup(models.Model):
    """A chat group on a platform where the station's bot is a member and may post.

    DingTalk, Feishu and WeCom groups are posted to through the group robot's webhook
    (``webhook_url``, with ``webhook_secret`` where the robot signs); Telegram groups through the
    bot API with ``chat_id``. ``chat_id`` is also how a reply from the group is recognised (the
    id intake's adapter gives the group). ``bot_removed_at`` is set when the platform says the
    bot is no longer in the group: nothing is sent there until staff re-add it.
    """

    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=200)
    chat_id = models.CharField(_("group id on the platform"), max_length=200, blank=True)
    webhook_url = models.URLField(_("robot webhook"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("robot signing secret"), max_length=200, blank=True)
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="chat_groups", verbose_name=_("community")
    )
    grids = models.ManyToManyField(
        "grids.Grid", blank=True, related_name="chat_groups", verbose_name=_("grids")
    )
    bot_removed_at = models.DateTimeField(_("bot removed at"), null=True, blank=True)
    bot_removed_reason = models.CharField(_("what the platform said"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("chat group")
        verbose_name_plural = _("chat groups")

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.name}"


class SmsSubscriber(models.Model):
    """A resident who asked for the station's messages by SMS: when, and through which channel.

    ``opted_out_at`` is set the moment they answer "退订"/STOP; they get nothing after that."""

    # Encrypted at rest (lib/fields.py); one subscriber per number is held by the keyed hash.
    phone = EncryptedTextField(_("phone"), max_length=40)
    phone_hash = PhoneHashField(source="phone", unique=True)
    community = models.ForeignKey(
        "accounts.OrgUnit",
        on_delete=models.PROTECT,
        related_name="sms_subscribers",
        verbose_name=_("community"),
    )
    opted_in_at = models.DateTimeField(_("opted in at"))
    opt_in_channel = models.CharField(_("opted in through"), max_length=20, choices=OptInChannel.choices)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]  # not by phone: the column is encrypted
        verbose_name = _("SMS subscriber")
        verbose_name_plural = _("SMS subscribers")

    def __str__(self) -> str:
        return self.phone


class Audience(models.Model):
    """Who a broadcast goes to: chosen groups, and people of chosen communities and grids.

    The communities and grids select the grid members, building heads, volunteers, the groups
    bound to them (``area_groups``) and the SMS subscribers living there; departments select
    their liaisons. ``selectors.destinations`` resolves it into one destination per recipient.
    """

    name = models.CharField(_("name"), max_length=200)
    communities = models.ManyToManyField(
        "accounts.OrgUnit", blank=True, related_name="+", verbose_name=_("communities")
    )
    grids = models.ManyToManyField("grids.Grid", blank=True, related_name="+", verbose_name=_("grids"))
    groups = models.ManyToManyField(
        ChatGroup, blank=True, related_name="audiences", verbose_name=_("chat groups")
    )
    departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="+", verbose_name=_("department liaisons")
    )
    area_groups = models.BooleanField(_("the chat groups of these communities and grids"), default=True)
    grid_members = models.BooleanField(_("grid members"), default=False)
    building_heads = models.BooleanField(_("building heads"), default=False)
    volunteers = models.BooleanField(_("volunteers"), default=False)
    sms_residents = models.BooleanField(_("residents who opted in by SMS"), default=False)
    created_by = models.ForeignKey("accounts.Person", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # A saved audience is named once and picked for later broadcasts and alerts; each broadcast
    # gets its own copy (``copied_from``), so editing the saved one never changes what an approver
    # already approved.
    saved = models.BooleanField(_("saved for reuse"), default=False)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """A missing-person alert: description and photo to the people around the last known place.

    ``radius_m`` around (``lat``, ``lon``) selects the grids (with ``grids`` chosen by hand).
    After closure plus the retention period, the worker deletes the photo and description
    (``purge_after``); the alert row stays, so the record of who was told and when is kept.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=AlertKind.choices)
    state = models.CharField(_("state"), max_length=30, choices=AlertState.choices, default=AlertState.DRAFT)
    public_token = models.CharField(max_length=40, unique=True, default=new_public_token, editable=False)
    headline = models.CharField(_("headline"), max_length=160)
    description = models.TextField(_("description"))
    photo = models.ImageField(_("photo"), upload_to="alerts/%Y/%m/", blank=True)
    # Of the re-encoded file, for CAP's <resource> (size in bytes, SHA-1 digest as CAP 1.2 asks).
    photo_size = models.PositiveIntegerField(null=True, blank=True)
    photo_digest = models.CharField(max_length=40, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"))
    last_seen_place = models.CharField(_("last known place"), max_length=300)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    radius_m = models.PositiveIntegerField(_("radius (m)"), default=1000)
    grids = models.ManyToManyField("grids.Grid", blank=True, related_name="+", verbose_name=_("grids"))
    author = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["purge_after"], condition=Q(state="closed"), name="alert_purge_due")]

    def __str__(self) -> str:
        return self.headline

    @property
    def code(self) -> str:
        """Short reference residents can quote in a reply ("寻人7 我看到了")."""
        return f"XR{self.pk}"


class Broadcast(models.Model):
    """A message to an audience, written from a template, sent once or on a schedule.

    ``template`` holds ``{name}`` placeholders filled from ``variables``; ``sources`` lists the
    figures a generated draft used (label, value, link). Recurring broadcasts fire at ``times``
    (local HH:MM) on every day or on China's working days; ``next_run_at`` is the next firing,
    which the worker's sweep takes with a compare-and-set update.
    """

    kind = models.CharField(
        _("kind"), max_length=30, choices=BroadcastKind.choices, default=BroadcastKind.NOTICE
    )
    title = models.CharField(_("title"), max_length=160)
    template = models.TextField(_("message"))
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    sources = models.JSONField(default=list, blank=True)
    audience = models.ForeignKey(
        Audience, on_delete=models.PROTECT, related_name="broadcasts", verbose_name=_("audience")
    )
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="broadcasts"
    )
    state = models.CharField(
        _("state"), max_length=30, choices=BroadcastState.choices, default=BroadcastState.DRAFT
    )
    repeat = models.CharField(_("repeat"), max_length=20, choices=Repeat.choices, default=Repeat.ONCE)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    times = models.JSONField(_("times of day"), default=list, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        indexes = [models.Index(fields=["next_run_at"], condition=Q(state="scheduled"), name="broadcast_due")]

    def __str__(self) -> str:
        return self.title


class BroadcastEvent(models.Model):
    """The broadcast's timeline: who wrote, submitted, approved, paused it, and each firing."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("broadcast event")
        verbose_name_plural = _("broadcast events")


class Run(models.Model):
    """One firing of a broadcast: the text as rendered then, for the occurrence ``slot``
    (unique per broadcast, so a sweep that runs twice fires once)."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="runs")
    slot = models.CharField(max_length=40)
    text = models.TextField()
    fired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fired_at", "id"]
        verbose_name = _("broadcast run")
        verbose_name_plural = _("broadcast runs")
        constraints = [models.UniqueConstraint(fields=["broadcast", "slot"], name="unique_broadcast_slot")]


class Delivery(models.Model):
    """One destination of one run: queued in the outbox (its row says sent/logged/failed) or
    skipped with the reason (opted out, no phone, the same phone already on the list).

    ``destination`` names the recipient without their number (``group:<id>``,
    ``sms:person:<id>``, ``sms:subscriber:<id>``); an SMS delivery's number is ``phone``,
    encrypted, and an answer from it ("我看到了") finds the delivery by ``phone_hash``."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="deliveries")
    destination = models.CharField(max_length=200)
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    phone_hash = PhoneHashField(source="phone", db_index=True)
    label = models.CharField(max_length=200)
    transport = models.CharField(max_length=40)
    state = models.CharField(max_length=20, choices=DeliveryState.choices)
    reason = models.CharField(max_length=300, blank=True)
    outbox = models.OneToOneField(
        "appeals.OutboxMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="broadcast_delivery",
    )
    platform_answer = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("broadcast delivery")
        verbose_name_plural = _("broadcast deliveries")
        constraints = [
            models.UniqueConstraint(fields=["run", "destination"], name="unique_run_destination"),
            # One message per number per run, whatever the number is listed as.
            models.UniqueConstraint(
                fields=["run", "phone_hash"], condition=~Q(phone_hash=""), name="unique_run_phone"
            ),
        ]


class ChannelPace(models.Model):
    """The next free sending slot of one rate-limited destination (a group's robot, a phone):
    deliveries reserve slots here so the outbox never exceeds the platform's published limit.

    ``last_sent_at`` is when the sender last called the platform for this destination: the
    sender checks it before every post, so a retried row (whose time the outbox's back-off chose,
    not the reservation) still keeps the spacing."""

    bucket = models.CharField(max_length=240, unique=True)
    next_free_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sending pace")
        verbose_name_plural = _("sending paces")


class Sighting(models.Model):
    """A reply to an alert ("我看到了…"): where and when, as the person said it, and who (masked)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="sightings")
    channel = models.CharField(max_length=20)
    sender = models.CharField(_("sighting reported by"), max_length=200)
    text = models.TextField(_("text"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    seen_at = models.DateTimeField(_("seen at"))
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-seen_at", "-id"]
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")
