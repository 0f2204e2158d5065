"""Turning appeals into the dicts the API and pages show, with personal data masked."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import ClockState
from lastmeter.appeals.models import Appeal, AppealEvent, Clock, Transfer
from lastmeter.appeals.selectors import ASSIGNABLE_ROLES, available_actions, may_reveal_reporter_phone
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
        or _has_breached_clock(appeal),
        "updated_at": appeal.updated_at,
    }


def _has_breached_clock(appeal: Appeal) -> bool:
    annotated = getattr(appeal, "has_breached_clock", None)  # filtered_queue asks it with the rows
    if annotated is not None:
        return bool(annotated)
    return appeal.clocks.filter(state="breached").exists()


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
        "kind_label": clock.get_kind_display(),
        "state": clock.state,
        "state_label": clock.get_state_display(),
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
            "can_call_reporter": may_reveal_reporter_phone(scope, appeal),
            "clocks": [clock_row(c) for c in appeal.clocks.all()],
            "events": [event_row(e) for e in appeal.events.select_related("actor")],
        }
    )
    return data


DEPARTMENT_ACTIONS = ("accept_transfer", "return_transfer", "complete_transfer")


def transfer_row(scope: Scope, transfer: Transfer) -> dict[str, Any]:
    """A line of a department's inbox: the appeal (reporter masked), the transfer, its deadline
    (the running acceptance or outcome clock, else the last one), and the department's actions
    the viewer may take now. ``transfer.clocks`` should be prefetched."""
    appeal = transfer.appeal
    clocks = sorted(transfer.clocks.all(), key=lambda c: (c.started_at, c.pk))
    live = [c for c in clocks if c.state in (ClockState.RUNNING, ClockState.BREACHED)]
    clock = live[-1] if live else (clocks[-1] if clocks else None)
    is_open = transfer.state in ("pending", "accepted") and appeal.department_id == transfer.department_id
    actions = [a for a in available_actions(scope, appeal) if a in DEPARTMENT_ACTIONS] if is_open else []
    return {
        "id": transfer.pk,
        "appeal": appeal.pk,
        "reference": appeal.reference,
        "category": appeal.category.name if appeal.category else "",
        "address": appeal.address,
        "text": appeal.text,
        "reporter": masked_reporter(appeal),
        "department": transfer.department.name,
        "state": transfer.state,
        "state_label": transfer.get_state_display(),
        "note": transfer.note,
        "reason": transfer.reason,
        "outcome": transfer.outcome,
        "created_at": transfer.created_at,
        "open": is_open,
        "clock": clock_row(clock) if clock else None,
        "actions": actions,
    }


def assignee_row(person: Person) -> dict[str, Any]:
    """A line of the assignment picker: name, field roles and grids (no phone: not needed to pick)."""
    roles = [ra for ra in person.roles.all() if ra.role in ASSIGNABLE_ROLES]
    grids = {g.name for g in person.responsible_grids.all()}
    grids |= {ra.grid.name for ra in roles if ra.grid is not None}
    return {
        "id": person.pk,
        "name": person.name,
        "roles": sorted({str(Role(ra.role).label) for ra in roles}),
        "grids": sorted(grids),
        "units": sorted({ra.org_unit.name for ra in roles if ra.org_unit is not None}),
    }
