"""Statuses and decisions of inbound items, with the one transition table for their status."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lastmeter.lib.transitions import check_transition


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be processed")
    DONE = "done", _("Decided")
    FAILED = "failed", _("Processing failed (gave up)")
    REJECTED = "rejected", _("Rejected as unusable")


IS = ItemStatus
ITEM_TRANSITIONS: dict[str, frozenset[str]] = {
    # pending → pending: a failed attempt scheduled for retry.
    IS.PENDING: frozenset({IS.PENDING, IS.DONE, IS.FAILED, IS.REJECTED}),
    IS.FAILED: frozenset({IS.PENDING}),  # staff or `lastmeter intake retry --failed` requeue it
    IS.DONE: frozenset(),
    IS.REJECTED: frozenset(),
}


def check_item_transition(current: str, target: str) -> None:
    check_transition(ITEM_TRANSITIONS, current, target, "inbound item")


class Decision(models.TextChoices):
    NEW_APPEAL = "new_appeal", _("New appeal")
    UPDATE = "update", _("Update to an open appeal")
    DUPLICATE = "duplicate", _("Duplicate: reporter subscribed to an open appeal")
    NOTHING = "nothing", _("Nothing to do (chatter, thanks, praise)")
    IGNORED = "ignored", _("Not a message (platform event)")
    REJECTED = "rejected", _("Rejected (unusable input)")


# Decisions staff may turn an item into, by the item's current decision.
REVERSALS: dict[str, frozenset[str]] = {
    Decision.NOTHING: frozenset({Decision.NEW_APPEAL, Decision.UPDATE}),
    Decision.IGNORED: frozenset({Decision.NEW_APPEAL}),
    Decision.DUPLICATE: frozenset({Decision.NEW_APPEAL}),
    Decision.UPDATE: frozenset({Decision.NEW_APPEAL}),
    Decision.NEW_APPEAL: frozenset({Decision.NOTHING, Decision.DUPLICATE}),
    Decision.REJECTED: frozenset(),
}
