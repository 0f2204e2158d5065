"""One entry point for every action on a complaint, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.complaints import services
from lastmeter.complaints.models import Complaint
from lastmeter.complaints.selectors import access_complaint_by_scope
from lastmeter.lib.errors import ServiceError

ACTIONS = (
    "acknowledge",
    "identify_officer",
    "assign",
    "add_evidence",
    "decide",
    "appeal",
    "close",
    "withdraw",
    "note",
)


def _person(value: Any) -> Person:
    if isinstance(value, Person):
        return value
    person = Person.objects.filter(pk=value).first() if isinstance(value, int) else None
    if person is None:
        raise ServiceError(_("No such person."))
    return person


def run_action(scope: Scope, complaint_id: int, action: str, data: dict[str, Any]) -> Complaint:
    """Run ``action`` with its input (a form's cleaned data or the API's body)."""
    if action not in ACTIONS:
        raise ServiceError(_("Unknown action “%(action)s”.") % {"action": action})
    access_complaint_by_scope(scope, complaint_id)  # 404 before any other answer
    text = (data.get("note") or data.get("reason") or "").strip()
    if action == "acknowledge":
        return services.do_acknowledge(scope, complaint_id, note=text)
    if action == "identify_officer":
        return services.do_identify_officer(scope, complaint_id, officer=_person(data.get("officer")))
    if action == "assign":
        return services.do_assign(scope, complaint_id, reviewer=_person(data.get("reviewer")))
    if action == "add_evidence":
        services.do_add_evidence(
            scope,
            complaint_id,
            kind=data.get("kind") or "",
            description=data.get("description") or "",
            upload=data.get("file"),
        )
    elif action == "decide":
        services.do_decide(
            scope, complaint_id, kind=data.get("kind") or "", reasons=data.get("reasons") or ""
        )
    elif action == "appeal":
        return services.do_appeal(scope, complaint_id, reason=text)
    elif action == "close":
        return services.do_close(scope, complaint_id, reason=text)
    elif action == "withdraw":
        return services.do_withdraw(scope, complaint_id, reason=text)
    else:
        return services.do_note(scope, complaint_id, note=text)
    return Complaint.objects.get(pk=complaint_id)
