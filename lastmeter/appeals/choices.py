"""Enumerations and the transition tables of appeals, clocks, transfers and the outbox.

Every status write in lastmeter.appeals goes through `check_transition`, so these tables are
the single statement of what may follow what.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    HOTLINE = "hotline", _("Hotline")
    WALK_IN = "walk_in", _("Walk-in")
    VOLUNTEER = "volunteer", _("Volunteer on behalf")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    DINGTALK = "dingtalk", _("DingTalk group")
    FEISHU = "feishu", _("Feishu / Lark group")
    WECOM = "wecom", _("WeCom group")
    TELEGRAM = "telegram", _("Telegram group")
    CHAT_IMPORT = "chat_import", _("Imported chat history")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class AppealState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CONTACTED = "contacted", _("Reporter contacted")
    LANDED = "landed", _("Landed on site")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    TRANSFERRED = "transferred", _("Transferred to department")
    ACCEPTED = "accepted", _("Accepted by department")
    RETURNED = "returned", _("Returned by department")
    MERGED = "merged", _("Merged into another appeal")
    REOPENED = "reopened", _("Reopened")


S = AppealState
APPEAL_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.ACKNOWLEDGED, S.TRANSFERRED, S.MERGED, S.CLOSED}),
    # Landing straight after acknowledgement is allowed: meeting the reporter on site is contact.
    S.ACKNOWLEDGED: frozenset({S.CONTACTED, S.LANDED, S.TRANSFERRED, S.MERGED}),
    S.CONTACTED: frozenset({S.LANDED, S.TRANSFERRED, S.MERGED}),
    S.LANDED: frozenset({S.RESOLVED, S.TRANSFERRED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.TRANSFERRED: frozenset({S.ACCEPTED, S.RETURNED}),
    S.ACCEPTED: frozenset({S.RESOLVED, S.RETURNED}),
    S.RETURNED: frozenset({S.ACKNOWLEDGED, S.TRANSFERRED, S.MERGED, S.CLOSED}),
    S.REOPENED: frozenset({S.CONTACTED, S.LANDED, S.TRANSFERRED, S.RESOLVED}),
    S.MERGED: frozenset(),
}
OPEN_STATES = frozenset(
    {S.RECEIVED, S.ACKNOWLEDGED, S.CONTACTED, S.LANDED, S.TRANSFERRED, S.ACCEPTED, S.RETURNED, S.REOPENED}
)


class ClockKind(models.TextChoices):
    CONTACT = "contact", _("Contact the reporter")
    LAND = "land", _("Land on site")
    TRANSFER_ACCEPT = "transfer_accept", _("Department accepts or returns")
    TRANSFER_OUTCOME = "transfer_outcome", _("Department reports the outcome")
    COMPLAINT_REPLY = "complaint_reply", _("Reply to an enforcement complaint")


class ClockUnit(models.TextChoices):
    HOURS = "hours", _("Calendar hours")
    CALENDAR_DAYS = "calendar_days", _("Calendar days")
    WORKING_DAYS = "working_days", _("Working days (China's calendar)")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused (waiting for the reporter)")
    MET = "met", _("Met on time")
    BREACHED = "breached", _("Breached")
    MET_LATE = "met_late", _("Met late")
    CANCELLED = "cancelled", _("Cancelled")


C = ClockState
CLOCK_TRANSITIONS: dict[str, frozenset[str]] = {
    C.RUNNING: frozenset({C.PAUSED, C.MET, C.BREACHED, C.CANCELLED}),
    C.PAUSED: frozenset({C.RUNNING, C.CANCELLED}),
    C.BREACHED: frozenset({C.MET_LATE, C.CANCELLED}),
    C.MET: frozenset(),
    C.MET_LATE: frozenset(),
    C.CANCELLED: frozenset(),
}


class TransferState(models.TextChoices):
    PENDING = "pending", _("Waiting for the department")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")
    COMPLETED = "completed", _("Completed")


T = TransferState
TRANSFER_TRANSITIONS: dict[str, frozenset[str]] = {
    T.PENDING: frozenset({T.ACCEPTED, T.RETURNED}),
    T.ACCEPTED: frozenset({T.COMPLETED, T.RETURNED}),
    T.RETURNED: frozenset(),
    T.COMPLETED: frozenset(),
}


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # A console backend took it: written to the log, never delivered to anyone.
    LOGGED = "logged", _("Logged, not delivered")
    FAILED = "failed", _("Failed (gave up)")


OS = OutboxState
OUTBOX_TRANSITIONS: dict[str, frozenset[str]] = {
    # pending → failed: a sender learnt the destination is gone (a bot removed from its group)
    # and parks the messages still queued for it rather than let each fail on its own.
    OS.PENDING: frozenset({OS.SENDING, OS.FAILED}),
    # sending → sending: a new worker re-claims a row whose previous worker died mid-lease.
    OS.SENDING: frozenset({OS.SENDING, OS.SENT, OS.LOGGED, OS.PENDING, OS.FAILED}),
    OS.FAILED: frozenset({OS.PENDING}),  # staff may retry a parked message
    OS.SENT: frozenset(),
    OS.LOGGED: frozenset(),
}


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATE = "state", _("State changed")
    ASSIGNED = "assigned", _("Assigned")
    NOTE = "note", _("Note")
    UPDATE = "update", _("Reporter update")
    CLOCK_WARNING = "clock_warning", _("Deadline warning")
    CLOCK_BREACH = "clock_breach", _("Deadline breached")
    ESCALATED = "escalated", _("Escalated")
    TRANSFER = "transfer", _("Transfer")
    NOTIFIED = "notified", _("Reporter notified")
    RATED = "rated", _("Rated")
    PAUSED = "paused", _("Clocks paused")
    RESUMED = "resumed", _("Clocks resumed")
    DUPLICATE = "duplicate", _("Duplicate attached")
