"""Writes of the accounts app: the access log (views of personal data, and sign-in lock-outs).

``log_access`` is the one function every place that shows personal data calls (appeal detail page
and API, appeal photos, the officer's phone-number reveal, the admin's change pages). It writes
one ``AccessLog`` row per view, in the caller's transaction when there is one, so a view that
fails to render after logging still leaves its row (the data may already have been read).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from lastmeter.accounts.models import AccessLog, Person


def _object_fields(obj: Any) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_label": ""}
    if isinstance(obj, models.Model):
        meta = obj._meta
        return {
            "object_type": f"{meta.app_label}.{meta.model_name}",
            "object_id": str(obj.pk)[:64],
            "object_label": str(obj)[:200],
        }
    return {"object_type": type(obj).__name__[:100], "object_id": "", "object_label": str(obj)[:200]}


def log_access(
    person: Person | None,
    what: str,
    obj: Any = None,
    why: str = "",
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> AccessLog:
    """Record that ``person`` (or the login ``user``, when it has no person) saw ``what`` of
    ``obj`` for the reason ``why``. ``what`` names the data ("appeal detail", "reporter phone",
    "appeal photo", "admin: appeal"); ``why`` the purpose or the page ("call the reporter").
    Returns the row written."""
    if person is None and user is not None and user.is_authenticated:
        person = Person.objects.filter(user_id=user.pk).first()
    user_id = user.pk if user is not None and user.is_authenticated else None
    if user_id is None and person is not None:
        user_id = person.user_id
    return AccessLog.objects.create(
        person=person,
        user_id=user_id,
        what=what[:200],
        why=why[:300],
        **_object_fields(obj),
    )


LOCKOUT_WHAT = "sign-in locked out"


def log_lockout(sender: Any, *, username: str | None = None, ip_address: str | None = None, **kwargs: Any):
    """django-axes' ``user_locked_out`` receiver: one AccessLog row per refused sign-in of a
    locked-out username from an address (the first lock-out and each try while it lasts), naming
    the login when it exists. The object is the login itself, so the admin's filters find it."""
    user = get_user_model().objects.filter(username=username).first() if username else None
    return AccessLog.objects.create(
        person=Person.objects.filter(user=user).first() if user is not None else None,
        user=user,
        what=LOCKOUT_WHAT,
        object_type="auth.user",
        object_id=str(user.pk) if user is not None else "",
        object_label=(username or "")[:200],
        why=f"too many failed passwords from {ip_address or 'an unknown address'}"[:300],
    )


__all__ = ["LOCKOUT_WHAT", "log_access", "log_lockout"]
