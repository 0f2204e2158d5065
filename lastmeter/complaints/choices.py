"""Enumerations and the transition tables of enforcement complaints and their clocks.

Every status write in lastmeter.complaints goes through ``check_transition`` with these tables.
A complaint's clocks reuse the appeals' clock states, units and transition table: a deadline
behaves the same way whatever it belongs to.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintChannel(models.TextChoices):
    STATEMENT_LINE = "statement_line", _("Statement and defence line")
    HOTLINE = "hotline", _("Hotline")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Chat group")
    IN_PERSON = "in_person", _("In person")
    API = "api", _("API")


class SubjectKind(models.TextChoices):
    PENALTY_DECISION = "penalty_decision", _("A penalty decision")
    TICKET = "ticket", _("A ticket")
    CONDUCT = "conduct", _("An officer's conduct")


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_REVIEW = "in_review", _("Under review")
    DECIDED = "decided", _("Decided, reply sent")
    APPEALED = "appealed", _("Appealed to a second reviewer")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ComplaintState
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    # Assigning a reviewer to a complaint nobody acknowledged yet acknowledges it on the way.
    S.RECEIVED: frozenset({S.ACKNOWLEDGED, S.IN_REVIEW, S.WITHDRAWN}),
    S.ACKNOWLEDGED: frozenset({S.IN_REVIEW, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.DECIDED, S.WITHDRAWN}),
    # The one further appeal; services refuse a second one (``Complaint.round``).
    S.DECIDED: frozenset({S.APPEALED, S.CLOSED}),
    S.APPEALED: frozenset({S.IN_REVIEW, S.WITHDRAWN}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
OPEN_STATES = frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.IN_REVIEW, S.APPEALED})


class DecisionKind(models.TextChoices):
    UPHOLD = "uphold", _("Upheld (the enforcement stands)")
    CORRECT = "correct", _("Corrected")
    REVOKE = "revoke", _("Revoked")
    PARTLY = "partly", _("Partly upheld")


class EvidenceKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    PHOTO = "photo", _("Photo")
    OFFICER_STATEMENT = "officer_statement", _("The officer's statement")
    OTHER = "other", _("Other")


class ComplaintClockKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge the complainant")
    REPLY = "reply", _("Reply to the complainant")


class ComplaintEventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    STATE = "state", _("State changed")
    OFFICER = "officer", _("Officer concerned identified")
    ASSIGNED = "assigned", _("Reviewer assigned")
    EVIDENCE = "evidence", _("Evidence added")
    DECIDED = "decided", _("Decision")
    LETTER = "letter", _("Reply letter sent")
    APPEALED = "appealed", _("Further appeal")
    NOTE = "note", _("Note")
    CLOCK_WARNING = "clock_warning", _("Deadline warning")
    CLOCK_BREACH = "clock_breach", _("Deadline breached")
    ESCALATED = "escalated", _("Escalated")
    NOTIFIED = "notified", _("Complainant notified")
