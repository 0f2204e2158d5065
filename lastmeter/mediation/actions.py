"""One entry point for every action on a mediation case, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department
from lastmeter.accounts.selectors import Scope
from lastmeter.lib.errors import ServiceError
from lastmeter.mediation import services
from lastmeter.mediation.forms import ACTION_FORMS
from lastmeter.mediation.models import MediationCase
from lastmeter.mediation.selectors import access_case_by_scope

ACTIONS = tuple(ACTION_FORMS)


def _pk(value: Any) -> int | None:
    return getattr(value, "pk", value) if value not in (None, "") else None


def run_action(scope: Scope, case_id: int, action: str, data: dict[str, Any]) -> MediationCase:
    """Run ``action`` with its input (a form's cleaned data or the API's body)."""
    if action not in ACTIONS:
        raise ServiceError(_("Unknown action “%(action)s”.") % {"action": action})
    access_case_by_scope(scope, case_id)  # 404 before any other answer
    note = (data.get("note") or "").strip()
    if action == "add_party":
        services.do_add_party(
            scope,
            case_id,
            services.NewParty(data.get("name") or "", data.get("side") or "", data.get("phone") or ""),
        )
    elif action == "consent":
        services.do_record_consent(
            scope, case_id, party_id=_pk(data.get("party")) or 0, how=data.get("how") or ""
        )
    elif action == "session":
        services.do_record_session(
            scope,
            case_id,
            held_at=data.get("held_at") or timezone.now(),
            place=data.get("place") or "",
            attendees=data.get("attendees") or "",
            notes=data.get("notes") or "",
        )
    elif action == "draft_agreement":
        services.do_draft_agreement(
            scope, case_id, text=data.get("text") or "", terms=data.get("terms") or ""
        )
    elif action == "confirm":
        services.do_confirm(scope, case_id, party_id=_pk(data.get("party")) or 0, how=data.get("how") or "")
    elif action == "conclude":
        services.do_conclude(scope, case_id, partial=bool(data.get("partial")), note=note)
    elif action == "fail":
        services.do_fail(scope, case_id, note=note)
    elif action == "refer":
        department = data.get("department")
        if department is not None and not isinstance(department, Department):
            department = Department.objects.filter(pk=department).first()
        services.do_refer(scope, case_id, target=data.get("target") or "", department=department, note=note)
    elif action == "follow_up":
        services.do_follow_up(
            scope,
            case_id,
            follow_up_id=_pk(data.get("follow_up")) or 0,
            kept=bool(data.get("kept")),
            note=note,
        )
    elif action == "close":
        services.do_close(scope, case_id, note=note)
    else:
        services.do_note(scope, case_id, note=note)
    return MediationCase.objects.get(pk=case_id)
