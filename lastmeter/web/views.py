"""The shell's own pages: home sends a visitor to the login page or to the appeal queue; the icon.

Every app owns its pages (the appeal pages are in ``appeals.views``); ``web`` keeps only the
shell: base template, home, login, command centre and the officer's phone. Home is the appeal
queue, except for a department's liaison, whose work is the department's inbox.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static

from lastmeter.accounts.auth import request_scope


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    scope = request_scope(request)
    if scope.department_ids and not scope.jurisdiction_wide:
        return redirect("appeals:department_inbox")  # a department's liaison starts at their inbox
    return redirect("appeals:queue")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers that ask /favicon.ico before reading the page's <link rel="icon"> get our SVG."""
    return redirect(static("web/favicon.svg"), permanent=True)
