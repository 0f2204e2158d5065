"""What the complainant and the staff are told about a complaint, through the appeals' outbox.

A complaint is private: its messages go to the complainant's phone (SMS), else their e-mail,
never to a chat group, even when the complaint came from one (a group would read the decision).
Texts are rendered in the deployment's language and end with the complainant's own tracking
link. Callers are inside the transaction of the change, so a message exists if and only if the
change does; keys make a retried service call enqueue nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Person
from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.appeals.notify.reporter import public_url
from lastmeter.complaints.models import Complaint

# Every kind of message a complainant may get (tests render each one).
COMPLAINANT_MESSAGE_KINDS = ("received", "acknowledged", "decided", "appealed", "closed", "withdrawn")


def tracking_link(complaint: Complaint) -> str:
    return public_url(reverse("complaints:track", args=[complaint.tracking_token]))


def complainant_route(complaint: Complaint) -> tuple[str, dict[str, Any]] | None:
    if complaint.complainant_phone:
        return "sms", {"phone": complaint.complainant_phone}
    if complaint.complainant_email:
        return "email", {"email": complaint.complainant_email}
    return None


def complainant_message(complaint: Complaint, what: str, extra: str = "") -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"ref": complaint.reference, "extra": extra}
        texts = {
            "received": _("We have received your complaint %(ref)s."),
            "acknowledged": _(
                "Your complaint %(ref)s has been accepted; the legal office reviews it and replies in writing."
            ),
            "decided": _(
                "The reply to your complaint %(ref)s is ready: %(extra)s. The reply letter is on your page."
            ),
            "appealed": _(
                "Your further appeal on complaint %(ref)s has been received; a second reviewer will reply."
            ),
            "closed": _("Your complaint %(ref)s has been closed: %(extra)s"),
            "withdrawn": _("Your complaint %(ref)s has been withdrawn: %(extra)s"),
        }
        return texts[what] % values + " " + _("Progress: %(link)s") % {"link": tracking_link(complaint)}


def notify_complainant(complaint: Complaint, what: str, *, extra: str = "", event_id: int | str) -> bool:
    """Enqueue one message to the complainant; False when they left no phone or e-mail."""
    route = complainant_route(complaint)
    if route is None:
        return False
    transport, recipient = route
    enqueue(
        key=f"complaint:{complaint.pk}:{what}:{event_id}:{transport}",
        transport=transport,
        recipient=recipient,
        body=complainant_message(complaint, what, extra),
        subject=complaint.reference or "",
    )
    return True


def notify_person(person: Person, body: str, *, key: str) -> None:
    """Tell a member of staff (a reviewer, a leader): SMS if they have a phone, else the console.
    The text names the complaint's reference and deadline only, never the complainant."""
    if person.phone:
        enqueue(key=key, transport="sms", recipient={"phone": person.phone, "person": person.pk}, body=body)
    else:
        enqueue(key=key, transport="console", recipient={"person": person.pk}, body=body)


def deadline_text(complaint: Complaint, what: str, due_at) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"ref": complaint.reference, "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")}
        if what == "warning":
            return _("[lastmeter] Complaint %(ref)s: the deadline %(due)s is close.") % values
        if what == "assigned":
            return (
                _("[lastmeter] Complaint %(ref)s has been assigned to you for review; reply by %(due)s.")
                % values
            )
        return (
            _("[lastmeter] Complaint %(ref)s: the deadline %(due)s was missed; it is escalated to you.")
            % values
        )


__all__ = [
    "COMPLAINANT_MESSAGE_KINDS",
    "complainant_message",
    "complainant_route",
    "deadline_text",
    "notify_complainant",
    "notify_person",
    "tracking_link",
]
