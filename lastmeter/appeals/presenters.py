"""Turning appeals into the dicts the API and pages show, with personal data masked."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import Appeal, AppealEvent, Clock
from lastmeter.appeals.selectors import available_actions
from lastmeter.lib.text import mask_name, mask_phone


def masked_reporter(appeal: Appeal) -> str:
    parts = [mask_name(appeal.reporter_name), mask_phone(appeal.reporter_phone)]
    return " ".join(p for p in parts if p) or "—"


def appeal_row(appeal: Appeal) -> dict[str, Any]:
    now = timezone.now()
    return {
        "id": appeal.pk,
        "reference": appeal.reference,
        "state": appeal.state,
        "channel": appeal.channel,
        "category": appeal.category.name if appeal.category else None,
        "grid": appeal.grid.name if appeal.grid else None,
        "assignee": appeal.assignee.name if appeal.assignee else None,
        "reporter": masked_reporter(appeal),
        "text": appeal.text,
        "lat": appeal.lat,
        "lon": appeal.lon,
        "priority": appeal.priority,
        "created_at": appeal.created_at,
        "next_deadline_at": appeal.next_deadline_at,
        "overdue": bool(appeal.next_deadline_at and appeal.next_deadline_at <= now)
        or appeal.clocks.filter(state="breached").exists(),
    }


def actor_label(event: AppealEvent) -> str:
    """Who did it, in words: the stored label ('system', 'reporter' are codes, translated here), or
    the person's name."""
    label = event.actor_label or (event.actor.name if event.actor else "system")
    if label == "system":
        return _("system")
    if label == "reporter":
        return _("reporter")
    return label


def event_row(event: AppealEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "kind": event.kind,
        "actor": actor_label(event),
        "channel": event.channel,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "note": event.note,
    }


def clock_row(clock: Clock) -> dict[str, Any]:
    return {
        "kind": clock.kind,
        "state": clock.state,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "warned_at": clock.warned_at,
        "breached_at": clock.breached_at,
        "met_at": clock.met_at,
    }


def appeal_detail(scope: Scope, appeal: Appeal) -> dict[str, Any]:
    data = appeal_row(appeal)
    data.update(
        {
            "address": appeal.address,
            "resolution": appeal.resolution,
            "department": appeal.department.name if appeal.department else None,
            "waiting_for_reporter": appeal.waiting_for_reporter,
            "actions": available_actions(scope, appeal),
            "clocks": [clock_row(c) for c in appeal.clocks.all()],
            "events": [event_row(e) for e in appeal.events.select_related("actor")],
        }
    )
    return data
