"""lastmeter's own `manage.py check --deploy` warnings, beside Django's security checks."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

DEMO_SECRET_KEY_PREFIX = "lastmeter-embedded-demo-key"


@register(Tags.security, deploy=True)
def check_deployment(app_configs=None, **kwargs) -> list[CheckMessage]:
    found: list[CheckMessage] = []
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
    found.extend(personal_data_key_errors())
    return found


def _missing_keys() -> list[str]:
    return [
        name
        for name, derived in (
            ("LASTMETER_FIELD_KEYS", settings.LASTMETER_FIELD_KEYS_DERIVED),
            ("LASTMETER_HASH_KEY", settings.LASTMETER_HASH_KEY_DERIVED),
        )
        if derived
    ]


def personal_data_key_errors() -> list[CheckMessage]:
    """An error, not a warning: a deployment must not encrypt residents' data with a key drawn
    from SECRET_KEY (whoever has one has the other, and rotating it would lose the data)."""
    missing = _missing_keys()
    if not missing:
        return []
    return [
        Error(
            f"{' and '.join(missing)} not set: residents' names and phones would be encrypted with a "
            "key derived from SECRET_KEY",
            hint="generate keys with `lastmeter rotate-keys --generate` (LASTMETER_HASH_KEY: any long "
            "random string); see docs/ARCHITECTURE.md, 'Personal data at rest'",
            id="lastmeter.E004",
        )
    ]


@register(Tags.security)
def check_personal_data_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Every start of the embedded demo says that its keys are derived (a warning only there)."""
    missing = _missing_keys()
    if not missing:
        return []
    return [
        Warning(
            f"{' and '.join(missing)} not set: personal data is encrypted with a key derived from "
            "SECRET_KEY (acceptable for the embedded demo only)",
            hint="set them in any real deployment; `lastmeter check --deploy` refuses without them",
            id="lastmeter.W004",
        )
    ]
