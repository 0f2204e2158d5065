"""Replies that belong to an app above intake: it registers a hook, intake asks it first.

Apps on higher floors (broadcasts: "退订"/STOP, sightings answering an alert) cannot be imported
by intake, so they register a callable at start-up (their AppConfig.ready). ``claim`` runs inside
``process_item``'s transaction: a hook that takes the message does its writes there, so the item's
decision and the hook's rows commit together or not at all. A hook returns the reason to record
(the item is decided "nothing", with that reason) or None to leave the message to triage.
"""

from __future__ import annotations

from collections.abc import Callable

from lastmeter.intake.channels.base import InboundMessage

ReplyHook = Callable[[InboundMessage], str | None]

_hooks: list[ReplyHook] = []


def register_reply_hook(hook: ReplyHook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def claim(msg: InboundMessage) -> str | None:
    """The first hook's reason for taking this message, or None when no hook takes it."""
    for hook in _hooks:
        reason = hook(msg)
        if reason:
            return reason
    return None
