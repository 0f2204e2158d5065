"""`manage.py check --deploy` is clean with a deployment's settings, and every page carries a
Content-Security-Policy that allows this server's own scripts, styles, images, fetches and
websockets (what the map and the charts use) and nothing from another origin."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.test import Client

from lastmeter.testing.visible_text import external_resources

PRODUCTION = {
    "DATABASE_URL": "postgres://lastmeter@db.internal:5432/lastmeter",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "LASTMETER_SECRET_KEY": secrets.token_urlsafe(50),
    "LASTMETER_ALLOWED_HOSTS": "lastmeter.example.gov.cn",
    "LASTMETER_HTTPS": "1",
    "LASTMETER_TRUSTED_PROXIES": "1",
    "LASTMETER_FIELD_KEYS": ",".join(Fernet.generate_key().decode() for _ in range(2)),
    "LASTMETER_HASH_KEY": secrets.token_urlsafe(50),
}


def run_settings(env: dict[str, str], code: str, tmp_path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LASTMETER_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            **env,
            "LASTMETER_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "lastmeter.settings",
        },
        capture_output=True,
        text=True,
    )


CHECK_DEPLOY = (
    "import django; django.setup(); from django.core.management import call_command; "
    "call_command('check', deploy=True, fail_level='WARNING')"
)


def test_it_passes_check_deploy_with_production_settings(tmp_path):
    done = run_settings(PRODUCTION, CHECK_DEPLOY, tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "no issues" in done.stdout


def test_it_warns_check_deploy_about_the_demo_settings(tmp_path):
    done = run_settings({}, CHECK_DEPLOY, tmp_path)
    assert done.returncode != 0
    for warning in ("lastmeter.W001", "lastmeter.W002", "lastmeter.W003", "security.W004", "security.W012"):
        assert warning in done.stderr, warning


@pytest.mark.parametrize("unset", ["LASTMETER_FIELD_KEYS", "LASTMETER_HASH_KEY"])
def test_it_refuses_check_deploy_without_the_personal_data_keys(tmp_path, unset):
    env = {k: v for k, v in PRODUCTION.items() if k != unset}
    # fail_level ERROR: refused even by a check that lets warnings through.
    done = run_settings(env, CHECK_DEPLOY.replace("'WARNING'", "'ERROR'"), tmp_path)
    assert done.returncode != 0
    assert "lastmeter.E004" in done.stderr and unset in done.stderr


def test_it_refuses_a_field_key_that_is_not_a_fernet_key(tmp_path):
    code = "import django; django.setup(); from lastmeter.lib.fieldcrypt import encrypt; encrypt('x')"
    done = run_settings({**PRODUCTION, "LASTMETER_FIELD_KEYS": "not-a-key"}, code, tmp_path)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "LASTMETER_FIELD_KEYS" in done.stderr


def test_it_sets_hsts_secure_cookies_and_the_https_redirect_in_production(tmp_path):
    code = (
        "from lastmeter import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER, s.LASTMETER_REQUIRE_2FA)"
    )
    done = run_settings(PRODUCTION, code, tmp_path)
    assert done.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "True",
    ]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


def test_it_allows_the_configured_tile_server_and_nothing_else(tmp_path):
    code = "from lastmeter import settings as s; print(' '.join(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    tiles = run_settings(
        {"LASTMETER_TILE_URL": "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"}, code, tmp_path
    )
    assert tiles.stdout.split() == ["'self'", "data:", "blob:", "https://*.tile.openstreetmap.org"]
    assert run_settings({}, code, tmp_path).stdout.split() == ["'self'", "data:", "blob:"]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        (None, "/accounts/login/"),
        (None, "/intake/report/"),  # the resident's form with its map
        ("dispatcher", "/command/"),  # the map and the charts
        ("dispatcher", "/appeals/"),
        ("dispatcher", "/stats/hotspots/"),
        ("grid_officer", "/phone/"),
        ("dispatcher", "/api/v1/docs"),
    ],
)
def test_it_sends_a_strict_policy_with_every_page(world, who, path):
    c = Client()
    if who:
        c.force_login(getattr(world, who).user)
    r = c.get(path)
    assert r.status_code == 200, path
    p = policy(r)
    assert p["script-src"] == ["'self'"]  # no inline script, no eval, no other host
    assert p["style-src"] == ["'self'"] and p["default-src"] == ["'self'"]
    assert p["connect-src"] == ["'self'"]  # fetch() and the websocket to this host only
    assert p["object-src"] == ["'none'"] and p["frame-ancestors"] == ["'none'"]
    assert not [v for values in p.values() for v in values if "://" in v or v == "*"]
    html = r.content.decode()
    assert external_resources(html) == []
    # Nothing inline that the policy would block: only JSON data blocks and files.
    assert "<script>" not in html and " onchange=" not in html and " onclick=" not in html
