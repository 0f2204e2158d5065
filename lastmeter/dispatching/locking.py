"""Row locks, table-checked status moves and the standard events, shared by the write modules.

Lock order everywhere: incident, then units by ascending id, then an SOS alarm.  ``move_*`` assume
the caller holds the row's lock (``lock_*`` inside ``transaction.atomic()``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from lastmeter.dispatching import events as ev
from lastmeter.dispatching import fleet as fleet_index
from lastmeter.dispatching.choices import (
    INCIDENT_TRANSITIONS,
    UNIT_TRANSITIONS,
    IncidentStatus,
    UnitStatus,
    check_move,
)
from lastmeter.dispatching.common import Actor, NotAllowed, ServiceError, as_scope, is_staff
from lastmeter.dispatching.models import Assignment, Incident, Unit
from lastmeter.dispatching.presenters import incident_name, incident_row, unit_name, unit_row
from lastmeter.realtime.events import COMMAND_GROUP, person_group, publish_after_commit


def pk(obj: Any) -> int:
    return obj if isinstance(obj, int) else obj.pk


def unit_groups(unit: Unit) -> list[str]:
    groups = [COMMAND_GROUP]
    if unit.person_id:
        groups.append(person_group(unit.person_id))
    return groups


def incident_groups(incident: Incident) -> list[str]:
    groups = [COMMAND_GROUP]
    people = (
        Assignment.objects.filter(incident=incident, cleared_at__isnull=True, unit__person__isnull=False)
        .values_list("unit__person_id", flat=True)
        .distinct()
    )
    groups += [person_group(p) for p in sorted(people)]
    return groups


def publish_unit_status(unit: Unit, previous: str, incident_id: int | None = None) -> None:
    payload = unit_row(unit)
    payload["previous"] = previous
    payload["incident"] = incident_id
    publish_after_commit(unit_groups(unit), ev.UNIT_STATUS, payload)
    transaction.on_commit(lambda: fleet_index.note_unit(unit))


def publish_incident(incident: Incident, event: str = ev.INCIDENT_UPDATED) -> None:
    publish_after_commit(incident_groups(incident), event, incident_row(incident))


def move_unit(unit: Unit, target: str, now: datetime) -> str:
    """Status change through the table; caller holds the unit's row lock.  Returns the old status."""
    check_move(UNIT_TRANSITIONS, UnitStatus, unit.status, target, unit_name(unit))
    previous = unit.status
    unit.status = target
    unit.status_changed_at = now
    unit.save(update_fields=["status", "status_changed_at", "updated_at"])
    return previous


def move_incident(incident: Incident, target: str, extra: Iterable[str] = ()) -> None:
    """Caller holds the incident's row lock."""
    check_move(INCIDENT_TRANSITIONS, IncidentStatus, incident.status, target, incident_name(incident))
    incident.status = target
    incident.save(update_fields=["status", "updated_at", *extra])


def lock_incident(incident: Incident | int) -> Incident:
    try:
        return Incident.objects.select_for_update().get(pk=pk(incident))
    except Incident.DoesNotExist:
        raise ServiceError(_("This incident does not exist (any more).")) from None


def lock_unit(unit: Unit | int) -> Unit:
    try:
        return Unit.objects.select_for_update(of=("self",)).select_related("person").get(pk=pk(unit))
    except Unit.DoesNotExist:
        raise ServiceError(_("This unit does not exist (any more).")) from None


def require_crew_or_staff(actor: Actor, unit: Unit, what: str | Promise) -> None:
    scope = as_scope(actor)
    if is_staff(scope):
        return
    assert scope is not None
    if scope.person is None or unit.person_id != scope.person.pk:
        raise NotAllowed(
            _("Only the command centre or the unit's own officer may %(what)s.") % {"what": what}
        )
