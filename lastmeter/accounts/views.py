"""The accounts pages: two-factor enrolment, verification at sign-in, recovery codes.

Who must use them is decided in ``twofactor.py``; ``middleware.TwoFactorMiddleware`` sends people
here. Enrolling a new authenticator when one is already confirmed needs a verified session —
otherwise a stolen password alone could replace the second factor.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.forms import CodeForm
from lastmeter.accounts.twofactor import (
    confirm_enrolment,
    has_enrolled,
    is_verified,
    must_verify,
    pending_enrolment,
    remaining_recovery_codes,
    replace_recovery_codes,
    role_requires_two_factor,
    verify_second_factor,
    wait_seconds,
)


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The person's own two-factor page: enrolled or not, recovery codes left, what to do."""
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": has_enrolled(request.user),
            "verified": is_verified(request.user),
            "required": role_requires_two_factor(request.user),
            "codes_left": remaining_recovery_codes(request.user),
        },
    )


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    if has_enrolled(request.user) and not is_verified(request.user):
        return redirect_with_next("accounts:verify", request.GET.get("next"))
    enrolment = pending_enrolment(request.user)
    form = CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        wait = wait_seconds(enrolment.device)
        codes = None if wait else confirm_enrolment(request, enrolment.device, form.cleaned_data["code"])
        if wait:
            form.add_error("code", _wait_message(wait))
        elif codes is not None:
            # Shown once, on this response; the page asks people to keep them like a password.
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request, form.cleaned_data["next"])},
            )
        else:
            form.add_error(
                "code", _("That code is not right. Check the time on your phone and try the newest code.")
            )
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "enrolment": enrolment, "required": must_verify(request.user)},
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    if not has_enrolled(request.user):
        return redirect_with_next("accounts:enrol", request.GET.get("next"))
    form = CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        result = verify_second_factor(request, form.cleaned_data["code"])
        if result.ok:
            return redirect(_next_url(request, form.cleaned_data["next"]))
        if result.wait_s:
            form.add_error("code", _wait_message(result.wait_s))
        else:
            form.add_error("code", _("That code is not right."))
    return render(request, "accounts/verify.html", {"form": form})


@login_required
@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace the recovery codes (the old ones stop working); needs a verified session."""
    if not (has_enrolled(request.user) and is_verified(request.user)):
        return redirect("accounts:two_factor")
    codes = replace_recovery_codes(request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/"})


def _wait_message(seconds: int) -> str:
    return _("Too many wrong codes: wait %(seconds)d seconds, then try again.") % {"seconds": seconds}


def redirect_with_next(name: str, next_url: str | None) -> HttpResponse:
    response = redirect(name)
    if next_url:
        response["Location"] += "?" + urlencode({"next": next_url})
    return response
