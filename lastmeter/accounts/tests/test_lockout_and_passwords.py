"""Login throttling (django-axes): five wrong passwords for one username from one address lock that
pair out, the lock-out is on the access log, and an administrator unlocks it. Password policy and
session expiry are settings; the policy is checked where passwords are set."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from lastmeter.accounts.models import AccessLog
from lastmeter.accounts.services import LOCKOUT_WHAT


def attempt(client: Client, username: str, password: str, addr: str = "10.9.8.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=addr)


def test_it_locks_out_after_five_wrong_passwords_and_writes_the_access_log(world, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    c = Client()
    for _ in range(4):
        assert attempt(c, "officer_a", "wrong").status_code == 200  # the form again, with its error
    assert not AccessLog.objects.filter(what=LOCKOUT_WHAT).exists()
    locked = attempt(c, "officer_a", "wrong")
    assert locked.status_code == 429
    assert "登录已被锁定" in locked.content.decode()
    row = AccessLog.objects.get(what=LOCKOUT_WHAT)
    assert (row.user, row.person, row.object_label) == (
        world.grid_officer.user,
        world.grid_officer,
        "officer_a",
    )
    assert "10.9.8.7" in row.why
    # The right password does not help while locked out, and each try is logged too.
    assert attempt(c, "officer_a", "pass-officer_a").status_code == 429
    assert AccessLog.objects.filter(what=LOCKOUT_WHAT).count() == 2
    # Another address is not locked out (the pair is), and another account neither.
    assert attempt(Client(), "officer_a", "pass-officer_a", addr="10.9.8.8").status_code == 302
    assert attempt(Client(), "officer_b", "pass-officer_b").status_code == 302


def test_it_lets_an_administrator_unlock_a_person(world, django_user_model):
    c = Client()
    for _ in range(5):
        attempt(c, "member_a", "wrong")
    assert attempt(c, "member_a", "pass-member_a").status_code == 429
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pass-root")
    admin = Client()
    admin.force_login(root)
    r = admin.post(
        "/admin/accounts/person/",
        {"action": "unlock_sign_in", "_selected_action": [world.grid_member.pk]},
    )
    assert r.status_code == 302
    assert attempt(c, "member_a", "pass-member_a").status_code == 302


def test_it_does_not_throttle_code_that_checks_a_password_without_a_request(world):
    # Django's test client and management commands call authenticate() without a request.
    assert not Client().login(username="officer_a", password="wrong")
    assert Client().login(username="officer_a", password="pass-officer_a")


def test_it_ignores_a_forged_forwarded_for_header_without_a_trusted_proxy(world):
    c = Client()
    for i in range(5):
        c.post(
            "/accounts/login/",
            {"username": "head_a", "password": "wrong"},
            REMOTE_ADDR="10.1.1.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    assert AccessLog.objects.filter(what=LOCKOUT_WHAT, object_label="head_a").count() == 1


@pytest.mark.parametrize("password", ["short1", "password1234", "12345678901234"])
def test_it_refuses_weak_passwords(world, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=world.leader.user)


def test_it_accepts_a_long_uncommon_password_and_ends_sessions_after_a_shift(world, settings):
    validate_password("福州路 night shift 2026!", user=world.leader.user)
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
