"""Erasing a finished complaint's personal data, keeping everything the figures count.

Kept: the complaint's row with its reference, channel, subject kind, dates, officer concerned,
unit, reviewer, round and states; its clocks; its decisions' kinds, rounds, reviewers and dates
(and the letter's SHA-256, the proof of what was sent); the kinds, states, actors and times of its
timeline; its evidence rows' kinds — what ``lastmeter.stats.community_work`` reads. Erased: the
complainant's name, phone (and its hash), e-mail, postal address and channel reference; the
complaint's words (text, the reason for a further appeal, the officer as described, the decision
and ticket numbers that lead to the complainant's file); the decisions' reasons and reply letters
(files too: the letter is addressed to the complainant); the evidence's descriptions and files;
the timeline's notes and data; the outbox's copies of what was sent about it.

Finished means closed or withdrawn (``closed_at``): a decided complaint may still be appealed
further, and is kept whole until it is closed. ``lastmeter/ops/retention.py`` runs this.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.retention import Erased, erase_finished_messages
from lastmeter.complaints.choices import ComplaintState
from lastmeter.complaints.models import Complaint, ComplaintEvent, Decision, Evidence

FINISHED_STATES = (ComplaintState.CLOSED, ComplaintState.WITHDRAWN)


def due_for_erasure(cutoff: datetime) -> QuerySet[Complaint]:
    """Closed or withdrawn complaints finished at or before ``cutoff`` that still hold personal
    data (the ``complaint_retention_due`` partial index)."""
    return Complaint.objects.filter(
        state__in=FINISHED_STATES, closed_at__lte=cutoff, personal_data_erased_at__isnull=True
    ).order_by("closed_at", "pk")


def sent_about(complaint_id: int) -> QuerySet[OutboxMessage]:
    """The outbox rows of a complaint (to the complainant and to staff), by their key's prefix."""
    return OutboxMessage.objects.filter(key__startswith=f"complaint:{complaint_id}:")


def do_erase_personal_data(complaint_id: int, now: datetime) -> Erased | None:
    """Erase one complaint's personal data; None when it is not due any more (erased by a
    concurrent run). Caller is in a transaction; the row is locked here."""
    complaint = (
        Complaint.objects.select_for_update()
        .filter(pk=complaint_id, state__in=FINISHED_STATES, personal_data_erased_at__isnull=True)
        .first()
    )
    if complaint is None:
        return None
    erased = Erased()
    evidence = list(Evidence.objects.filter(complaint=complaint))
    decisions = list(Decision.objects.filter(complaint=complaint))
    erased.files = [e.file.name for e in evidence if e.file] + [d.letter.name for d in decisions if d.letter]
    erased.rows["evidence"] = Evidence.objects.filter(complaint=complaint).update(description="", file="")
    erased.rows["decisions"] = Decision.objects.filter(complaint=complaint).update(reasons="", letter="")
    erased.rows["timeline"] = ComplaintEvent.objects.filter(complaint=complaint).update(note="", data={})
    erased.rows["messages"] = erase_finished_messages(sent_about(complaint.pk))
    # update(), not save(): updated_at stays the time of the last change a person made.
    Complaint.objects.filter(pk=complaint.pk).update(
        complainant_name="",
        complainant_phone="",
        complainant_phone_hash="",
        complainant_email="",
        complainant_address="",
        channel_ref={},
        text="",
        appeal_reason="",
        officer_description="",
        decision_number="",
        ticket_number="",
        personal_data_erased_at=now,
    )
    erased.rows["complaint"] = 1
    return erased


__all__ = ["FINISHED_STATES", "do_erase_personal_data", "due_for_erasure", "sent_about"]
