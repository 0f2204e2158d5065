"""Erasing the chat text behind finished appeals, and of items that became no appeal (the
retention job, lastmeter/ops/retention.py).

An inbound item is kept as a row — its channel, times, status and decision are the record that
it arrived once and what became of it (and its dedupe key still refuses a late redelivery) — but
what the resident sent is erased: the raw body, headers and query, the normalised content (text,
sender's name and number, attachments' addresses) and the sender's id on the platform; the
decisions' data too.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from lastmeter.appeals.retention import Erased
from lastmeter.intake.choices import ItemStatus
from lastmeter.intake.models import InboundItem, IntakeDecision
from lastmeter.lib.queries import one_or_none

# What an erased item still holds: nothing of what was sent.
_BLANK = Q(body=b"") & Q(headers={}) & Q(query={}) & Q(normalised={}) & Q(sender_id="")


def do_erase_chat_text(appeal_id: int) -> int:
    """Erase the items that made or updated this appeal; the number of items. Caller is in the
    transaction that erases the appeal's own data."""
    return _erase(InboundItem.objects.filter(appeal_id=appeal_id))


def _erase(items: QuerySet[InboundItem]) -> int:
    IntakeDecision.objects.filter(item__in=items).exclude(data={}).update(data={})
    return items.update(body=b"", headers={}, query={}, normalised={}, sender_id="")


def _unlinked() -> QuerySet[InboundItem]:
    # Chatter, refusals and items given up on: decided, and tied to no appeal. A pending item is
    # still to be processed, whatever its age.
    return InboundItem.objects.filter(appeal__isnull=True).exclude(status=ItemStatus.PENDING)


def due_for_erasure(cutoff: datetime) -> QuerySet[InboundItem]:
    """Items that became no appeal, received before ``cutoff``, not erased yet. Their content has
    no purpose left once the intake log's reviewers have had their time (an item that made or
    updated an appeal goes with that appeal instead)."""
    return _unlinked().filter(received_at__lt=cutoff).exclude(_BLANK)


def do_erase_unlinked_item(item_id: int, now: datetime) -> Erased | None:
    """Erase one such item's content; None when it is not due any more (it became part of an
    appeal since, or a concurrent run erased it). Caller is in a transaction; the row is locked."""
    item = one_or_none(_unlinked().select_for_update().filter(pk=item_id).exclude(_BLANK))
    if item is None:
        return None
    return Erased(rows={"chat items": _erase(InboundItem.objects.filter(pk=item.pk))})


__all__ = ["do_erase_chat_text", "do_erase_unlinked_item", "due_for_erasure"]
