"""One entry point for an action on an appeal, shared by the API and the pages.

``run_action(scope, appeal_id, action, data)`` checks that the viewer may see the appeal (404
otherwise), then calls the one service that performs ``action`` with the fields of ``data`` (an
``ActionIn``, validated by Django Ninja in the API and built from ``ActionForm`` on the pages).
Refusals are the services' exceptions: ``NotAllowed`` (403), ``ServiceError`` (400) and
``TransitionError`` (409); an unknown action is a ``ServiceError``. Callers map them to answers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals import services, transfers
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.schemas import ActionIn
from lastmeter.appeals.selectors import access_appeal_by_scope, visible_appeals
from lastmeter.lib.errors import ServiceError


def _acknowledge(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_acknowledge(scope, appeal_id, note=data.note)


def _contact(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_contact(scope, appeal_id, note=data.note)


def _land(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_land(scope, appeal_id, lat=data.lat, lon=data.lon, accuracy_m=data.accuracy_m, note=data.note)


def _resolve(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_resolve(scope, appeal_id, resolution=data.resolution or data.note)


def _close(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_close(scope, appeal_id, reason=data.reason or data.note)


def _reopen(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_reopen(scope, appeal_id, reason=data.reason or data.note)


def _pause(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_pause(scope, appeal_id, reason=data.reason or data.note)


def _resume(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_resume(scope, appeal_id)


def _merge(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    """Merge into the appeal named by ``into`` (id) or ``into_reference``. The target must be
    visible to the viewer; a missing and an invisible target get the same answer."""
    reference = (data.into_reference or "").strip()
    if data.into is None and not reference:
        raise ServiceError(_("Say which appeal to merge into: its reference, for example LM20260302000123."))
    visible = visible_appeals(scope)
    target = (
        visible.filter(pk=data.into) if data.into is not None else visible.filter(reference__iexact=reference)
    )
    into = target.values_list("pk", flat=True).first()
    if into is None:
        raise ServiceError(
            _("No appeal %(ref)s that you can see; check the reference (for example LM20260302000123).")
            % {"ref": reference or data.into}
        )
    services.do_merge(scope, appeal_id, into_id=into)


def _assign(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    person = Person.objects.filter(pk=data.person or 0, active=True).first()
    if person is None:
        raise ServiceError(_("Choose the person to assign from the list (search by name, grid or role)."))
    services.do_assign(scope, appeal_id, person=person)


def _note(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    services.do_add_note(scope, appeal_id, note=data.note)


def _transfer(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    department = Department.objects.filter(code=data.department or "").first()
    if department is None:
        raise ServiceError(
            _("Choose the department to transfer to from the list (unknown department “%(code)s”).")
            % {"code": data.department or ""}
        )
    transfers.do_transfer(scope, appeal_id, department=department, note=data.note)


def _accept_transfer(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    transfers.do_accept_transfer(scope, appeal_id, note=data.note)


def _return_transfer(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    transfers.do_return_transfer(scope, appeal_id, reason=data.reason or data.note)


def _complete_transfer(scope: Scope, appeal_id: int, data: ActionIn) -> None:
    transfers.do_complete_transfer(scope, appeal_id, outcome=data.outcome or data.note)


_HANDLERS: dict[str, Callable[[Scope, int, ActionIn], None]] = {
    "acknowledge": _acknowledge,
    "contact": _contact,
    "land": _land,
    "resolve": _resolve,
    "close": _close,
    "reopen": _reopen,
    "pause": _pause,
    "resume": _resume,
    "merge": _merge,
    "assign": _assign,
    "note": _note,
    "transfer": _transfer,
    "accept_transfer": _accept_transfer,
    "return_transfer": _return_transfer,
    "complete_transfer": _complete_transfer,
}

ACTIONS: tuple[str, ...] = tuple(_HANDLERS)
"""Every action name ``run_action`` knows (which of them a viewer may take now:
``selectors.available_actions``)."""


def run_action(scope: Scope, appeal_id: int, action: str, data: ActionIn) -> Appeal:
    """Perform ``action`` on the appeal as the viewer and return the appeal as it is afterwards.

    Raises ``Http404`` when the viewer may not see the appeal (or it does not exist), before
    anything else; then the service's ``NotAllowed`` / ``ServiceError`` / ``TransitionError``."""
    access_appeal_by_scope(scope, appeal_id)  # 404 for both missing and not visible
    handler = _HANDLERS.get(action)
    if handler is None:
        raise ServiceError(_("Unknown action “%(action)s”.") % {"action": action})
    handler(scope, appeal_id, data)
    return Appeal.objects.get(pk=appeal_id)


__all__ = ["ACTIONS", "run_action"]
