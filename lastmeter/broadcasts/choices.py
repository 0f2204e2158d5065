"""States of broadcasts and alerts (with their transition tables), platforms and kinds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lastmeter.lib.transitions import check_transition


class Platform(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk group")
    FEISHU = "feishu", _("Feishu / Lark group")
    WECOM = "wecom", _("WeCom group")
    TELEGRAM = "telegram", _("Telegram group")


class OptInChannel(models.TextChoices):
    SMS = "sms", _("SMS reply")
    FORM = "form", _("Paper or web form")
    COUNTER = "counter", _("At the station counter")


class BroadcastKind(models.TextChoices):
    NOTICE = "notice", _("Notice")
    RUSH_HOUR = "rush_hour", _("Rush-hour reminder")
    ACCIDENT_SEASON = "accident_season", _("Accident-season publicity")
    ANTI_FRAUD = "anti_fraud", _("Anti-fraud publicity")
    ALERT = "alert", _("Alert")
    STAND_DOWN = "stand_down", _("Alert stand-down")


class Repeat(models.TextChoices):
    ONCE = "once", _("Once")
    WORKING_DAYS = "working_days", _("Working days (China's calendar)")
    EVERY_DAY = "every_day", _("Every day")


class BroadcastState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting a leader's approval")
    SCHEDULED = "scheduled", pgettext_lazy("broadcast", "Scheduled")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


B = BroadcastState
BROADCAST_TRANSITIONS: dict[str, frozenset[str]] = {
    B.DRAFT: frozenset({B.AWAITING_APPROVAL, B.SCHEDULED, B.CANCELLED}),
    # back to draft: a leader declined it; the author edits and submits again
    B.AWAITING_APPROVAL: frozenset({B.SCHEDULED, B.DRAFT, B.CANCELLED}),
    B.SCHEDULED: frozenset({B.PAUSED, B.DONE, B.CANCELLED}),
    B.PAUSED: frozenset({B.SCHEDULED, B.CANCELLED}),
    B.DONE: frozenset(),
    B.CANCELLED: frozenset(),
}


def check_broadcast_transition(current: str, target: str) -> None:
    check_transition(BROADCAST_TRANSITIONS, current, target, "broadcast")


class EventKind(models.TextChoices):
    CREATED = "created", _("Written")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    SCHEDULED = "scheduled", pgettext_lazy("broadcast", "Scheduled")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    CANCELLED = "cancelled", _("Cancelled")
    FIRED = "fired", _("Sent out")
    HOLIDAY = "holiday", _("Skipped: not a working day")
    REFUSED = "refused", _("Not sent")
    UNREACHABLE = "unreachable", _("A group became unreachable")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("In the outbox")
    SKIPPED = "skipped", _("Skipped")


class AlertKind(models.TextChoices):
    MISSING_PERSON = "missing_person", _("Missing person")
    LOST_CHILD = "lost_child", _("Lost child")
    LOST_ELDERLY = "lost_elderly", _("Lost elderly person (dementia)")


class AlertState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting a leader's approval")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Stood down")
    PURGED = "purged", _("Closed; photo and description deleted")


A = AlertState
ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    A.DRAFT: frozenset({A.AWAITING_APPROVAL, A.CLOSED}),
    A.AWAITING_APPROVAL: frozenset({A.ACTIVE, A.DRAFT, A.CLOSED}),
    A.ACTIVE: frozenset({A.CLOSED}),
    A.CLOSED: frozenset({A.PURGED}),
    A.PURGED: frozenset(),
}


def check_alert_transition(current: str, target: str) -> None:
    check_transition(ALERT_TRANSITIONS, current, target, "alert")
