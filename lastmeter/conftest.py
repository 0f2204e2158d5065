"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from lastmeter.appeals.services import NewAppeal, do_create_appeal
from lastmeter.testing.auth import verify_test_logins
from lastmeter.testing.browser import browser, chromium, live_server_url  # noqa: F401 (fixtures)
from lastmeter.testing.world import POINT_IN_A, World, build_world
from lastmeter.triage import services as triage_services

# No property test is timed: speed is measured in bench/, and Hypothesis's default 200 ms deadline
# failed a calendar test whose first example paid for loading the holiday tables on a busy machine.
hypothesis_settings.register_profile("lastmeter", deadline=None)
hypothesis_settings.load_profile("lastmeter")


@pytest.fixture(autouse=True)
def _default_language():
    # Messages are translated in the thread's active language; a test (or a request it made) that
    # switched to English must not leave the next test in the same worker speaking English.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness would dominate the suite; tests need no brute-force resistance.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _two_factor_as_deployed(settings, monkeypatch):
    # Every test runs with two-factor sign-in enforced, as a deployment does (the embedded demo's
    # default is off): test clients' logins pass it with real TOTP codes (lastmeter.testing.auth).
    settings.LASTMETER_REQUIRE_2FA = True
    verify_test_logins(monkeypatch)


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    # Trained triage models are files under VAR_DIR; a model one test trains must not change how
    # another test's messages are classified (that made results depend on test order).
    settings.VAR_DIR = tmp_path / "var"
    # Uploaded photos and generated letters likewise stay with the test that made them.
    settings.MEDIA_ROOT = tmp_path / "media"
    triage_services.reset_caches()


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def new_appeal(world):
    """Factory: an appeal from a resident, located in grid A unless told otherwise."""

    def make(**overrides):
        data = dict(
            channel="web",
            text="福州路上有车辆违停，堵住了小区出口",
            reporter_name="刘女士",
            reporter_phone="13912345678",
            lat=POINT_IN_A[0],
            lon=POINT_IN_A[1],
            category=world.police_category,
        )
        data.update(overrides)
        return do_create_appeal(NewAppeal(**data))

    return make
