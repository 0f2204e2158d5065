"""Two-factor sign-in in a real browser against a real server (Playwright, Debian's chromium):
a leader enrols with the QR page's secret, logs out, logs in with password + code; a wrong code is
refused; five wrong passwords lock the account out and the lock-out is on the access log."""

from __future__ import annotations

import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from lastmeter.accounts.models import AccessLog
from lastmeter.accounts.services import LOCKOUT_WHAT
from lastmeter.testing.auth import totp_code
from lastmeter.testing.servers import wait_for_database_quiet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000


@pytest.fixture
def page(browser, live_server_url, settings, world):
    # The server checks passwords with the default hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    world.leader.user.set_password("pass-leader")
    world.leader.user.save(update_fields=["password"])
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    yield ctx.new_page()
    ctx.close()
    wait_for_database_quiet()


def sign_in(page, base: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name='username']", "leader")
    page.fill("input[name='password']", password)
    page.click("main button[type='submit']")


def enter_code(page, code: str) -> None:
    page.fill("input[name='code']", code)
    page.click("main form button[type='submit']")


def test_it_enrols_a_leader_and_asks_for_a_code_at_the_next_sign_in(page, live_server_url, world):
    sign_in(page, live_server_url, "pass-leader")
    page.wait_for_url("**/accounts/2fa/enrol/**", timeout=WAIT_MS)
    assert page.locator(".qr svg").count() == 1  # drawn by the server, nothing fetched
    secret = page.inner_text("#totp-secret").replace(" ", "")
    device = TOTPDevice.objects.get(user=world.leader.user, confirmed=False)
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    enter_code(page, totp_code(device))
    page.wait_for_selector(".recovery-codes li", timeout=WAIT_MS)
    assert page.locator(".recovery-codes li").count() == 10
    page.click("text=继续")
    page.wait_for_url(live_server_url + "/appeals/", timeout=WAIT_MS)

    page.click("header form[action='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/login/", timeout=WAIT_MS)
    sign_in(page, live_server_url, "pass-leader")
    page.wait_for_url("**/accounts/2fa/verify/**", timeout=WAIT_MS)
    good = totp_code(device)
    enter_code(page, f"{(int(good) + 1) % 1_000_000:06d}")
    page.wait_for_selector(".errorlist", timeout=WAIT_MS)
    assert "验证码不正确" in page.inner_text(".errorlist")
    assert "/accounts/2fa/verify/" in page.url
    page.goto(live_server_url + "/appeals/")
    assert "/accounts/2fa/verify/" in page.url  # no page opens before the code
    # After a wrong code django-otp makes the next try wait a second; the page says so.
    for _ in range(10):
        enter_code(page, totp_code(device))
        page.wait_for_load_state()
        if "/accounts/2fa/verify/" not in page.url:
            break
        assert "等待" in page.inner_text(".errorlist")
        page.wait_for_timeout(600)
    page.wait_for_url(live_server_url + "/appeals/", timeout=WAIT_MS)


def test_it_locks_out_after_five_wrong_passwords_and_logs_it(page, live_server_url, world):
    for _ in range(4):
        sign_in(page, live_server_url, "wrong password")
        page.wait_for_selector(".errorlist", timeout=WAIT_MS)
    sign_in(page, live_server_url, "wrong password")
    page.wait_for_selector("text=登录已被锁定", timeout=WAIT_MS)
    sign_in(page, live_server_url, "pass-leader")  # the right one, too late
    page.wait_for_selector("text=登录已被锁定", timeout=WAIT_MS)
    rows = AccessLog.objects.filter(what=LOCKOUT_WHAT, user=world.leader.user)
    assert rows.count() == 2 and "127.0.0.1" in rows.first().why
