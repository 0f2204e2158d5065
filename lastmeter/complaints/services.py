"""Every write to a complaint. ``check_*`` validate; ``do_*`` write inside a transaction with the
complaint's row locked, through the transition table, with the timeline and the messages written
in the same transaction.

Callers pass the acting person's Scope; the rules (who may act, who may review) live here and in
``selectors``, so the pages and the API obey the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.complaints import clocks
from lastmeter.complaints.choices import (
    COMPLAINT_TRANSITIONS,
    ComplaintChannel,
    ComplaintClockKind,
    ComplaintEventKind,
    ComplaintState,
    DecisionKind,
    EvidenceKind,
    SubjectKind,
)
from lastmeter.complaints.letter import write_letter
from lastmeter.complaints.models import Complaint, ComplaintEvent, Decision, Evidence
from lastmeter.complaints.notify import deadline_text, notify_complainant, notify_person
from lastmeter.complaints.selectors import (
    access_complaint_by_scope,
    available_actions,
    reviewer_refusal,
    units_of,
)
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.transitions import TransitionError, check_transition

SYSTEM = "system"


@dataclass
class NewComplaint:
    channel: str
    subject_kind: str
    text: str
    complainant_name: str
    complainant_phone: str = ""
    complainant_email: str = ""
    complainant_address: str = ""
    decision_number: str = ""
    ticket_number: str = ""
    incident_at: datetime | None = None
    place: str = ""
    officer: Person | None = None
    officer_description: str = ""
    channel_ref: dict[str, Any] | None = None


def check_new_complaint(data: NewComplaint) -> None:
    if data.channel not in ComplaintChannel.values:
        raise ServiceError(_("Unknown channel “%(channel)s”.") % {"channel": data.channel})
    if data.subject_kind not in SubjectKind.values:
        raise ServiceError(
            _("Say what the complaint is about: a penalty decision, a ticket or an officer's conduct.")
        )
    if not data.text.strip():
        raise ServiceError(_("The complaint is empty: say what happened and what you ask for."))
    if len(data.text) > 20_000:
        raise ServiceError(_("The complaint is longer than 20,000 characters; shorten it."))
    if not data.complainant_name.strip():
        raise ServiceError(_("Give the complainant's name: the reply letter is addressed to them."))
    if not (
        data.complainant_phone.strip() or data.complainant_email.strip() or data.complainant_address.strip()
    ):
        raise ServiceError(
            _("Give a phone number, an e-mail or a postal address: the reply must reach the complainant.")
        )
    if data.subject_kind == SubjectKind.PENALTY_DECISION and not data.decision_number.strip():
        raise ServiceError(_("Give the number of the penalty decision the complaint is about."))
    if data.subject_kind == SubjectKind.TICKET and not data.ticket_number.strip():
        raise ServiceError(_("Give the ticket number the complaint is about."))


def record_event(
    complaint: Complaint,
    kind: str,
    actor: Person | None,
    *,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        actor_label=actor.name if actor else SYSTEM,
        note=note,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def move_state(
    complaint: Complaint,
    target: str,
    actor: Person | None,
    *,
    note: str = "",
    extra_fields: tuple[str, ...] = (),
) -> ComplaintEvent:
    """Change the state through the table and record it. Caller holds the row lock."""
    check_transition(COMPLAINT_TRANSITIONS, complaint.state, target, "complaint")
    previous = complaint.state
    complaint.state = target
    complaint.save(update_fields=["state", "updated_at", *extra_fields])
    return record_event(
        complaint, ComplaintEventKind.STATE, actor, note=note, from_state=previous, to_state=target
    )


def lock_complaint(scope: Scope, complaint_id: int, action: str) -> Complaint:
    """The complaint, row-locked, after checking the viewer may see it (404 otherwise) and may
    take ``action`` now (refused with a sentence otherwise). Call inside ``transaction.atomic()``."""
    access_complaint_by_scope(scope, complaint_id)
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    if action not in available_actions(scope, complaint):
        if complaint.state in (ComplaintState.CLOSED, ComplaintState.WITHDRAWN):
            raise TransitionError(
                _("Complaint %(ref)s is %(state)s; nothing more can be done to it.")
                % {"ref": complaint.reference, "state": complaint.get_state_display()}
            )
        raise NotAllowed(
            _("You may not %(action)s complaint %(ref)s while it is “%(state)s”.")
            % {
                "action": action_label(action),
                "ref": complaint.reference,
                "state": complaint.get_state_display(),
            }
        )
    return complaint


def action_label(action: str) -> str:
    labels = {
        "acknowledge": _("acknowledge"),
        "identify_officer": _("identify the officer concerned in"),
        "assign": _("assign a reviewer to"),
        "add_evidence": _("add evidence to"),
        "decide": _("decide"),
        "appeal": _("record a further appeal on"),
        "close": _("close"),
        "withdraw": _("withdraw"),
        "note": _("add a note to"),
    }
    return str(labels.get(action, action))


# --- filing ------------------------------------------------------------------------------------


def do_file_complaint(
    data: NewComplaint, *, actor: Person | None = None, now: datetime | None = None
) -> Complaint:
    """Record a complaint from any channel, start its acknowledgement and reply clocks and
    confirm receipt to the complainant. ``actor`` is the member of staff who recorded it (a
    call, a visit), None for the complainant's own web form."""
    check_new_complaint(data)
    now = now or timezone.now()
    with transaction.atomic():
        complaint = Complaint.objects.create(
            channel=data.channel,
            channel_ref=data.channel_ref or {},
            subject_kind=data.subject_kind,
            text=data.text.strip(),
            complainant_name=data.complainant_name.strip(),
            complainant_phone=data.complainant_phone.strip(),
            complainant_email=data.complainant_email.strip(),
            complainant_address=data.complainant_address.strip(),
            decision_number=data.decision_number.strip(),
            ticket_number=data.ticket_number.strip(),
            incident_at=data.incident_at,
            place=data.place.strip(),
            officer_description=data.officer_description.strip(),
            filed_by=actor,
        )
        complaint.reference = f"TS{timezone.localtime(now).strftime('%Y%m%d')}{complaint.pk:05d}"
        complaint.save(update_fields=["reference"])
        event = record_event(complaint, ComplaintEventKind.FILED, actor, note=complaint.get_channel_display())
        if data.officer is not None:
            _set_officer(complaint, data.officer, actor)
        clocks.start_clock(complaint, ComplaintClockKind.ACKNOWLEDGE, now=now)
        clocks.start_clock(complaint, ComplaintClockKind.REPLY, now=now)
        notify_complainant(complaint, "received", event_id=event.pk)
    return complaint


def _set_officer(complaint: Complaint, officer: Person, actor: Person | None) -> None:
    units = sorted(units_of(officer))
    complaint.officer = officer
    complaint.unit_id = units[0] if units else None
    complaint.save(update_fields=["officer", "unit", "updated_at"])
    record_event(complaint, ComplaintEventKind.OFFICER, actor, note=officer.name, data={"person": officer.pk})


# --- the legal office's steps --------------------------------------------------------------------


def _acknowledge(complaint: Complaint, actor: Person | None, note: str = "") -> None:
    complaint.acknowledged_at = timezone.now()
    event = move_state(
        complaint, ComplaintState.ACKNOWLEDGED, actor, note=note, extra_fields=("acknowledged_at",)
    )
    clocks.stop_clocks(complaint, [ComplaintClockKind.ACKNOWLEDGE])
    notify_complainant(complaint, "acknowledged", event_id=event.pk)


def do_acknowledge(scope: Scope, complaint_id: int, *, note: str = "") -> Complaint:
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "acknowledge")
        _acknowledge(complaint, scope.person, note)
    return complaint


def do_identify_officer(scope: Scope, complaint_id: int, *, officer: Person) -> Complaint:
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "identify_officer")
        if scope.person is not None and officer.pk == scope.person.pk:
            raise NotAllowed(_("You cannot handle a complaint about yourself."))
        _set_officer(complaint, officer, scope.person)
    return complaint


# Marked for extraction here, translated when a refusal is raised.
REVIEWER_REFUSALS = {
    "inactive": gettext_noop("%(name)s is not active."),
    "not_legal": gettext_noop(
        "%(name)s is not a legal-office reviewer; only the legal office reviews complaints."
    ),
    "no_officer": gettext_noop(
        "Identify the officer concerned first: the reviewer must be independent of them."
    ),
    "concerned": gettext_noop("%(name)s is the officer the complaint is about and cannot review it."),
    "chain": gettext_noop(
        "%(name)s is in the chain of command of the officer concerned (%(officer)s) "
        "and cannot review the complaint."
    ),
    "first_reviewer": gettext_noop(
        "%(name)s decided the first review; the further appeal goes to a second reviewer."
    ),
}


def check_reviewer(complaint: Complaint, reviewer: Person) -> None:
    """Refuse a reviewer who is not an independent legal-office reviewer for this complaint."""
    reason = reviewer_refusal(complaint, reviewer)
    if reason:
        values = {"name": reviewer.name, "officer": complaint.officer.name if complaint.officer else ""}
        raise NotAllowed(_(REVIEWER_REFUSALS[reason]) % values)


def do_assign(scope: Scope, complaint_id: int, *, reviewer: Person) -> Complaint:
    """Give the complaint (first review, or the further appeal) to an independent reviewer; a
    complaint nobody acknowledged yet is acknowledged on the way."""
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "assign")
        check_reviewer(complaint, reviewer)
        if complaint.state == ComplaintState.RECEIVED:
            _acknowledge(complaint, scope.person)
        complaint.reviewer = reviewer
        move_state(
            complaint, ComplaintState.IN_REVIEW, scope.person, note=reviewer.name, extra_fields=("reviewer",)
        )
        event = record_event(
            complaint,
            ComplaintEventKind.ASSIGNED,
            scope.person,
            note=reviewer.name,
            data={"person": reviewer.pk},
        )
        due = complaint.next_deadline_at or timezone.now()
        notify_person(
            reviewer,
            deadline_text(complaint, "assigned", due),
            key=f"complaint:{complaint.pk}:assigned:{event.pk}",
        )
    return complaint


def do_add_evidence(scope: Scope, complaint_id: int, *, kind: str, description: str, upload=None) -> Evidence:
    """The reviewer adds a document, a photo or the officer's statement (text, file or both)."""
    if kind not in EvidenceKind.values:
        raise ServiceError(_("Unknown kind of evidence “%(kind)s”.") % {"kind": kind})
    if not description.strip():
        raise ServiceError(_("Describe the evidence (for a statement: its text)."))
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "add_evidence")
        item = Evidence(
            complaint=complaint,
            kind=kind,
            description=description.strip(),
            added_by=scope.person,
            round=complaint.round,
            content_type=getattr(upload, "content_type", "") or "",
        )
        if upload is not None:
            item.file.save(upload.name, upload, save=False)
        item.save()
        record_event(
            complaint,
            ComplaintEventKind.EVIDENCE,
            scope.person,
            note=item.get_kind_display(),
            data={"evidence": item.pk},
        )
    return item


def do_decide(scope: Scope, complaint_id: int, *, kind: str, reasons: str) -> Decision:
    """The reviewer's decision with reasons: the reply letter is generated and kept, the
    complainant is told, and the round's reply clock is met."""
    if kind not in DecisionKind.values:
        raise ServiceError(_("Choose a decision: upheld, corrected, revoked or partly upheld."))
    if len(reasons.strip()) < 10:
        raise ServiceError(_("Give the reasons for the decision: they are written into the reply letter."))
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "decide")
        assert scope.person is not None  # available_actions offers "decide" to the reviewer only
        now = timezone.now()
        decision = Decision.objects.create(
            complaint=complaint,
            round=complaint.round,
            kind=kind,
            reasons=reasons.strip(),
            reviewer=scope.person,
            decided_at=now,
        )
        write_letter(complaint, decision)
        complaint.decided_at = now
        move_state(complaint, ComplaintState.DECIDED, scope.person, extra_fields=("decided_at",))
        event = record_event(
            complaint,
            ComplaintEventKind.DECIDED,
            scope.person,
            note=decision.get_kind_display(),
            data={"decision": decision.pk},
        )
        clocks.stop_clocks(complaint, [ComplaintClockKind.REPLY, ComplaintClockKind.ACKNOWLEDGE])
        if notify_complainant(
            complaint, "decided", extra=str(decision.get_kind_display()), event_id=event.pk
        ):
            record_event(complaint, ComplaintEventKind.LETTER, None, data={"decision": decision.pk})
    return decision


def do_appeal(scope: Scope, complaint_id: int, *, reason: str) -> Complaint:
    """The complainant's one further appeal, recorded by staff: a second round with a new reply
    clock; the reviewer must then be someone other than the first."""
    if not reason.strip():
        raise ServiceError(_("Give the complainant's reason for the further appeal."))
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "appeal")
        if complaint.round > 1:
            raise ServiceError(_("A decision can be appealed only once; this was the final reply."))
        complaint.round = 2
        complaint.appeal_reason = reason.strip()
        complaint.reviewer = None
        move_state(
            complaint,
            ComplaintState.APPEALED,
            scope.person,
            note=reason.strip(),
            extra_fields=("round", "appeal_reason", "reviewer"),
        )
        event = record_event(complaint, ComplaintEventKind.APPEALED, scope.person, note=reason.strip())
        clocks.start_clock(complaint, ComplaintClockKind.REPLY)
        notify_complainant(complaint, "appealed", event_id=event.pk)
    return complaint


def do_close(scope: Scope, complaint_id: int, *, reason: str) -> Complaint:
    if not reason.strip():
        raise ServiceError(_("Give a reason to close the complaint: the complainant is told."))
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "close")
        complaint.closed_at = timezone.now()
        event = move_state(
            complaint, ComplaintState.CLOSED, scope.person, note=reason.strip(), extra_fields=("closed_at",)
        )
        clocks.stop_clocks(complaint, list(ComplaintClockKind.values), cancel=True)
        notify_complainant(complaint, "closed", extra=reason.strip(), event_id=event.pk)
    return complaint


def do_withdraw(scope: Scope, complaint_id: int, *, reason: str) -> Complaint:
    """The complainant withdrew (recorded by staff): the clocks are cancelled, not counted."""
    if not reason.strip():
        raise ServiceError(_("Say how the complainant withdrew the complaint."))
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "withdraw")
        complaint.closed_at = timezone.now()
        event = move_state(
            complaint,
            ComplaintState.WITHDRAWN,
            scope.person,
            note=reason.strip(),
            extra_fields=("closed_at",),
        )
        clocks.stop_clocks(complaint, list(ComplaintClockKind.values), cancel=True)
        notify_complainant(complaint, "withdrawn", extra=reason.strip(), event_id=event.pk)
    return complaint


def do_note(scope: Scope, complaint_id: int, *, note: str) -> Complaint:
    if not note.strip():
        raise ServiceError(_("The note is empty."))
    with transaction.atomic():
        complaint = lock_complaint(scope, complaint_id, "note")
        record_event(complaint, ComplaintEventKind.NOTE, scope.person, note=note.strip())
    return complaint
