"""What a live client is sent again when it (re)connects: the open SOS alarms it may hear.

Events are pushed once and not kept (realtime.events); a command centre that was disconnected while
an officer pressed SOS — a dropped network, a Redis outage — would never show the alarm. The alarm
is still open in the database, so the consumer asks this provider (registered in apps.py) on every
connect and sends each open alarm as the same ``sos.raised`` event a live client would have had.
"""

from __future__ import annotations

from typing import Any

from lastmeter.accounts.selectors import scope_for_user
from lastmeter.dispatching.choices import SOS_OPEN
from lastmeter.dispatching.events import SOS_RAISED
from lastmeter.dispatching.presenters import sos_row
from lastmeter.dispatching.selectors import command_group_ids_for_person, visible_sos

# More than this many open alarms at once is not a catch-up any screen could show; the newest win.
LIMIT = 50


def open_sos_events(user: Any) -> list[tuple[str, dict[str, Any]]]:
    """``sos.raised`` for every open alarm the user may hear, oldest first (as they were raised)."""
    scope = scope_for_user(user)
    if scope.person is None and not scope.jurisdiction_wide:
        return []
    alarms = list(
        visible_sos(scope)
        .filter(status__in=list(SOS_OPEN))
        .select_related("acknowledged_by", "unit__person")
        .order_by("-raised_at")[:LIMIT]
    )
    events = []
    for alarm in reversed(alarms):
        payload = sos_row(alarm)
        payload["groups"] = command_group_ids_for_person(alarm.person_id)
        events.append((SOS_RAISED, payload))
    return events
