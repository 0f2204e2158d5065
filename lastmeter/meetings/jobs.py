"""The meetings app's background job, composed by ``lastmeter.worker``: an action item past its
deadline becomes overdue once (compare-and-set on the state, so two workers tell its owner once)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.meetings.choices import ActionState, MeetingEventKind
from lastmeter.meetings.models import ActionItem, MeetingEvent


def sweep_actions(now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    now = now or timezone.now()
    ids = list(
        ActionItem.objects.filter(state=ActionState.OPEN, due_at__lte=now).values_list("id", flat=True)[
            :limit
        ]
    )
    overdue = 0
    for action_id in ids:
        with transaction.atomic():
            if not ActionItem.objects.filter(id=action_id, state=ActionState.OPEN).update(
                state=ActionState.OVERDUE
            ):
                continue  # another worker got there first
            action = ActionItem.objects.select_related("meeting", "owner").get(id=action_id)
            MeetingEvent.objects.create(
                meeting=action.meeting,
                kind=MeetingEventKind.ACTION_OVERDUE,
                actor_label="system",
                note=action.task,
            )
            with translation.override(settings.LANGUAGE_CODE):
                body = _("[lastmeter] Meeting %(ref)s: your action item “%(task)s” is past its deadline.") % {
                    "ref": action.meeting.reference,
                    "task": action.task[:80],
                }
            owner = action.owner
            if owner.phone:
                recipient = {"phone": owner.phone, "person": owner.pk}
                transport = "sms"
            else:
                recipient, transport = {"person": owner.pk}, "console"
            enqueue(
                key=f"meeting-action:{action.pk}:overdue", transport=transport, recipient=recipient, body=body
            )
            overdue += 1
    return {"meeting_actions_overdue": overdue}


__all__ = ["sweep_actions"]
