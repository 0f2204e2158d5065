"""Signing in in tests, second factor included — with real TOTP codes, never by switching 2FA off.

- ``totp_code(device)``: the code an authenticator app holding ``device``'s key shows now (the
  earliest time step the device will still accept: a code is good only once).
- ``authenticator(user)``: a confirmed TOTP device for ``user`` (what enrolment leaves behind).
- ``verify_session(session, user)``: verify a fresh code against ``user``'s authenticator and mark
  ``session`` as having passed the second factor, as django-otp's login() does.
- ``login(client, username)``: the whole sign-in through the real pages (password form, then the
  code form when the user needs one); returns the last response.
- ``verify_test_logins(monkeypatch)``: (called for every test by lastmeter/conftest.py) Django's test
  ``Client.login()`` / ``force_login()`` — which stand for "this person has signed in" in most
  tests — also pass the second factor when the user must, by verifying a real code. Tests of the
  sign-in itself use ``login()`` or post to the pages, and ``password_only_login`` for a session
  that has not passed it yet.
- ``settings.LASTMETER_REQUIRE_2FA`` is on in every test (lastmeter/conftest.py), as in a
  deployment; a test that is about the demo's set-up turns it off itself.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from lastmeter.accounts.twofactor import must_verify

_ORIGINAL_CLIENT_LOGIN = Client._login  # type: ignore[attr-defined]


def totp_code(device: TOTPDevice) -> str:
    """The six digits for the earliest time step ``device`` still accepts (after its last used
    step, within its tolerance around now). Raises when every step in the window is used up."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step + device.drift
    t = max(now_t - device.tolerance, device.last_t + 1)
    if t > now_t + device.tolerance:
        raise RuntimeError("every code of this time window was used: make a second device")
    return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"


def authenticator(user, *, fresh: bool = False) -> TOTPDevice:
    """A confirmed TOTP device of ``user``: its existing one, or a new one (``fresh``, or none yet)."""
    device = None if fresh else TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)


def verify_session(session, user) -> None:
    """Pass ``session`` through the second factor with a real code. A new device per session:
    one device's code is good once per time step, and tests sign the same person in often."""
    device = authenticator(user, fresh=True)
    assert device.verify_token(totp_code(device)), "a fresh authenticator refused its own code"
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id


def password_only_login(client: Client, user) -> None:
    """A session that passed the password but not (yet) the second factor."""
    user.backend = "django.contrib.auth.backends.ModelBackend"
    _ORIGINAL_CLIENT_LOGIN(client, user, user.backend)


def _login_with_second_factor(self: Client, user, backend=None) -> None:
    _ORIGINAL_CLIENT_LOGIN(self, user, backend)
    if must_verify(user):
        session = self.session
        verify_session(session, user)
        session.save()


def verify_test_logins(monkeypatch) -> None:
    """Make Client.login()/force_login() pass the second factor for users who need it (for one
    test: ``monkeypatch`` undoes it)."""
    monkeypatch.setattr(Client, "_login", _login_with_second_factor)


def login(client: Client, username: str, password: str | None = None, *, follow_to: str = "/"):
    """Sign in through the pages: the password form, then the code from the user's authenticator
    when they must pass a second factor (enrolling one through the enrolment page if they have
    none). Returns the response of the last step."""
    response = client.post(
        settings.LOGIN_URL + f"?next={follow_to}",
        {"username": username, "password": password or "pass-" + username},
    )
    assert response.status_code == 302, f"password refused for {username}"
    location = response["Location"]
    if location == follow_to:
        response = client.get(location)
        location = response.get("Location", "") if response.status_code == 302 else ""
    user = get_user_model().objects.get(username=username)
    if "/2fa/enrol/" in location:
        client.get(location)  # the page creates the pending authenticator
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        response = client.post(location, {"code": totp_code(device), "next": follow_to})
        assert response.status_code == 200 and b"recovery-codes" in response.content
    elif "/2fa/verify/" in location:
        device = authenticator(user)
        response = client.post(location, {"code": totp_code(device), "next": follow_to})
        assert response.status_code == 302, "the verification page refused a real code"
    return response
