"""One entry point for every action on a meeting, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.lib.errors import ServiceError
from lastmeter.meetings import services
from lastmeter.meetings.forms import ACTION_FORMS
from lastmeter.meetings.models import Meeting
from lastmeter.meetings.selectors import access_meeting_by_scope

ACTIONS = tuple(ACTION_FORMS)


def _pk(value: Any) -> int | None:
    return getattr(value, "pk", value) if value not in (None, "") else None


def _as(model: Any, value: Any) -> Any:
    if value is None or isinstance(value, model):
        return value
    return model.objects.filter(pk=value).first()


def run_action(scope: Scope, meeting_id: int, action: str, data: dict[str, Any]) -> Meeting:
    """Run ``action`` with its input (a form's cleaned data or the API's body)."""
    if action not in ACTIONS:
        raise ServiceError(_("Unknown action “%(action)s”.") % {"action": action})
    access_meeting_by_scope(scope, meeting_id)  # 404 before any other answer
    if action == "add_item":
        services.do_add_item(scope, meeting_id, title=data.get("title") or "")
    elif action == "add_attendee":
        services.do_add_attendee(
            scope,
            meeting_id,
            name=data.get("name") or "",
            kind=data.get("kind") or "",
            department=_as(Department, data.get("department")),
        )
    elif action == "minutes":
        services.do_record_minutes(scope, meeting_id, minutes=data.get("minutes") or "")
    elif action == "decide":
        services.do_decide(
            scope,
            meeting_id,
            services.NewDecision(
                item_id=_pk(data.get("item")),
                decision=data.get("decision") or "",
                task=data.get("task") or "",
                owner=_as(Person, data.get("owner")),
                working_days=int(data.get("working_days") or 0),
                department=_as(Department, data.get("department")),
            ),
        )
    elif action == "report_back":
        services.do_report_back(
            scope,
            meeting_id,
            item_id=_pk(data.get("item")) or 0,
            report=data.get("report") or "",
            done=bool(data.get("done")),
        )
    else:
        services.do_close(scope, meeting_id)
    return Meeting.objects.get(pk=meeting_id)
