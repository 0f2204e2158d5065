"""Two-factor sign-in: leaders, dispatchers, legal reviewers and administrators must enrol and then
verify a TOTP code (or a recovery code) before any staff page, API session or websocket works;
officers may. Codes are real: computed from the device's key as an authenticator app would."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import time_machine
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lastmeter.accounts.models import RoleAssignment
from lastmeter.testing.auth import authenticator, login, password_only_login, totp_code


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def skip_throttle(device) -> None:
    """Forget the wrong code's throttling (as if its 1 s wait had passed)."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


def password_login(username: str, next_url: str = "/appeals/") -> tuple[Client, str]:
    """The password form only; returns the client and where the next page sends it."""
    c = Client()
    r = c.post(f"/accounts/login/?next={next_url}", {"username": username, "password": "pass-" + username})
    assert r.status_code == 302 and r["Location"] == next_url
    return c, c.get(next_url)["Location"] if c.get(next_url).status_code == 302 else ""


def test_it_sends_a_leader_to_enrol_and_lets_them_in_with_a_code_from_the_new_authenticator(world):
    c, location = password_login("leader")
    assert location == "/accounts/2fa/enrol/?next=/appeals/"
    page = c.get(location)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and 'id="totp-secret"' in body  # the QR code, drawn here, and the secret as text
    device = TOTPDevice.objects.get(user=world.leader.user, confirmed=False)
    # The secret on the page is the device's key (base32, in groups of four).
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body

    wrong = c.post(location, {"code": other_code(totp_code(device)), "next": "/appeals/"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert c.get("/appeals/").status_code == 302  # still not in

    skip_throttle(device)
    done = c.post(location, {"code": totp_code(device), "next": "/appeals/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert c.get("/appeals/").status_code == 200


@pytest.mark.parametrize("who", ["dispatcher", "legal", "leader"])
def test_it_asks_every_role_that_needs_it_for_a_code_and_refuses_a_wrong_one(world, who):
    user = getattr(
        world, {"dispatcher": "dispatcher", "legal": "legal_reviewer", "leader": "leader"}[who]
    ).user
    device = authenticator(user)
    c, location = password_login(who)
    assert location == "/accounts/2fa/verify/?next=/appeals/"
    bad = c.post(location, {"code": other_code(totp_code(device)), "next": "/appeals/"})
    assert bad.status_code == 200 and "code" in bad.context["form"].errors
    assert c.get("/appeals/").status_code == 302
    skip_throttle(device)  # the wait after a wrong code is the next test's subject
    ok = c.post(location, {"code": totp_code(device), "next": "/appeals/"})
    assert ok.status_code == 302 and ok["Location"] == "/appeals/"
    assert c.get("/appeals/").status_code == 200


def test_it_throttles_codes_after_a_wrong_one(world):
    device = authenticator(world.dispatcher.user)
    c, location = password_login("dispatcher")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        good = totp_code(device)
        c.post(location, {"code": other_code(good), "next": "/"})
        # The right code in the same second is not even looked at.
        r = c.post(location, {"code": good, "next": "/"})
        assert r.status_code == 200 and "等待 1 秒" in str(r.context["form"].errors["code"])
        assert c.get("/appeals/").status_code == 302
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=False):
        r = c.post(location, {"code": totp_code(device), "next": "/"})
        assert r.status_code == 302


def test_it_lets_a_recovery_code_in_once(world):
    c = Client()
    login(c, "leader")  # enrols through the pages
    codes = list(StaticToken.objects.filter(device__user=world.leader.user).values_list("token", flat=True))
    assert len(codes) == 10
    first, location = password_login("leader")
    assert first.post(location, {"code": codes[0].upper(), "next": "/appeals/"}).status_code == 302
    assert first.get("/appeals/").status_code == 200
    again, location = password_login("leader")
    assert again.post(location, {"code": codes[0], "next": "/appeals/"}).status_code == 200  # used up
    assert again.get("/appeals/").status_code == 302


def test_it_does_not_let_a_password_alone_replace_the_authenticator(world):
    authenticator(world.leader.user)
    c = Client()
    password_only_login(c, world.leader.user)
    r = c.get("/accounts/2fa/enrol/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/2fa/verify/")
    assert TOTPDevice.objects.filter(user=world.leader.user, confirmed=False).count() == 0


def test_it_refuses_the_api_session_and_the_websocket_before_the_second_factor(world, new_appeal):
    new_appeal()
    authenticator(world.dispatcher.user)
    c = Client()
    password_only_login(c, world.dispatcher.user)
    assert c.get("/api/v1/appeals").status_code == 401
    verified = Client()
    verified.force_login(world.dispatcher.user)  # passes the second factor (lastmeter.testing.auth)
    assert verified.get("/api/v1/appeals").status_code == 200


async def test_it_treats_an_unverified_websocket_as_anonymous(transactional_db):
    from channels.db import database_sync_to_async

    from lastmeter.asgi import application
    from lastmeter.testing.world import build_world

    world = await database_sync_to_async(build_world)()
    c = Client()
    await database_sync_to_async(password_only_login)(c, world.dispatcher.user)
    cookie = f"sessionid={c.cookies['sessionid'].value}".encode()
    comm = WebsocketCommunicator(
        application, "/ws/live/", headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1")]
    )
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


def test_it_leaves_a_second_factor_optional_for_officers_but_asks_it_of_those_who_enrolled(world):
    c, location = password_login("officer_a")
    assert location == ""  # straight in
    assert c.get("/accounts/2fa/").status_code == 200
    authenticator(world.grid_officer.user)
    c, location = password_login("officer_a")
    assert location == "/accounts/2fa/verify/?next=/appeals/"


def test_it_asks_an_administrator_too(world, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", "pass-root")
    _, location = password_login("root", "/admin/")
    assert location.startswith("/accounts/2fa/enrol/")
    RoleAssignment.objects.filter(person=world.leader).delete()
    _, location = password_login("leader")
    assert location == ""  # no role that needs it any more


def test_it_lets_the_demo_switch_it_off_and_says_so_on_every_page(world, settings):
    settings.LASTMETER_REQUIRE_2FA = False
    c, location = password_login("leader")
    assert location == ""
    page = c.get("/appeals/").content.decode()
    assert "LASTMETER_REQUIRE_2FA=0" in page
    settings.LASTMETER_REQUIRE_2FA = True
    assert c.get("/appeals/").status_code == 302
    assert "LASTMETER_REQUIRE_2FA=0" not in Client().get("/accounts/login/").content.decode()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "False"),
        ({"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}, "True"),
        ({"DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "LASTMETER_REQUIRE_2FA": "0"}, "False"),
        ({"LASTMETER_REQUIRE_2FA": "1"}, "True"),
    ],
)
def test_it_defaults_to_on_for_a_deployment_and_off_for_the_embedded_demo(env, expected, tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LASTMETER_REQUIRE_2FA")}
    out = subprocess.run(
        [sys.executable, "-c", "from lastmeter import settings; print(settings.LASTMETER_REQUIRE_2FA)"],
        env={**clean, **env, "LASTMETER_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected
