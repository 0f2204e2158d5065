"""What the reporter (and anyone subscribed to the appeal) is told, and through which route.

The route is the channel the appeal came from when that channel can answer (a chat group bot),
else SMS to the phone, else e-mail. Texts are rendered in the deployment's language, and every
message ends with the recipient's own tracking link: the reporter's ``/t/<token>/``; a
subscriber's is the link of the appeal that was merged (their own), or a signed follow link that
shows the appeal's public progress without anyone's text (``appeals:follow``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lastmeter.appeals.models import Appeal, Subscription
from lastmeter.appeals.notify.outbox import channel_can_answer, enqueue

FOLLOW_SALT = "lastmeter.appeals.follow"

# Every kind of message a reporter or subscriber may get (tests render each one).
REPORTER_MESSAGE_KINDS = (
    "acknowledged",
    "landed",
    "transferred",
    "department_outcome",
    "resolved",
    "reopened",
    "closed",
    "merged",
)


def public_url(path: str) -> str:
    """``path`` under LASTMETER_PUBLIC_BASE_URL (relative when that is not set)."""
    return settings.LASTMETER_PUBLIC_BASE_URL.rstrip("/") + path


def tracking_link(appeal: Appeal) -> str:
    """The reporter's own tracking page, absolute when the public base URL is configured."""
    return public_url(reverse("appeals:track", args=[appeal.tracking_token]))


def follow_token(subscription: Subscription) -> str:
    return signing.Signer(salt=FOLLOW_SALT).sign(str(subscription.pk))


def subscription_from_follow_token(value: str) -> int | None:
    """The subscription id a follow token was made for, or None when it was not made by us."""
    try:
        return int(signing.Signer(salt=FOLLOW_SALT).unsign(value))
    except (signing.BadSignature, ValueError):
        return None


def follow_link(subscription: Subscription) -> str:
    """A subscriber's link: their own merged appeal's page, else the signed follow page."""
    if subscription.source_appeal_id and subscription.source_appeal is not None:
        return tracking_link(subscription.source_appeal)
    return public_url(reverse("appeals:follow", args=[follow_token(subscription)]))


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


def reporter_message(appeal: Appeal, what: str, extra: str = "", *, link: str, follower: bool = False) -> str:
    """The text of one message kind, ending with ``link``. ``follower``: the recipient reported
    the same problem and follows this appeal (they cannot rate it)."""
    with translation.override(settings.LANGUAGE_CODE):
        ref = appeal.reference or str(appeal.pk)
        if what == "resolved":
            if follower:
                text = _(
                    "Appeal %(ref)s, about the problem you reported, has been resolved: %(resolution)s"
                ) % {
                    "ref": ref,
                    "resolution": extra,
                }
            else:
                text = _(
                    "Your appeal %(ref)s has been resolved: %(resolution)s. Rate it or contest it on your "
                    "tracking page (we send a code to your phone or e-mail first)."
                ) % {"ref": ref, "resolution": extra}
        else:
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
                "reopened": _("Your appeal %(ref)s has been reopened.") % {"ref": ref},
                "closed": _("Your appeal %(ref)s has been closed: %(reason)s")
                % {"ref": ref, "reason": extra},
                "merged": _(
                    "Your report has been attached to appeal %(ref)s, which covers the same problem; you will receive its updates."
                )
                % {"ref": extra},
            }
            text = texts[what]
        return text + " " + _("Progress: %(link)s") % {"link": link}


def notify_reporter(appeal: Appeal, what: str, *, extra: str = "", event_id: int | str) -> int:
    """Enqueue the message for the reporter and every subscriber, each with their own link.
    Caller is inside the transaction of the change. Returns the number of messages enqueued."""
    recipients = [
        (
            appeal.channel,
            appeal.channel_ref,
            appeal.reporter_phone,
            appeal.reporter_email,
            "r",
            tracking_link(appeal),
            False,
        )
    ]
    for sub in appeal.subscriptions.select_related("source_appeal"):
        recipients.append(
            (sub.channel, sub.channel_ref, sub.phone, sub.email, f"s{sub.pk}", follow_link(sub), True)
        )
    count = 0
    for channel, ref, phone, email, who, link, follower in recipients:
        body = reporter_message(appeal, what, extra, link=link, follower=follower)
        for transport, recipient in _routes(channel, ref, phone, email):
            # The key makes the message unique per appeal event and recipient: a retried service
            # call cannot enqueue it twice.
            key = f"appeal:{appeal.pk}:{what}:{event_id}:{who}:{transport}"
            if enqueue(key=key, transport=transport, recipient=recipient, body=body, appeal=appeal):
                count += 1
    return count


def private_route(appeal: Appeal) -> tuple[str, dict[str, Any]] | None:
    """Where a one-time code may go: the reporter's phone (SMS), else e-mail. Never a chat
    channel, which is usually a group."""
    if appeal.reporter_phone:
        return "sms", {"phone": appeal.reporter_phone}
    if appeal.reporter_email:
        return "email", {"email": appeal.reporter_email}
    return None


def send_feedback_code(appeal: Appeal, code: str, *, key: str, minutes: int) -> bool:
    """Enqueue the one-time code to the reporter's private route. Caller is inside the
    transaction that stored the code. False when the reporter has no phone or e-mail."""
    route = private_route(appeal)
    if route is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Your code to rate or contest appeal %(ref)s is %(code)s (valid for %(minutes)d minutes). "
            "Ignore this message if you did not ask for it."
        ) % {"ref": appeal.reference or appeal.pk, "code": code, "minutes": minutes}
        body += " " + _("Progress: %(link)s") % {"link": tracking_link(appeal)}
    transport, recipient = route
    enqueue(
        key=key,
        transport=transport,
        recipient=recipient,
        body=body,
        subject=appeal.reference or "",
        appeal=appeal,
    )
    return True


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
