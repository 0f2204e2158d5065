"""Helpers shared by the dispatching services: who is acting, permission checks, errors.

An *actor* is a ``Person`` (a scope is computed), a ``Scope`` (the API already has one), or None
for the system itself (simulator, demo loader, sweepers), which is trusted.
"""

from __future__ import annotations

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope, scope_for
from lastmeter.lib.errors import NotAllowed, ServiceError

Actor = Person | Scope | None

__all__ = ["Actor", "NotAllowed", "ServiceError", "actor_person", "as_scope", "is_staff", "require_staff"]


def as_scope(actor: Actor) -> Scope | None:
    """The actor's scope; None for the system."""
    if actor is None or isinstance(actor, Scope):
        return actor
    return scope_for(actor, superuser=bool(actor.user_id and actor.user and actor.user.is_superuser))


def actor_person(actor: Actor) -> Person | None:
    if actor is None:
        return None
    return actor.person if isinstance(actor, Scope) else actor


def is_staff(scope: Scope | None) -> bool:
    """The system, dispatchers, leadership and administrators."""
    return scope is None or scope.jurisdiction_wide


def require_staff(scope: Scope | None, what: str) -> None:
    if not is_staff(scope):
        raise NotAllowed(f"only the command centre may {what}")
