"""What the reporter (and anyone subscribed to the appeal) is told, and through which route.

The route is the channel the appeal came from when that channel can answer (a chat group bot),
else SMS to the phone, else e-mail. Texts are rendered in the deployment's language.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from lastmeter.appeals.models import Appeal
from lastmeter.appeals.notify.outbox import channel_can_answer, enqueue


def _routes(
    channel: str, channel_ref: dict[str, Any], phone: str, email: str
) -> list[tuple[str, dict[str, Any]]]:
    if channel_can_answer(channel) and channel_ref:
        return [(f"channel:{channel}", dict(channel_ref))]
    if phone:
        return [("sms", {"phone": phone})]
    if email:
        return [("email", {"email": email})]
    return []


def _message(appeal: Appeal, what: str, extra: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        ref = appeal.reference or str(appeal.pk)
        texts = {
            "acknowledged": _("Your appeal %(ref)s has been received; an officer will contact you soon.")
            % {"ref": ref},
            "landed": _("An officer has arrived on site for your appeal %(ref)s.") % {"ref": ref},
            "transferred": _(
                "Your appeal %(ref)s is outside police scope and has been transferred to %(dept)s."
            )
            % {"ref": ref, "dept": extra},
            "department_outcome": _("%(dept)s has dealt with your appeal %(ref)s: %(outcome)s")
            % {"ref": ref, "dept": appeal.department.name if appeal.department else "", "outcome": extra},
            "resolved": _(
                "Your appeal %(ref)s has been resolved: %(resolution)s. Reply or use your tracking link to rate it or contest it."
            )
            % {"ref": ref, "resolution": extra},
            "reopened": _("Your appeal %(ref)s has been reopened.") % {"ref": ref},
            "merged": _(
                "Your report has been attached to appeal %(ref)s, which covers the same problem; you will receive its updates."
            )
            % {"ref": extra},
        }
        return texts[what]


def notify_reporter(appeal: Appeal, what: str, *, extra: str = "", event_id: int | str) -> int:
    """Enqueue the message for the reporter and every subscriber. Caller is inside the
    transaction of the change. Returns the number of messages enqueued."""
    body = _message(appeal, what, extra)
    recipients = [(appeal.channel, appeal.channel_ref, appeal.reporter_phone, appeal.reporter_email, "r")]
    for sub in appeal.subscriptions.all():
        recipients.append((sub.channel, sub.channel_ref, sub.phone, sub.email, f"s{sub.pk}"))
    count = 0
    for channel, ref, phone, email, who in recipients:
        for transport, recipient in _routes(channel, ref, phone, email):
            # The key makes the message unique per appeal event and recipient: a retried service
            # call cannot enqueue it twice.
            key = f"appeal:{appeal.pk}:{what}:{event_id}:{who}:{transport}"
            if enqueue(key=key, transport=transport, recipient=recipient, body=body, appeal=appeal):
                count += 1
    return count


def notify_staff(person, appeal: Appeal, body: str, *, key: str) -> None:
    """Tell a staff member (escalations, assignments): SMS if they have a phone, else console."""
    if person is None:
        return
    if person.phone:
        enqueue(
            key=key,
            transport="sms",
            recipient={"phone": person.phone, "person": person.pk},
            body=body,
            appeal=appeal,
        )
    else:
        enqueue(key=key, transport="console", recipient={"person": person.pk}, body=body, appeal=appeal)
