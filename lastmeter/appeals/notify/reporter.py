"""What the reporter (and anyone subscribed to the appeal) is told, and through which route.

The route is the channel the appeal came from when that channel can answer (a chat group bot),
else SMS to the phone, else e-mail. Texts are rendered in the deployment's language.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
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
            "closed": _("Your appeal %(ref)s has been closed: %(reason)s") % {"ref": ref, "reason": extra},
            "merged": _(
                "Your report has been attached to appeal %(ref)s, which covers the same problem; you will receive its updates."
            )
            % {"ref": extra},
        }
        return texts[what]


# Messages that send the reporter to the tracking page carry its link: each recipient gets the
# link of the appeal they reported (a subscriber's own, merged report), never another resident's.
WITH_LINK = frozenset({"transferred", "department_outcome", "closed"})


def tracking_link(token: str) -> str:
    """The tracking page's address, absolute when LASTMETER_PUBLIC_BASE_URL is set."""
    return settings.LASTMETER_PUBLIC_BASE_URL.rstrip("/") + reverse("appeals:track", args=[token])


def _with_link(body: str, token: str) -> str:
    if not token:
        return body
    with translation.override(settings.LANGUAGE_CODE):
        return body + "\n" + _("Follow your appeal here: %(link)s") % {"link": tracking_link(token)}


def notify_reporter(appeal: Appeal, what: str, *, extra: str = "", event_id: int | str) -> int:
    """Enqueue the message for the reporter and every subscriber. Caller is inside the
    transaction of the change. Returns the number of messages enqueued."""
    text = _message(appeal, what, extra)
    linked = what in WITH_LINK
    recipients = [
        (
            appeal.channel,
            appeal.channel_ref,
            appeal.reporter_phone,
            appeal.reporter_email,
            "r",
            appeal.tracking_token,
        )
    ]
    for sub in appeal.subscriptions.select_related("source_appeal"):
        token = sub.source_appeal.tracking_token if sub.source_appeal else ""
        recipients.append((sub.channel, sub.channel_ref, sub.phone, sub.email, f"s{sub.pk}", token))
    count = 0
    for channel, ref, phone, email, who, token in recipients:
        body = _with_link(text, token) if linked else text
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
