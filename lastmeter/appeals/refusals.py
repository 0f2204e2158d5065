"""Refusals in words a person can act on: why an action cannot be taken now, and what to do.

``locking.require_action`` and ``locking.move_state`` build their messages here; the pages show
them as messages and the API returns them as ``detail``. Every text goes through gettext, so a
refusal reads "此诉求当前状态为「已接收」，不能直接「确认到场」。请先「受理」。" in Chinese, never
"appeal: received → landed is not allowed".

Three kinds of refusal, told apart so the advice fits:
- the appeal is finished (merged): nothing more can be done here — and where to go instead;
- the appeal's state does not allow the action yet (or any more): the next step that leads to it,
  else the actions the viewer can take now;
- the state allows it but not for this viewer: who may do it, and whom to ask.
"""

from __future__ import annotations

from collections import deque

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import APPEAL_TRANSITIONS, AppealState, TransferState
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.selectors import available_actions, open_transfer_for

S = AppealState

# What each action is called on the pages' buttons and in refusals.
ACTION_LABELS: dict[str, Promise] = {
    "acknowledge": gettext_lazy("acknowledge the appeal"),
    "contact": gettext_lazy("record contact with the reporter"),
    "land": gettext_lazy("confirm arrival on site"),
    "resolve": gettext_lazy("resolve the appeal"),
    "close": gettext_lazy("close the appeal"),
    "reopen": gettext_lazy("reopen the appeal"),
    "pause": gettext_lazy("pause the clocks"),
    "resume": gettext_lazy("resume the clocks"),
    "merge": gettext_lazy("merge into another appeal"),
    "assign": gettext_lazy("assign the appeal"),
    "note": gettext_lazy("add a note"),
    "transfer": gettext_lazy("transfer to a department"),
    "accept_transfer": gettext_lazy("accept the transfer"),
    "return_transfer": gettext_lazy("return the transfer"),
    "complete_transfer": gettext_lazy("report the department's outcome"),
}

# The state an action moves the appeal to (actions missing here do not change the state).
ACTION_TARGETS: dict[str, str] = {
    "acknowledge": S.ACKNOWLEDGED,
    "contact": S.CONTACTED,
    "land": S.LANDED,
    "resolve": S.RESOLVED,
    "close": S.CLOSED,
    "reopen": S.REOPENED,
    "merge": S.MERGED,
    "transfer": S.TRANSFERRED,
    "accept_transfer": S.ACCEPTED,
    "return_transfer": S.RETURNED,
    "complete_transfer": S.RESOLVED,
}

# The action a person takes to bring an appeal into a state (the advice "first …").
_STEP_TO: dict[str, str] = {
    S.ACKNOWLEDGED: "acknowledge",
    S.CONTACTED: "contact",
    S.LANDED: "land",
    S.RESOLVED: "resolve",
    S.CLOSED: "close",
    S.REOPENED: "reopen",
    S.TRANSFERRED: "transfer",
    S.ACCEPTED: "accept_transfer",
    S.RETURNED: "return_transfer",
    S.MERGED: "merge",
}

_STAFF_ACTIONS = frozenset({"close", "reopen"})
_DEPARTMENT_ACTIONS = frozenset({"accept_transfer", "return_transfer", "complete_transfer"})


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def state_label(state: str) -> str:
    try:
        return str(AppealState(state).label)
    except ValueError:
        return state


def _path(source: str, target: str) -> list[str]:
    """The shortest chain of states from ``source`` to ``target`` in the table (without source)."""
    previous: dict[str, str | None] = {source: None}
    todo = deque([source])
    while todo:
        state = todo.popleft()
        if state == target:
            break
        for nxt in sorted(APPEAL_TRANSITIONS.get(state, ())):
            if nxt not in previous:
                previous[nxt] = state
                todo.append(nxt)
    if target not in previous:
        return []
    chain: list[str] = []
    node: str | None = target
    while node is not None and node != source:
        chain.append(node)
        node = previous[node]
    return list(reversed(chain))


def _next_step_advice(appeal: Appeal, target: str, scope: Scope | None) -> str:
    """ "First do X." when one step leads to a state that allows the move; else what can be done now."""
    chain = _path(appeal.state, target)
    if len(chain) == 2 and chain[0] in _STEP_TO:
        return _("First %(step)s.") % {"step": action_label(_STEP_TO[chain[0]])}
    if scope is not None:
        now = [a for a in available_actions(scope, appeal) if a != "note"]
        if now:
            return _("What you can do now: %(actions)s.") % {
                "actions": "、".join(action_label(a) for a in now)
            }
    return ""


def _join(*parts: str) -> str:
    return "".join(p for p in parts if p)


def finished_refusal(appeal: Appeal) -> str:
    """The appeal is in a state nothing follows (merged)."""
    text = _("Appeal %(ref)s is “%(state)s”; nothing more can be done on it.") % {
        "ref": appeal.reference,
        "state": state_label(appeal.state),
    }
    if appeal.state == S.MERGED and appeal.merged_into_id:
        target = Appeal.objects.filter(pk=appeal.merged_into_id).values_list("reference", flat=True).first()
        text += _("Work on appeal %(target)s, which it was merged into.") % {"target": target}
    return text


def state_refusal(appeal: Appeal, target: str, *, scope: Scope | None = None) -> str:
    """The appeal's state does not lead to ``target`` directly (the transition table says no)."""
    return _join(
        _("This appeal is now “%(state)s” and cannot become “%(target)s” directly. ")
        % {"state": state_label(appeal.state), "target": state_label(target)},
        _next_step_advice(appeal, target, scope),
    )


def _transfer_refusal(appeal: Appeal, action: str) -> str | None:
    """Refusals of the department's actions that depend on the transfer, not the appeal."""
    transfer = open_transfer_for(appeal)
    if transfer is None:
        return _("Appeal %(ref)s has no transfer waiting for a department, so you cannot %(action)s.") % {
            "ref": appeal.reference,
            "action": action_label(action),
        }
    if action == "accept_transfer" and transfer.state == TransferState.ACCEPTED:
        return _(
            "The department has already accepted this transfer; report the outcome, or return it with a reason."
        )
    if action == "complete_transfer" and transfer.state == TransferState.PENDING:
        return _("Accept the transfer first, then report the outcome.")
    return None


def _pause_refusal(appeal: Appeal, action: str) -> str | None:
    if action == "pause" and appeal.waiting_for_reporter:
        return _("The clocks are already paused; resume them once you reach the reporter.")
    if action == "resume" and not appeal.waiting_for_reporter:
        return _("The clocks are not paused.")
    if action in ("pause", "resume"):
        return _(
            "Clocks can be paused only while the reporter is still to be contacted (state “%(state)s” does not allow it)."
        ) % {"state": state_label(appeal.state)}
    return None


def _who_may(action: str) -> str:
    if action in _DEPARTMENT_ACTIONS:
        return _("Only the liaison of the department the appeal was transferred to may do this.")
    if action in _STAFF_ACTIONS:
        return _(
            "Only a dispatcher, the station's leadership or an administrator may do this; ask the dispatcher."
        )
    if action == "assign":
        return _(
            "Only a dispatcher, or the community officer responsible for the appeal's grid, may assign it."
        )
    return _(
        "Only the officers responsible for the appeal's grid, its assignee or a dispatcher may do this; "
        "ask the dispatcher to assign it to you."
    )


def action_refusal(scope: Scope, appeal: Appeal, action: str) -> tuple[bool, str]:
    """Why ``action`` is not among the viewer's actions now: (finished, message).

    ``finished`` is True when the appeal is in a final state (nothing can be done by anyone)."""
    if not APPEAL_TRANSITIONS.get(appeal.state):
        return True, finished_refusal(appeal)
    anyone = Scope(person=None, superuser=True)
    if action in available_actions(anyone, appeal):
        return False, _("You cannot %(action)s on appeal %(ref)s. %(who)s") % {
            "action": action_label(action),
            "ref": appeal.reference,
            "who": _who_may(action),
        }
    if action in _DEPARTMENT_ACTIONS and appeal.state in (S.TRANSFERRED, S.ACCEPTED):
        message = _transfer_refusal(appeal, action)
        if message:
            return False, message
    pause = _pause_refusal(appeal, action)
    if pause:
        return False, pause
    target = ACTION_TARGETS.get(action)
    if target is None:
        return False, _("Appeal %(ref)s is “%(state)s”: you cannot %(action)s now.") % {
            "ref": appeal.reference,
            "state": state_label(appeal.state),
            "action": action_label(action),
        }
    return False, _join(
        _("This appeal is now “%(state)s”, so you cannot %(action)s directly. ")
        % {"state": state_label(appeal.state), "action": action_label(action)},
        _next_step_advice(appeal, target, scope),
    )


__all__ = [
    "ACTION_LABELS",
    "ACTION_TARGETS",
    "action_label",
    "action_refusal",
    "finished_refusal",
    "state_label",
    "state_refusal",
]
