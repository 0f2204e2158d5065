"""The reporter's one-time codes for rating and contesting, and the rules around feedback.

Why a code and not just the link: the tracking link is posted in group chats (the bot answers
there with it), so anyone in the group could rate or reopen someone else's appeal. A six-digit code
sent privately to the reporter — SMS to the phone they gave, else e-mail, never the chat — proves
the person at the page is the reporter. A code was preferred to a second, private "feedback link"
because a code expires in minutes and after a few wrong tries, while a link in an SMS lives as
long as the message; and operators in China restrict links in SMS templates, not codes.

Rules: one rating per resolution (rating closes the appeal; the database holds one rating per
``resolved_at``); at most ``LASTMETER_MAX_CONTESTS`` contests per appeal, each recorded as a
``Rating(contested=True)`` and a reopening on the timeline; a score is a whole number 1–5.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.appeals.choices import AppealState
from lastmeter.appeals.locking import lock_appeal
from lastmeter.appeals.models import Appeal, FeedbackCode, Rating
from lastmeter.appeals.notify.reporter import private_route, send_feedback_code
from lastmeter.appeals.selectors import access_appeal_by_token
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.text import mask_phone


def _hash(appeal_id: int, code: str) -> str:
    return hashlib.sha256(f"{appeal_id}:{code}".encode()).hexdigest()


def parse_score(value: Any) -> int:
    """A rating's score from a form or JSON: a whole number 1–5, or a ServiceError that says so."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise ServiceError(_("The rating must be a whole number from 1 to 5."))
    return value


def contests_used(appeal: Appeal) -> int:
    return Rating.objects.filter(appeal=appeal, contested=True).count()


def can_rate(appeal: Appeal) -> bool:
    return (
        appeal.state == AppealState.RESOLVED
        and not Rating.objects.filter(appeal=appeal, contested=False, resolved_at=appeal.resolved_at).exists()
    )


def can_contest(appeal: Appeal) -> bool:
    return (
        appeal.state in (AppealState.RESOLVED, AppealState.CLOSED)
        and appeal.resolved_at is not None
        and contests_used(appeal) < settings.LASTMETER_MAX_CONTESTS
        and not Rating.objects.filter(appeal=appeal, contested=True, resolved_at=appeal.resolved_at).exists()
    )


def code_destination(appeal: Appeal) -> str:
    """Where a code would go, masked for the page: "SMS 139****5678" or "e-mail l***@example.com"."""
    route = private_route(appeal)
    if route is None:
        return ""
    transport, recipient = route
    if transport == "sms":
        return _("SMS to %(phone)s") % {"phone": mask_phone(recipient["phone"])}
    local, _at, domain = recipient["email"].partition("@")
    return _("e-mail to %(email)s") % {"email": f"{local[:1]}***@{domain}"}


def check_feedback_refusal_locked(appeal: Appeal, *, contest: bool) -> None:
    """Refuse feedback the appeal cannot take now, with a message for the reporter. Caller holds
    the appeal's lock."""
    if contest:
        if appeal.state not in (AppealState.RESOLVED, AppealState.CLOSED) or appeal.resolved_at is None:
            raise ServiceError(_("Only a resolved or closed appeal can be contested."))
        if contests_used(appeal) >= settings.LASTMETER_MAX_CONTESTS:
            raise ServiceError(
                _(
                    "This appeal has already been contested %(n)d times, the most allowed here. "
                    "Please call the police station or file a complaint."
                )
                % {"n": settings.LASTMETER_MAX_CONTESTS}
            )
        if Rating.objects.filter(appeal=appeal, contested=True, resolved_at=appeal.resolved_at).exists():
            raise ServiceError(_("This resolution has already been contested."))
        return
    rated = Rating.objects.filter(appeal=appeal, contested=False, resolved_at=appeal.resolved_at)
    if appeal.resolved_at is not None and rated.exists():
        raise ServiceError(_("You have already rated this resolution."))
    if appeal.state != AppealState.RESOLVED:
        raise ServiceError(_("Only a resolved appeal can be rated."))


@dataclass
class IssuedCode:
    code: str  # the raw code: returned for the demo and tests; pages and the API never show it
    destination: str


def issue_feedback_code(token: str, *, now: datetime | None = None) -> IssuedCode:
    """Send a new one-time code to the reporter's phone (else e-mail) through the outbox.

    Refused when the appeal takes no feedback now, when the reporter left no phone or e-mail,
    within ``LASTMETER_FEEDBACK_CODE_INTERVAL_S`` of the last code, and past
    ``LASTMETER_FEEDBACK_CODES_PER_DAY`` codes a day (the link is public: nobody may use it to
    flood the reporter with messages)."""
    appeal_id = access_appeal_by_token(token).pk
    now = now or timezone.now()
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        if not (can_rate(appeal) or can_contest(appeal)):
            if appeal.state in (AppealState.RESOLVED, AppealState.CLOSED):
                check_feedback_refusal_locked(appeal, contest=True)
            raise ServiceError(_("This appeal cannot be rated or contested now."))
        route = private_route(appeal)
        if route is None:
            raise ServiceError(
                _(
                    "We have no phone number or e-mail address of the reporter to send a code to. "
                    "Please call the police station to give your feedback."
                )
            )
        last = appeal.feedback_codes.order_by("-created_at").first()
        if (
            last is not None
            and (now - last.created_at).total_seconds() < settings.LASTMETER_FEEDBACK_CODE_INTERVAL_S
        ):
            raise ServiceError(_("A code was sent less than a minute ago; please wait for it."))
        if appeal.feedback_codes.filter(created_at__gt=now - timedelta(days=1)).count() >= (
            settings.LASTMETER_FEEDBACK_CODES_PER_DAY
        ):
            raise ServiceError(_("Too many codes were asked for today; please try again tomorrow."))
        code = f"{secrets.randbelow(1_000_000):06d}"
        minutes = settings.LASTMETER_FEEDBACK_CODE_TTL_MIN
        row = FeedbackCode.objects.create(
            appeal=appeal,
            code_hash=_hash(appeal.pk, code),
            transport=route[0],
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        send_feedback_code(appeal, code, key=f"feedback-code:{row.pk}", minutes=minutes)
    return IssuedCode(code=code, destination=code_destination(appeal))


def use_code_locked(appeal: Appeal, code: str, now: datetime) -> str | None:
    """Check ``code`` against the appeal's newest open code and use it up when it matches.

    Returns None when the code is good, else the message to show. A wrong code counts an attempt;
    the caller must let its transaction commit (return the message, raise after the ``atomic``
    block) so that the count is kept. Caller holds the appeal's lock."""
    code = (code or "").strip()
    row = (
        FeedbackCode.objects.select_for_update()
        .filter(appeal=appeal, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return _("Ask for a code first: it is sent to the reporter's phone or e-mail.")
    if row.attempts >= settings.LASTMETER_FEEDBACK_CODE_ATTEMPTS:
        return _("Too many wrong codes; ask for a new one.")
    if not code or not hmac.compare_digest(row.code_hash, _hash(appeal.pk, code)):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = settings.LASTMETER_FEEDBACK_CODE_ATTEMPTS - row.attempts
        return _("The code is not right (%(left)d tries left).") % {"left": max(left, 0)}
    row.used_at = now
    row.save(update_fields=["used_at"])
    return None


__all__ = [
    "IssuedCode",
    "can_contest",
    "can_rate",
    "check_feedback_refusal_locked",
    "code_destination",
    "contests_used",
    "issue_feedback_code",
    "parse_score",
    "use_code_locked",
]
