"""Erasing a finished appeal's personal data, keeping everything the figures count.

Kept: the appeal's states, times, category, grid, place (the hotspots), assignee, clocks,
transfers, the kinds and states of its timeline, rating scores and contests — what
``lastmeter.stats`` reads. Erased: the reporter's name, phone (and its hash), e-mail and
channel reference; the appeal's text (the reporter's words); the words of the timeline entries
that carry the reporter's messages or what was sent to them; rating comments; the followers
(subscriptions); the outbox's copies of what was sent; photos and files (rows and files on disk).

``lastmeter/ops/retention.py`` decides which appeals are due and composes this with intake's part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from lastmeter.appeals.choices import AppealState, EventKind, OutboxState
from lastmeter.appeals.models import (
    Appeal,
    AppealEvent,
    AppealMedia,
    FeedbackCode,
    OutboxMessage,
    Rating,
    Subscription,
)

FINISHED_STATES = (AppealState.CLOSED, AppealState.MERGED)
# Timeline entries whose note or data hold the reporter's words or what was sent to them.
WORDY_EVENTS = (
    EventKind.CREATED,
    EventKind.UPDATE,
    EventKind.NOTIFIED,
    EventKind.RATED,
    EventKind.DUPLICATE,
)


def erase_finished_messages(messages: QuerySet[OutboxMessage]) -> int:
    """Blank the recipient, subject and body of ``messages`` that are no longer to be sent (a
    pending or sending message still needs its address); the rows stay as the record that a message
    went. Rows already blank are left alone, so a second erasure counts nothing. Returns the count."""
    return (
        messages.exclude(state__in=[OutboxState.PENDING, OutboxState.SENDING])
        .exclude(Q(recipient={}) & Q(body=""))
        .update(recipient={}, body="", subject="")
    )


def due_for_erasure(cutoff: datetime) -> QuerySet[Appeal]:
    """Closed or merged appeals that finished at or before ``cutoff`` and still hold personal
    data (the ``appeal_retention_due`` partial index)."""
    return Appeal.objects.filter(
        state__in=FINISHED_STATES, state_changed_at__lte=cutoff, personal_data_erased_at__isnull=True
    ).order_by("state_changed_at", "pk")


@dataclass
class Erased:
    """What one erasure removed: counts per kind of row, and the stored files to delete after
    the transaction commits (a rollback must not have deleted a photo)."""

    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def do_erase_personal_data(appeal_id: int, now: datetime) -> Erased | None:
    """Erase one appeal's personal data; None when it is not due any more (reopened since, or
    erased by a concurrent run). Caller is in a transaction; the row is locked here."""
    appeal = (
        Appeal.objects.select_for_update()
        .filter(pk=appeal_id, state__in=FINISHED_STATES, personal_data_erased_at__isnull=True)
        .first()
    )
    if appeal is None:
        return None
    erased = Erased()
    media = list(AppealMedia.objects.filter(appeal=appeal))
    erased.files = [m.file.name for m in media if m.file]
    erased.rows["photos"] = len(media)
    AppealMedia.objects.filter(pk__in=[m.pk for m in media]).delete()  # landing proofs keep their row
    erased.rows["followers"] = Subscription.objects.filter(appeal=appeal).delete()[0]
    FeedbackCode.objects.filter(appeal=appeal).delete()
    erased.rows["timeline"] = AppealEvent.objects.filter(appeal=appeal, kind__in=WORDY_EVENTS).update(
        note="", data={}
    )
    erased.rows["rating comments"] = (
        Rating.objects.filter(appeal=appeal).exclude(comment="").update(comment="")
    )
    erased.rows["messages"] = erase_finished_messages(OutboxMessage.objects.filter(appeal=appeal))
    # update(), not save(): updated_at is left alone (it is the time of the last state change).
    Appeal.objects.filter(pk=appeal.pk).update(
        reporter_name="",
        reporter_phone="",
        reporter_phone_hash="",
        reporter_email="",
        channel_ref={},
        text="",
        personal_data_erased_at=now,
    )
    erased.rows["appeal"] = 1
    return erased


__all__ = ["FINISHED_STATES", "Erased", "do_erase_personal_data", "due_for_erasure"]
