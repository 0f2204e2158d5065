"""Row locks, table-checked state moves, the standard events and change pushes of an appeal.

Shared by every module that writes appeals (``services``, ``transfers``, and the intake's and
triage's services). The pattern is always::

    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "resolve")
        move_state(appeal, AppealState.RESOLVED, scope.person, ...)
        publish_change(appeal, "appeal.changed")

``move_state`` and ``record_event`` assume the caller holds the appeal's row lock (taken with
``lock_appeal`` inside ``transaction.atomic()``). Two appeals are locked in ascending id order.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import APPEAL_TRANSITIONS, EventKind
from lastmeter.appeals.models import Appeal, AppealEvent
from lastmeter.appeals.refusals import action_refusal, state_refusal
from lastmeter.appeals.selectors import available_actions
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.transitions import TransitionError, check_transition
from lastmeter.realtime.events import COMMAND_GROUP, grid_group, person_group, publish_after_commit

SYSTEM = "system"


def lock_appeal(appeal_id: int) -> Appeal:
    """The appeal with its row locked (``SELECT … FOR UPDATE``) and its category and grid loaded.

    Call inside ``transaction.atomic()``; the lock is held until that transaction ends.
    Raises ``Appeal.DoesNotExist`` for an unknown id.
    """
    return (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("category", "grid", "grid__community")
        .get(pk=appeal_id)
    )


def require_action(scope: Scope, appeal: Appeal, action: str) -> None:
    """Refuse unless ``action`` is among the viewer's ``available_actions`` on the appeal now.

    Raises ``ServiceError`` when the appeal is in a final state, ``NotAllowed`` otherwise, each
    with a translated sentence saying why and what to do (``refusals.action_refusal``). Call
    after ``lock_appeal`` so that the state checked is the state that will be written over.
    """
    if action not in available_actions(scope, appeal):
        finished, message = action_refusal(scope, appeal, action)
        raise ServiceError(message) if finished else NotAllowed(message)


def record_event(
    appeal: Appeal,
    kind: str,
    actor: Person | None,
    *,
    note: str = "",
    channel: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AppealEvent:
    """Append one event to the appeal's timeline. The actor's label defaults to their name, or
    ``system`` when there is no actor. Caller holds the appeal's row lock."""
    return AppealEvent.objects.create(
        appeal=appeal,
        kind=kind,
        actor=actor,
        actor_label=actor_label or (actor.name if actor else SYSTEM),
        note=note,
        channel=channel,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def move_state(
    appeal: Appeal,
    target: str,
    actor: Person | None,
    *,
    note: str = "",
    channel: str = "",
    extra_fields: tuple[str, ...] = (),
    data: dict[str, Any] | None = None,
) -> AppealEvent:
    """Change the state through the transition table, save it with ``extra_fields`` (set by the
    caller beforehand) and record the state event. Caller holds the appeal's row lock inside
    ``transaction.atomic()``. Raises ``TransitionError`` for a move the table does not allow,
    with a sentence that says what the state is and what to do first."""
    try:
        check_transition(APPEAL_TRANSITIONS, appeal.state, target, "appeal")
    except TransitionError:
        raise TransitionError(state_refusal(appeal, target)) from None
    previous = appeal.state
    appeal.state = target
    appeal.state_changed_at = timezone.now()
    appeal.save(update_fields=["state", "state_changed_at", "updated_at", *extra_fields])
    return record_event(
        appeal,
        EventKind.STATE,
        actor,
        note=note,
        channel=channel,
        from_state=previous,
        to_state=target,
        data=data,
    )


def publish_change(appeal: Appeal, event: str) -> None:
    """Push the appeal's summary to the command centre, its grid and its assignee once the
    current transaction commits (nothing is sent if it rolls back)."""
    groups = [COMMAND_GROUP]
    if appeal.grid_id:
        groups.append(grid_group(appeal.grid_id))
    if appeal.assignee_id:
        groups.append(person_group(appeal.assignee_id))
    publish_after_commit(
        groups,
        event,
        {
            "id": appeal.pk,
            "reference": appeal.reference,
            "state": appeal.state,
            "lat": appeal.lat,
            "lon": appeal.lon,
            "category": appeal.category.name if appeal.category else "",
            "grid": appeal.grid_id,
            "next_deadline_at": appeal.next_deadline_at,
            "priority": appeal.priority,
        },
    )


__all__ = ["SYSTEM", "lock_appeal", "move_state", "publish_change", "record_event", "require_action"]
