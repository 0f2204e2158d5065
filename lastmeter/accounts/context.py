"""Template context of the accounts app: the banner that says two-factor sign-in is off."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def two_factor_note(request: HttpRequest) -> dict[str, bool]:
    """``two_factor_off``: LASTMETER_REQUIRE_2FA is off (the embedded demo's default); every page
    says so, so nobody mistakes the demo's set-up for one fit to deploy."""
    return {"two_factor_off": not settings.LASTMETER_REQUIRE_2FA}
