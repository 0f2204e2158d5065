"""Helpers shared by the dispatching services: who is acting, permission checks, errors.

An *actor* is a ``Person`` (a scope is computed), a ``Scope`` (the API already has one), or None
for the system itself (simulator, demo loader, sweepers), which is trusted.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope, scope_for
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.geo import CoordinateError, validate_lat_lon

Actor = Person | Scope | None

__all__ = [
    "Actor",
    "NotAllowed",
    "ServiceError",
    "actor_person",
    "as_scope",
    "check_lat_lon",
    "is_staff",
    "require_staff",
]


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


def require_staff(scope: Scope | None, what: str | Promise) -> None:
    """``what``: the action, as a translated verb phrase ("派出单位")."""
    if not is_staff(scope):
        raise NotAllowed(
            _("Only the command centre (dispatchers, leadership) may %(what)s: ask the duty dispatcher.")
            % {"what": what}
        )


# The same words as the intake forms' (one catalogue entry each).
COORDINATE_MESSAGES = {
    "half": gettext_lazy("give both latitude and longitude, or neither"),
    "not_finite": gettext_lazy("coordinates must be finite numbers"),
    "latitude": gettext_lazy("latitude %(value)s is outside -90..90"),
    "longitude": gettext_lazy("longitude %(value)s is outside -180..180"),
}


def check_lat_lon(lat: float | None, lon: float | None) -> None:
    """``validate_lat_lon`` with a ServiceError in the reader's language."""
    try:
        validate_lat_lon(lat, lon)
    except CoordinateError as exc:
        message = COORDINATE_MESSAGES.get(exc.code)
        if message is None:
            raise ServiceError(str(exc)) from None
        raise ServiceError(str(message) % {"value": lat if exc.code == "latitude" else lon}) from None
