"""What the public tracking pages show: only what the reporter may see.

``/t/<token>/`` (the reporter's link) and ``/api/v1/track/<token>`` show the appeal's public
states and dates, the public reply (the resolution), the responsible unit's name (the community
and grid, or the department), the reporter's own text and their own rating or contest. Never
staff notes, internal reasons (intake's "possible duplicate…", close or return reasons), officers'
or escalation names, nor another resident's text — a merged appeal's page follows the surviving
appeal's public progress without its text, and a subscriber's follow link shows no text at all.

Everything is built from a whitelist: a new event kind or field stays private until added here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.appeals import feedback
from lastmeter.appeals.choices import AppealState, ClockKind, ClockState, EventKind
from lastmeter.appeals.models import Appeal, AppealEvent

S = AppealState
PUBLIC_STATE_LABELS: dict[str, Any] = {
    S.RECEIVED: gettext_lazy("Received"),
    S.ACKNOWLEDGED: gettext_lazy("Taken on by the police"),
    S.CONTACTED: gettext_lazy("An officer contacted the reporter"),
    S.LANDED: gettext_lazy("An officer was on site"),
    S.RESOLVED: gettext_lazy("Resolved"),
    S.CLOSED: gettext_lazy("Closed"),
    S.TRANSFERRED: gettext_lazy("Transferred to the responsible department"),
    S.ACCEPTED: gettext_lazy("Accepted by the department"),
    S.RETURNED: gettext_lazy("Back with the police"),
    S.MERGED: gettext_lazy("Handled together with an earlier report of the same problem"),
    S.REOPENED: gettext_lazy("Reopened"),
}


def public_state_label(state: str) -> str:
    return str(PUBLIC_STATE_LABELS.get(state, state))


def responsible_unit(appeal: Appeal) -> str:
    """The unit answering for the appeal now: the department of an open transfer, else the
    community and grid. Never a person's name."""
    if appeal.department_id and appeal.state in (S.TRANSFERRED, S.ACCEPTED, S.RESOLVED, S.CLOSED):
        return appeal.department.name if appeal.department else ""
    if appeal.grid_id and appeal.grid is not None:
        community = appeal.grid.community.name if appeal.grid.community_id else ""
        return " · ".join(x for x in (community, appeal.grid.name) if x)
    return ""


def _event(event: AppealEvent, *, own: bool) -> dict[str, Any] | None:
    """One public timeline line, or None for an event the public does not see. ``own``: the
    viewer is this appeal's reporter (their own rating and contest reason are shown)."""
    row = {"at": event.at, "kind": event.kind, "state": "", "label": "", "text": ""}
    if event.kind == EventKind.CREATED:
        row.update(state=S.RECEIVED, label=public_state_label(S.RECEIVED))
    elif event.kind == EventKind.STATE and event.to_state:
        row.update(state=event.to_state, label=public_state_label(event.to_state))
        if event.to_state == S.RESOLVED:
            row["text"] = event.note  # the public reply: the resolution or the department's outcome
        elif event.to_state == S.REOPENED and own and (event.data or {}).get("by") == "reporter":
            row["label"] = _("You contested the resolution")
            row["text"] = event.note
    elif event.kind == EventKind.RATED and own:
        score = (event.data or {}).get("score")
        row["label"] = _("You rated the resolution %(score)s of 5") % {"score": score}
        row["text"] = event.note
    elif event.kind == EventKind.UPDATE and own:
        row["label"] = _("More information added")  # its text may be another group member's
    else:
        return None
    return row


def public_timeline(appeal: Appeal, *, own: bool) -> list[dict[str, Any]]:
    rows = (_event(e, own=own) for e in appeal.events.all())
    return [r for r in rows if r is not None]


def _land_due(appeal: Appeal):
    clock = appeal.clocks.filter(kind=ClockKind.LAND, state=ClockState.RUNNING).order_by("due_at").first()
    return clock.due_at if clock else None


def _progress(appeal: Appeal, *, own: bool) -> dict[str, Any]:
    return {
        "reference": appeal.reference or "",
        "state": appeal.state,
        "state_label": public_state_label(appeal.state),
        "category": appeal.category.name if appeal.category else None,
        "created_at": appeal.created_at,
        "resolved_at": appeal.resolved_at,
        "closed_at": appeal.closed_at,
        "land_due_at": _land_due(appeal),
        "resolution": appeal.resolution,
        "unit": responsible_unit(appeal),
        "department": appeal.department.name if appeal.department_id and appeal.department else None,
        "events": public_timeline(appeal, own=own),
    }


def _survivor(appeal: Appeal) -> Appeal | None:
    seen, target = 0, appeal.merged_into
    while target is not None and target.state == S.MERGED and target.merged_into_id and seen < 8:
        target, seen = target.merged_into, seen + 1
    return target


def tracking_view(appeal: Appeal) -> dict[str, Any]:
    """The reporter's page: their appeal's progress, their own text, whether they may rate or
    contest now, and — when merged — the surviving appeal's public progress without its text."""
    data = _progress(appeal, own=True)
    data["text"] = appeal.text
    survivor = _survivor(appeal) if appeal.state == S.MERGED else None
    data["merged_into"] = _progress(survivor, own=False) if survivor is not None else None
    if survivor is not None:
        # Only the surviving appeal's state changes: its other lines are its own reporter's.
        data["merged_into"]["events"] = [
            e for e in data["merged_into"]["events"] if e["kind"] == EventKind.STATE
        ]
    data["can_rate"] = feedback.can_rate(appeal)
    data["can_contest"] = feedback.can_contest(appeal)
    data["contests_left"] = max(0, settings.LASTMETER_MAX_CONTESTS - feedback.contests_used(appeal))
    data["code_destination"] = (
        feedback.code_destination(appeal) if data["can_rate"] or data["can_contest"] else ""
    )
    return data


def follow_view(appeal: Appeal) -> dict[str, Any]:
    """A subscriber's page: the public progress of an appeal someone else reported (no text)."""
    data = _progress(appeal, own=False)
    data.update(
        text="", merged_into=None, can_rate=False, can_contest=False, contests_left=0, code_destination=""
    )
    return data


__all__ = [
    "PUBLIC_STATE_LABELS",
    "follow_view",
    "public_state_label",
    "public_timeline",
    "responsible_unit",
    "tracking_view",
]
