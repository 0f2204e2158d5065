"""The officer concerned's own statement on a complaint about them.

The officer never opens the complaint (``selectors.visible_complaints`` leaves it out for them):
here they see only what they must answer — the reference, what it is about, when and where, and
the complaint's text with phone numbers and e-mail addresses taken out — never the complainant's
name or contact details. Only that officer may submit, once per round, while the complaint is
open; the statement becomes evidence of the round (kind ``officer_statement``, added by the
officer) on the reviewer's timeline, and the reviewer is told.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from lastmeter.accounts.selectors import Scope
from lastmeter.complaints.choices import OPEN_STATES, ComplaintEventKind, EvidenceKind
from lastmeter.complaints.models import Complaint, Evidence
from lastmeter.complaints.notify import notify_person
from lastmeter.complaints.services import record_event
from lastmeter.lib.errors import NotAllowed, ServiceError

MAX_STATEMENT = 5000
# A phone number (7+ digits, spaces or dashes between) or an e-mail address in the complaint's
# text: the complainant's contact details, whatever field they typed them in. ASCII classes: in
# Unicode \w would take the Chinese words before an address along with it.
CONTACT = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d[\d\s-]{5,}\d", re.ASCII)


def redact_contacts(text: str) -> str:
    return CONTACT.sub(_("[contact removed]"), text)


def complaints_about_me(scope: Scope) -> QuerySet[Complaint]:
    """The complaints about the viewer, newest first (none for someone who is nobody)."""
    if scope.person is None:
        return Complaint.objects.none()
    return Complaint.objects.filter(officer=scope.person).order_by("-created_at")


def access_complaint_about_me(scope: Scope, complaint_id: int) -> Complaint:
    """The complaint if the viewer is its officer concerned; Http404 otherwise (missing, or about
    someone else — the same answer)."""
    complaint = complaints_about_me(scope).filter(pk=complaint_id).first()
    if complaint is None:
        raise Http404("no such complaint about you")
    return complaint


def own_statement(complaint: Complaint, scope: Scope) -> Evidence | None:
    """The viewer's statement of the complaint's current round, if they gave one."""
    return Evidence.objects.filter(
        complaint=complaint, kind=EvidenceKind.OFFICER_STATEMENT, added_by=scope.person, round=complaint.round
    ).first()


def statement_view(complaint: Complaint, scope: Scope) -> dict[str, Any]:
    """What the officer concerned may read of the complaint: nothing of the complainant."""
    mine = own_statement(complaint, scope)
    return {
        "id": complaint.pk,
        "reference": complaint.reference or "",
        "state": complaint.state,
        "state_label": complaint.get_state_display(),
        "subject_label": complaint.get_subject_kind_display(),
        "number": complaint.decision_number or complaint.ticket_number,
        "incident_at": complaint.incident_at,
        "place": complaint.place,
        "text": redact_contacts(complaint.text),
        "round": complaint.round,
        "open": complaint.state in OPEN_STATES,
        "statement": mine.description if mine else "",
        "statement_at": mine.at if mine else None,
    }


def do_submit_statement(scope: Scope, complaint_id: int, *, text: str) -> Evidence:
    """The officer concerned's statement, as evidence of the current round. Refused: anyone else
    (404, as for a missing complaint), an empty or overlong text (400), a closed, decided or
    withdrawn complaint and a second statement in the same round (403)."""
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write your statement: what happened, from your side."))
    if len(text) > MAX_STATEMENT:
        raise ServiceError(
            _("A statement has at most %(most)d characters; this one has %(n)d.")
            % {"most": MAX_STATEMENT, "n": len(text)}
        )
    with transaction.atomic():
        access_complaint_about_me(scope, complaint_id)
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        if complaint.state not in OPEN_STATES:
            raise NotAllowed(
                _("Complaint %(ref)s is “%(state)s”: statements are taken while it is being reviewed.")
                % {"ref": complaint.reference, "state": complaint.get_state_display()}
            )
        if own_statement(complaint, scope) is not None:
            raise NotAllowed(
                _(
                    "You have already given your statement on complaint %(ref)s in this round; the reviewer has it."
                )
                % {"ref": complaint.reference}
            )
        item = Evidence.objects.create(
            complaint=complaint,
            kind=EvidenceKind.OFFICER_STATEMENT,
            description=text,
            added_by=scope.person,
            round=complaint.round,
        )
        record_event(
            complaint,
            ComplaintEventKind.EVIDENCE,
            scope.person,
            note=str(EvidenceKind.OFFICER_STATEMENT.label),
            data={"evidence": item.pk, "by_officer_concerned": True},
        )
        if complaint.reviewer is not None:
            notify_person(
                complaint.reviewer,
                _("[lastmeter] Complaint %(ref)s: the officer concerned has given their statement.")
                % {"ref": complaint.reference},
                key=f"complaint:{complaint.pk}:statement:{item.pk}",
            )
    return item


__all__ = [
    "access_complaint_about_me",
    "complaints_about_me",
    "do_submit_statement",
    "own_statement",
    "redact_contacts",
    "statement_view",
]
