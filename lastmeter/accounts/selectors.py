"""Reads about people: which roles a person holds and where."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from lastmeter.accounts.choices import JURISDICTION_WIDE_ROLES, Role
from lastmeter.accounts.models import Person, RoleAssignment


@dataclass
class Scope:
    """What one person may see, computed once per request from their role assignments."""

    person: Person | None
    roles: set[str] = field(default_factory=set)
    grid_ids: set[int] = field(default_factory=set)
    community_ids: set[int] = field(default_factory=set)
    department_ids: set[int] = field(default_factory=set)
    superuser: bool = False

    @property
    def jurisdiction_wide(self) -> bool:
        return self.superuser or bool(self.roles & JURISDICTION_WIDE_ROLES)

    def has(self, role: str) -> bool:
        return self.superuser or role in self.roles


def person_for_user(user: AbstractBaseUser | AnonymousUser | None) -> Person | None:
    if user is None or not user.is_authenticated:
        return None
    return Person.objects.filter(user_id=user.pk, active=True).first()


def scope_for(person: Person | None, *, superuser: bool = False) -> Scope:
    scope = Scope(person=person, superuser=superuser)
    if person is None:
        return scope
    for ra in RoleAssignment.objects.filter(person=person):
        scope.roles.add(ra.role)
        if ra.grid_id:
            scope.grid_ids.add(ra.grid_id)
        if ra.role == Role.COMMUNITY_POLICE and ra.org_unit_id:
            scope.community_ids.add(ra.org_unit_id)
        if ra.department_id:
            scope.department_ids.add(ra.department_id)
    scope.grid_ids.update(person.responsible_grids.values_list("id", flat=True))
    return scope


def scope_for_user(user: AbstractBaseUser | AnonymousUser | None) -> Scope:
    person = person_for_user(user)
    return scope_for(person, superuser=bool(getattr(user, "is_superuser", False)))
