"""What a department's liaisons are told about the transfers to their department, and how.

Each active liaison of the department gets the message on their own channel: SMS to their phone,
else e-mail, else the console (logged). A department without a liaison gets it at its e-mail
address, else on the console, so that a transfer is never silent. Texts are rendered in the
deployment's language and link to the department's inbox page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Department, Person
from lastmeter.appeals.models import Appeal, Transfer
from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.appeals.notify.reporter import public_url


def inbox_link() -> str:
    return public_url(reverse("appeals:department_inbox"))


def liaisons_of(department: Department) -> list[Person]:
    return list(
        Person.objects.filter(
            active=True, roles__role=Role.DEPARTMENT_LIAISON, roles__department=department
        ).distinct()
    )


def _route(person: Person) -> tuple[str, dict[str, Any]]:
    if person.phone:
        return "sms", {"phone": person.phone, "person": person.pk}
    if person.email:
        return "email", {"email": person.email, "person": person.pk}
    return "console", {"person": person.pk}


def _text(what: str, appeal: Appeal, transfer: Transfer, due_at) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "ref": appeal.reference,
            "dept": transfer.department.name,
            "text": appeal.text[:80],
            "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M") if due_at else "—",
            "link": inbox_link(),
        }
        texts = {
            "new": _(
                "[lastmeter] Appeal %(ref)s has been transferred to %(dept)s: %(text)s "
                "Accept it or return it with a reason by %(due)s: %(link)s"
            ),
            "warning": _(
                "[lastmeter] Appeal %(ref)s (transferred to %(dept)s): the deadline %(due)s is close. %(link)s"
            ),
            "breached": _(
                "[lastmeter] Appeal %(ref)s (transferred to %(dept)s): the deadline %(due)s has passed; "
                "the police station has been told. %(link)s"
            ),
        }
        return texts[what] % values


def notify_liaisons(what: str, appeal: Appeal, transfer: Transfer, *, due_at=None, key: str) -> int:
    """Enqueue ``what`` ("new", "warning", "breached") for the department's liaisons. Caller is
    inside the transaction of the change; ``key`` makes the message unique per change. Returns the
    number of messages enqueued."""
    body = _text(what, appeal, transfer, due_at)
    department = transfer.department
    routes = [(f"p{p.pk}", *_route(p)) for p in liaisons_of(department)]
    if not routes:
        if department.email:
            routes = [("d", "email", {"email": department.email, "department": department.pk})]
        else:
            routes = [("d", "console", {"department": department.pk})]
    count = 0
    for who, transport, recipient in routes:
        if enqueue(key=f"{key}:{who}", transport=transport, recipient=recipient, body=body, appeal=appeal):
            count += 1
    return count


__all__ = ["inbox_link", "liaisons_of", "notify_liaisons"]
