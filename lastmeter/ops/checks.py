"""lastmeter's own `manage.py check --deploy` warnings, beside Django's security checks."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

DEMO_SECRET_KEY_PREFIX = "lastmeter-embedded-demo-key"


@register(Tags.security, deploy=True)
def check_deployment(app_configs=None, **kwargs) -> list[Warning]:
    found: list[Warning] = []
    if str(settings.SECRET_KEY).startswith(DEMO_SECRET_KEY_PREFIX):
        found.append(
            Warning(
                "the embedded demo's SECRET_KEY is in use: sessions and signed links can be forged",
                hint="set LASTMETER_SECRET_KEY to a long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))')",
                id="lastmeter.W001",
            )
        )
    if not settings.LASTMETER_REQUIRE_2FA:
        found.append(
            Warning(
                "two-factor sign-in is off: leaders, dispatchers, legal reviewers and administrators sign in with a password alone",
                hint="unset LASTMETER_REQUIRE_2FA (on by default with DATABASE_URL) or set it to 1",
                id="lastmeter.W002",
            )
        )
    if not settings.LASTMETER_HTTPS:
        found.append(
            Warning(
                "LASTMETER_HTTPS is off: no HTTPS redirect, HSTS or secure cookies",
                hint="serve over HTTPS (a proxy terminating TLS) and set LASTMETER_HTTPS=1",
                id="lastmeter.W003",
            )
        )
    return found
