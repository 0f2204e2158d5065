"""What the complaint pages and the API show: masked or full contact details, by who looks."""

from __future__ import annotations

from typing import Any

from lastmeter.accounts.selectors import Scope
from lastmeter.complaints.models import Complaint
from lastmeter.complaints.selectors import available_actions, may_see_contact
from lastmeter.lib.text import mask_name, mask_phone


def complaint_row(complaint: Complaint) -> dict[str, Any]:
    """A line of a list: the complainant masked, for everyone."""
    return {
        "id": complaint.pk,
        "reference": complaint.reference,
        "state": complaint.state,
        "state_label": complaint.get_state_display(),
        "channel": complaint.channel,
        "subject_kind": complaint.subject_kind,
        "subject_label": complaint.get_subject_kind_display(),
        "number": complaint.decision_number or complaint.ticket_number,
        "complainant": mask_name(complaint.complainant_name),
        "officer": complaint.officer.name if complaint.officer else "",
        "unit": complaint.unit.name if complaint.unit else "",
        "reviewer": complaint.reviewer.name if complaint.reviewer else "",
        "round": complaint.round,
        "next_deadline_at": complaint.next_deadline_at,
        "created_at": complaint.created_at,
    }


def complaint_detail(scope: Scope, complaint: Complaint) -> dict[str, Any]:
    """The complaint for this viewer: contact details in full only when ``may_see_contact``
    (the caller writes the access log then: ``contact_shown``)."""
    full = may_see_contact(scope, complaint)
    data = complaint_row(complaint)
    data.update(
        {
            "text": complaint.text,
            "place": complaint.place,
            "incident_at": complaint.incident_at,
            "officer_description": complaint.officer_description,
            "appeal_reason": complaint.appeal_reason,
            "contact_shown": full,
            "complainant": complaint.complainant_name if full else mask_name(complaint.complainant_name),
            "phone": complaint.complainant_phone if full else mask_phone(complaint.complainant_phone),
            "email": complaint.complainant_email if full else ("***" if complaint.complainant_email else ""),
            "address": complaint.complainant_address
            if full
            else ("***" if complaint.complainant_address else ""),
            "actions": available_actions(scope, complaint),
            "clocks": [
                {"kind": c.kind, "round": c.round, "state": c.state, "due_at": c.due_at, "met_at": c.met_at}
                for c in complaint.clocks.order_by("started_at", "id")
            ],
            "evidence": [
                {
                    "id": e.pk,
                    "kind": e.kind,
                    "kind_label": e.get_kind_display(),
                    "description": e.description,
                    "has_file": bool(e.file),
                    "round": e.round,
                    "at": e.at,
                }
                for e in complaint.evidence.all()
            ],
            "decisions": [
                {
                    "round": d.round,
                    "kind": d.kind,
                    "kind_label": d.get_kind_display(),
                    "reasons": d.reasons,
                    "reviewer": d.reviewer.name,
                    "decided_at": d.decided_at,
                    "letter_sha256": d.letter_sha256,
                }
                for d in complaint.decisions.select_related("reviewer")
            ],
            "events": [
                {
                    "at": e.at,
                    "kind": e.kind,
                    "actor": e.actor_label,
                    "from_state": e.from_state,
                    "to_state": e.to_state,
                    "note": e.note,
                }
                for e in complaint.events.all()
            ],
        }
    )
    return data
