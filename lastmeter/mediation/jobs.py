"""The mediation app's two background jobs, composed by ``lastmeter.worker``:

* ``sweep_follow_ups``: a follow-up visit not made by the end of its due day becomes overdue
  (compare-and-set on the state, so two workers tell the mediator once);
* ``link_recurrences``: appeals filed since the last pass are compared with the open and agreed
  cases; an appeal by one of the parties (same phone number) or at the same address (same text,
  or within ``LASTMETER_MEDIATION_SAME_ADDRESS_M`` metres) is linked to the case and flags it.
  The appeals app knows nothing of mediation (it sits on a lower floor), so the link is made by
  looking at new appeals rather than by a hook in appeal creation.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Person
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.lib.geo import haversine_m
from lastmeter.mediation.choices import CaseEventKind, CaseState, FollowUpState, RecurrenceReason
from lastmeter.mediation.models import CaseEvent, FollowUp, MediationCase, RecurrenceLink, RecurrenceWatermark

# How long after opening a case a new appeal still counts as the same dispute coming back.
RECURRENCE_HORIZON = timedelta(days=365)


def _tell(person: Person, body: str, key: str) -> None:
    if person.phone:
        enqueue(key=key, transport="sms", recipient={"phone": person.phone, "person": person.pk}, body=body)
    else:
        enqueue(key=key, transport="console", recipient={"person": person.pk}, body=body)


def sweep_follow_ups(now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Mark follow-up visits past their due day overdue and tell the mediator. Idempotent."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    overdue = 0
    ids = list(
        FollowUp.objects.filter(state=FollowUpState.SCHEDULED, due_on__lt=today).values_list("id", flat=True)[
            :limit
        ]
    )
    for visit_id in ids:
        with transaction.atomic():
            if not FollowUp.objects.filter(id=visit_id, state=FollowUpState.SCHEDULED).update(
                state=FollowUpState.OVERDUE
            ):
                continue
            visit = FollowUp.objects.select_related("case", "case__mediator").get(id=visit_id)
            case = visit.case
            CaseEvent.objects.create(
                case=case,
                kind=CaseEventKind.FOLLOW_UP_OVERDUE,
                actor_label="system",
                note=f"{visit.due_on:%Y-%m-%d}",
            )
            with translation.override(settings.LANGUAGE_CODE):
                body = _(
                    "[lastmeter] Mediation case %(ref)s: the follow-up visit due on %(day)s has not been made."
                ) % {
                    "ref": case.reference,
                    "day": f"{visit.due_on:%Y-%m-%d}",
                }
            _tell(case.mediator, body, f"followup:{visit.pk}:overdue")
            overdue += 1
    return {"follow_ups_overdue": overdue}


def _normal_address(address: str) -> str:
    return re.sub(r"\s+", "", address or "")


def _reason(case: MediationCase, phones: set[str], appeal: Appeal) -> str:
    if appeal.reporter_phone_hash and appeal.reporter_phone_hash in phones:
        return RecurrenceReason.SAME_PARTY
    if case.address and _normal_address(case.address) == _normal_address(appeal.address):
        return RecurrenceReason.SAME_ADDRESS
    if None not in (case.lat, case.lon, appeal.lat, appeal.lon):
        distance = haversine_m(case.lat, case.lon, appeal.lat, appeal.lon)  # type: ignore[arg-type]
        if distance <= settings.LASTMETER_MEDIATION_SAME_ADDRESS_M:
            return RecurrenceReason.SAME_ADDRESS
    return ""


def link_recurrences(limit: int = 500) -> dict[str, int]:
    """Link the appeals filed since the last pass to the cases they recur in. Safe to run twice at
    once: links are unique per case and appeal, and the scan position moves by compare-and-set."""
    mark, _created = RecurrenceWatermark.objects.get_or_create(pk=1)
    appeals = list(Appeal.objects.filter(pk__gt=mark.last_appeal_id).order_by("pk")[:limit])
    if not appeals:
        return {"recurrences": 0}
    earliest = appeals[0].created_at - RECURRENCE_HORIZON
    cases = list(
        MediationCase.objects.filter(opened_at__gte=earliest)
        .exclude(state=CaseState.REFERRED)
        .select_related("mediator", "appeal")
        .prefetch_related("parties")
    )
    # The parties' numbers by their keyed hashes (normalised, so "+86 139…" matches "139…"):
    # nothing is decrypted to compare them.
    phones = {
        case.pk: {p.phone_hash for p in case.parties.all() if p.phone_hash}
        | ({case.appeal.reporter_phone_hash} if case.appeal and case.appeal.reporter_phone_hash else set())
        for case in cases
    }
    linked = 0
    for appeal in appeals:
        for case in cases:
            if case.appeal_id == appeal.pk or case.opened_at >= appeal.created_at:
                continue
            reason = _reason(case, phones[case.pk], appeal)
            if reason:
                linked += _link(case, appeal, reason)
    RecurrenceWatermark.objects.filter(pk=mark.pk, last_appeal_id=mark.last_appeal_id).update(
        last_appeal_id=appeals[-1].pk
    )
    return {"recurrences": linked}


def _link(case: MediationCase, appeal: Appeal, reason: str) -> int:
    try:
        with transaction.atomic():
            link = RecurrenceLink.objects.create(case=case, appeal=appeal, reason=reason)
            MediationCase.objects.filter(pk=case.pk).update(recurrence_flag=True)
            CaseEvent.objects.create(
                case=case,
                kind=CaseEventKind.RECURRENCE,
                actor_label="system",
                note=appeal.reference or "",
                data={"appeal": appeal.pk, "reason": reason},
            )
            with translation.override(settings.LANGUAGE_CODE):
                body = _(
                    "[lastmeter] Mediation case %(ref)s: a new appeal %(appeal)s looks like the same dispute again."
                ) % {
                    "ref": case.reference,
                    "appeal": appeal.reference,
                }
            _tell(case.mediator, body, f"recurrence:{link.pk}")
    except IntegrityError:
        return 0  # linked already, by another pass
    return 1


__all__ = ["link_recurrences", "sweep_follow_ups"]
