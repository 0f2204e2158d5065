"""Reads of inbound items, always through a viewer's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.selectors import visible_appeals
from lastmeter.intake.models import InboundItem


def visible_items(scope: Scope) -> QuerySet[InboundItem]:
    """Items this viewer may see: all for station staff; for an officer, the items whose appeal
    they can see. Residents see none (they follow their appeal by its tracking link)."""
    if scope.jurisdiction_wide:
        return InboundItem.objects.all()
    if scope.person is None:
        return InboundItem.objects.none()
    return InboundItem.objects.filter(appeal__in=visible_appeals(scope))


__all__ = ["visible_items"]
