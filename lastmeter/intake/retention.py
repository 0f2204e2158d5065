"""Erasing the chat text behind finished appeals (the retention job, lastmeter/ops/retention.py).

An inbound item is kept as a row — its channel, times, status and decision are the record that
it arrived once and what became of it (and its dedupe key still refuses a late redelivery) — but
what the resident sent is erased: the raw body, headers and query, the normalised content (text,
sender's name and number, attachments' addresses) and the sender's id on the platform; the
decisions' data too.
"""

from __future__ import annotations

from lastmeter.intake.models import InboundItem, IntakeDecision


def do_erase_chat_text(appeal_id: int) -> int:
    """Erase the items that made or updated this appeal; the number of items. Caller is in the
    transaction that erases the appeal's own data."""
    items = InboundItem.objects.filter(appeal_id=appeal_id)
    IntakeDecision.objects.filter(item__in=items).exclude(data={}).update(data={})
    return items.update(body=b"", headers={}, query={}, normalised={}, sender_id="")


__all__ = ["do_erase_chat_text"]
