"""Reads of dispatching, always through a viewer's scope.

Dispatchers, leadership and administrators (``Scope.jurisdiction_wide``) see everything.  Anyone
else sees their own unit, the incidents their unit was assigned to (or that they command or whose
group they are in), their command groups, and SOS alarms of themselves and of people who share an
open command group with them.  ``access_*`` raise Http404 for both missing and forbidden.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.dispatching.models import (
    Assignment,
    CommandGroup,
    CommandGroupMember,
    Incident,
    SosAlarm,
    Unit,
)
from lastmeter.lib.queries import one_or_none


def is_command_staff(scope: Scope) -> bool:
    return scope.jurisdiction_wide


def command_group_ids_for_person(person_id: int) -> list[int]:
    """Open (not archived) command groups the person is a member of — the websocket groups they hear."""
    return sorted(
        CommandGroupMember.objects.filter(person_id=person_id, group__archived_at__isnull=True)
        .values_list("group_id", flat=True)
        .distinct()
    )


def unit_of_person(person: Person | int | None) -> Unit | None:
    if person is None:
        return None
    pid = person.pk if isinstance(person, Person) else person
    return Unit.objects.filter(person_id=pid).first()


def is_stale(unit: Unit, now: datetime | None = None) -> bool:
    """No position, or one older than settings.LASTMETER_STALE_POSITION_S."""
    if unit.position_at is None:
        return True
    now = now or timezone.now()
    return (now - unit.position_at).total_seconds() > settings.LASTMETER_STALE_POSITION_S


def _get(qs: QuerySet, pk: int, what: Promise):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such %(what)s, or it is not yours to see.") % {"what": what}) from None


def visible_units(scope: Scope) -> QuerySet[Unit]:
    base = Unit.objects.select_related("person")
    if scope.jurisdiction_wide:
        return base
    if scope.person is None:
        return base.none()
    return base.filter(person=scope.person)


def own_unit(person: Person, unit_id: int) -> Unit | None:
    """Unit ``unit_id`` if ``person`` is its officer (who always sees it), else None. Only the
    columns a position report needs: the unit's row is locked and read in full by the service."""
    return one_or_none(Unit.objects.filter(pk=unit_id, person=person).only("pk", "person_id"))


def access_unit(scope: Scope, unit_id: int) -> Unit:
    return _get(visible_units(scope), unit_id, gettext_lazy("unit"))


def visible_incidents(scope: Scope) -> QuerySet[Incident]:
    base = Incident.objects.select_related("commander", "appeal")
    if scope.jurisdiction_wide:
        return base
    if scope.person is None:
        return base.none()
    p = scope.person
    assigned = Assignment.objects.filter(unit__person=p).values("incident_id")
    grouped = CommandGroupMember.objects.filter(person=p).values("group__incident_id")
    return base.filter(Q(pk__in=assigned) | Q(pk__in=grouped) | Q(commander=p) | Q(created_by=p))


def access_incident(scope: Scope, incident_id: int) -> Incident:
    return _get(visible_incidents(scope), incident_id, gettext_lazy("incident"))


def visible_groups(scope: Scope) -> QuerySet[CommandGroup]:
    base = CommandGroup.objects.select_related("incident")
    if scope.jurisdiction_wide:
        return base
    if scope.person is None:
        return base.none()
    return base.filter(pk__in=CommandGroupMember.objects.filter(person=scope.person).values("group_id"))


def access_group(scope: Scope, group_id: int) -> CommandGroup:
    return _get(visible_groups(scope), group_id, gettext_lazy("command group"))


def may_post_in(scope: Scope, group: CommandGroup) -> bool:
    """Members and command staff may post; nobody posts in an archived group."""
    if group.archived_at is not None:
        return False
    if scope.jurisdiction_wide:
        return True
    return scope.person is not None and group.members.filter(person=scope.person).exists()


def visible_sos(scope: Scope) -> QuerySet[SosAlarm]:
    base = SosAlarm.objects.select_related("person", "unit")
    if scope.jurisdiction_wide:
        return base
    if scope.person is None:
        return base.none()
    mine = CommandGroupMember.objects.filter(person=scope.person, group__archived_at__isnull=True).values(
        "group_id"
    )
    mates = CommandGroupMember.objects.filter(group_id__in=mine).values("person_id")
    return base.filter(Q(person=scope.person) | Q(person_id__in=mates))


def access_sos(scope: Scope, alarm_id: int) -> SosAlarm:
    return _get(visible_sos(scope), alarm_id, gettext_lazy("SOS alarm"))


def active_assignment(unit: Unit | int) -> Assignment | None:
    uid = unit.pk if isinstance(unit, Unit) else unit
    return Assignment.objects.filter(unit_id=uid, cleared_at__isnull=True).select_related("incident").first()
