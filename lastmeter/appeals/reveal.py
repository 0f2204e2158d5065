"""Revealing a reporter's full phone number, so the officer handling the appeal can call them.

Lists, pages and the API show the number masked (``presenters.masked_reporter``). The full number
leaves the server only through ``do_reveal_reporter_phone``, which asks why, refuses everyone but
the officers ``selectors.may_reveal_reporter_phone`` names, and writes one ``AccessLog`` row per
reveal (who, what, which appeal, when, why). A refusal reveals nothing and logs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from lastmeter.accounts.selectors import Scope
from lastmeter.accounts.services import log_access
from lastmeter.appeals.locking import lock_appeal
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.selectors import access_appeal_by_scope, may_reveal_reporter_phone
from lastmeter.lib.errors import NotAllowed, ServiceError

# What the access log calls this read.
REPORTER_PHONE = "reporter phone"


@dataclass(frozen=True)
class RevealedPhone:
    appeal_id: int
    phone: str

    @property
    def tel(self) -> str:
        """A ``tel:`` URI: digits and a leading + only (spaces and dashes dropped)."""
        kept = "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")
        return "tel:" + kept


def check_reveal_reporter_phone(scope: Scope, appeal: Appeal, reason: str) -> str:
    """The reason, stripped; refuses a viewer who may not call the reporter, an empty reason and
    an appeal without a number. Caller holds the appeal's row lock."""
    if not may_reveal_reporter_phone(scope, appeal):
        raise NotAllowed(
            _(
                "Only the officer assigned to this appeal, or the responsible officer of its grid, "
                "may see the reporter's full number. Ask the dispatcher to assign it to you."
            )
        )
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why you need the reporter's full number: it is written to the access log."))
    if not appeal.reporter_phone.strip():
        raise ServiceError(_("The reporter left no phone number."))
    return reason[:300]


def do_reveal_reporter_phone(scope: Scope, appeal_id: int, reason: str) -> RevealedPhone:
    """The reporter's full number for the viewer, logged in the access log with ``reason``.

    Raises ``Http404`` when the viewer may not see the appeal at all, ``NotAllowed`` when they
    see it but may not call its reporter, ``ServiceError`` for an empty reason or no number."""
    access_appeal_by_scope(scope, appeal_id)  # 404 for both missing and not visible
    with transaction.atomic():
        # Locked so that a reassignment committed meanwhile is seen by the check below.
        appeal = lock_appeal(appeal_id)
        why = check_reveal_reporter_phone(scope, appeal, reason)
        log_access(scope.person, REPORTER_PHONE, appeal, why)
    return RevealedPhone(appeal_id=appeal.pk, phone=appeal.reporter_phone.strip())


__all__ = ["REPORTER_PHONE", "RevealedPhone", "check_reveal_reporter_phone", "do_reveal_reporter_phone"]
