"""The shell's own pages: home sends a visitor to the login page or to the appeal queue; the icon.

Every app owns its pages (the appeal pages are in ``appeals.views``); ``web`` keeps only the
shell: base template, home, login, command centre and the officer's phone.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("appeals:queue")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers that ask /favicon.ico before reading the page's <link rel="icon"> get our SVG."""
    return redirect(static("web/favicon.svg"), permanent=True)
