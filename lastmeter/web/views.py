"""The shell's own page: home sends a visitor to the login page or to the appeal queue.

Every app owns its pages (the appeal pages are in ``appeals.views``); ``web`` keeps only the
shell: base template, home, login, command centre and the officer's phone.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("appeals:queue")
