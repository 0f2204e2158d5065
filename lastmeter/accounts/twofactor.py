"""Two-factor sign-in for staff: who needs it, enrolment, verification, recovery codes.

The one-time passwords are django-otp's: a TOTP device (RFC 6238, the codes of any authenticator
app) and a static device holding ten single-use recovery codes. This module decides *who* must
pass a second factor and drives enrolment; the pages are in ``views.py`` and the enforcement in
``middleware.py`` (pages), ``auth.py`` (API sessions) and ``middleware.TwoFactorWebsocketGuard``.

Who: leaders, dispatchers, legal reviewers, administrators and superusers must, when
``settings.LASTMETER_REQUIRE_2FA`` is on; anyone (an officer who chose to) who has a confirmed
device must verify it at every sign-in whatever the setting says.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lastmeter.accounts.choices import TWO_FACTOR_ROLES
from lastmeter.accounts.models import RoleAssignment

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"

AnyUser = AbstractBaseUser | AnonymousUser


def role_requires_two_factor(user: AnyUser | None) -> bool:
    """True when this login's roles need a second factor (whatever the setting says)."""
    if user is None or not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    return RoleAssignment.objects.filter(
        person__user_id=user.pk, person__active=True, role__in=TWO_FACTOR_ROLES
    ).exists()


def must_verify(user: AnyUser | None) -> bool:
    """True when this login may not use staff pages or API sessions before a second factor:
    its role needs one (and the setting is on), or it enrolled a device of its own accord."""
    if user is None or not user.is_authenticated:
        return False
    if settings.LASTMETER_REQUIRE_2FA and role_requires_two_factor(user):
        return True
    return user_has_device(user, confirmed=True)


def is_verified(user: AnyUser | None) -> bool:
    """The session passed a second factor (django-otp's OTPMiddleware marks the user)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def session_is_cleared(user: AnyUser | None, session: dict | None = None) -> bool:
    """May this signed-in session act as its user? For requests, OTPMiddleware has marked the
    user; for websockets (no Django middleware) the session's verified device is looked up."""
    if not must_verify(user):
        return True
    if hasattr(user, "is_verified"):
        return is_verified(user)
    device_id = (session or {}).get(DEVICE_ID_SESSION_KEY)
    if not device_id or user is None:
        return False
    device = Device.from_persistent_id(device_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def has_enrolled(user: AnyUser) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as text and as a QR code (inline SVG)."""

    device: TOTPDevice
    secret: str  # base32, grouped in fours for typing
    qr_svg: str


def pending_enrolment(user: AnyUser) -> Enrolment:
    """The unconfirmed authenticator of ``user``, created on first call; the same secret is shown
    until a code from it confirms it (a reload must not invalidate the code being typed)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    # The QR code is drawn here (segno, no network); it carries the otpauth:// URI apps read.
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return Enrolment(device=device, secret=grouped, qr_svg=qr_svg)


def confirm_enrolment(request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a code it produced; on success the session counts as verified,
    earlier authenticators of the user are removed, and ten new recovery codes are returned
    (shown once). None when the code is wrong."""
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user_id=user.pk)
        if not device.verify_token(token.replace(" ", "")):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
        codes = replace_recovery_codes(user)
    otp_login(request, device)
    return codes


def replace_recovery_codes(user: AnyUser) -> list[str]:
    """Ten fresh single-use codes for ``user``; the old ones stop working."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user_id=user.pk, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@dataclass(frozen=True)
class Verification:
    ok: bool
    wait_s: int = 0  # after wrong codes: seconds before the next try is looked at


def verify_second_factor(request: HttpRequest, token: str) -> Verification:
    """Check a code: six digits go to the user's authenticator, anything else to their recovery
    codes (each works once). On success the session counts as verified. Wrong codes are throttled
    per device by django-otp (1, 2, 4, 8 … seconds between tries)."""
    user = request.user
    token = "".join(token.split()).lower()
    model: type[Device] = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    device = model.objects.filter(user_id=user.pk, confirmed=True).order_by("id").first()
    if device is None:
        return Verification(ok=False)
    wait = wait_seconds(device)
    if wait:
        return Verification(ok=False, wait_s=wait)
    verified = otp_verify_token(user, device.persistent_id, token)
    if verified is None:
        return Verification(ok=False)
    otp_login(request, verified)
    return Verification(ok=True)


def wait_seconds(device: Device) -> int:
    """Seconds before ``device`` looks at another code (0: now); django-otp's throttling after
    wrong codes."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return 0
    locked_until = (info or {}).get("locked_until")
    wait = math.ceil((locked_until - timezone.now()).total_seconds()) if locked_until else 1
    return max(wait, 1)


def remaining_recovery_codes(user: AnyUser) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def forget_devices(user: AnyUser) -> None:
    """Remove every authenticator and recovery code of ``user`` (a lost phone): they enrol again
    at their next sign-in, which needs their password."""
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    StaticDevice.objects.filter(user_id=user.pk).delete()
