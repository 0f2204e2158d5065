"""Erasing a closed mediation case's personal data, keeping everything the figures count.

Kept: the case's row with its reference, source, appeal, type of dispute, place (coordinates,
grid, community), mediator, state, outcome, referral target and dates; its parties' sides and
consent times; its sessions' times and places; its agreement's and confirmations' dates; its
follow-ups' dates, states and whether the agreement was kept; its recurrence links; the kinds,
states and times of its timeline — what ``lastmeter.stats.community_work`` reads. Erased: the
parties' names, phones (and hashes) and how they consented; the case's summary, address, outcome
and referral notes; who attended and what was said; the agreement's text and terms; how each
party confirmed; the follow-ups' notes; the timeline's notes and data.

A case is due once it was closed at or before the cutoff *and* opened longer ago than the
recurrence horizon (``mediation.jobs.RECURRENCE_HORIZON``): until then a new appeal by the same
party (found by the phone's hash) must still be linked to it, or the recurrence figure would
change after the erasure. ``lastmeter/ops/retention.py`` runs this.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from lastmeter.appeals.retention import Erased
from lastmeter.mediation.choices import CaseState
from lastmeter.mediation.jobs import RECURRENCE_HORIZON
from lastmeter.mediation.models import (
    Agreement,
    CaseEvent,
    Confirmation,
    FollowUp,
    MediationCase,
    Party,
    Session,
)


def due_for_erasure(cutoff: datetime, now: datetime) -> QuerySet[MediationCase]:
    """Closed cases closed at or before ``cutoff``, opened before the recurrence horizon, that
    still hold personal data (the ``mediation_retention_due`` partial index)."""
    return MediationCase.objects.filter(
        state=CaseState.CLOSED,
        closed_at__lte=cutoff,
        opened_at__lte=now - RECURRENCE_HORIZON,
        personal_data_erased_at__isnull=True,
    ).order_by("closed_at", "pk")


def do_erase_personal_data(case_id: int, now: datetime) -> Erased | None:
    """Erase one case's personal data; None when it is not due any more (erased by a concurrent
    run). Caller is in a transaction; the row is locked here."""
    case = (
        MediationCase.objects.select_for_update()
        .filter(pk=case_id, state=CaseState.CLOSED, personal_data_erased_at__isnull=True)
        .first()
    )
    if case is None:
        return None
    erased = Erased()
    erased.rows["parties"] = Party.objects.filter(case=case).update(
        name="", phone="", phone_hash="", consent_how=""
    )
    erased.rows["sessions"] = Session.objects.filter(case=case).update(attendees="", notes="")
    erased.rows["agreement"] = Agreement.objects.filter(case=case).update(text="", terms="")
    Confirmation.objects.filter(agreement__case=case).update(how="")
    erased.rows["follow-ups"] = FollowUp.objects.filter(case=case).exclude(note="").update(note="")
    erased.rows["timeline"] = CaseEvent.objects.filter(case=case).update(note="", data={})
    # update(), not save(): updated_at stays the time of the last change a person made.
    MediationCase.objects.filter(pk=case.pk).update(
        summary="",
        address="",
        outcome_note="",
        referral_note="",
        personal_data_erased_at=now,
    )
    erased.rows["case"] = 1
    return erased


__all__ = ["do_erase_personal_data", "due_for_erasure"]
