"""The shell's own page: home sends a visitor to the login page or to the appeal queue.

Every app owns its pages (the appeal pages are in ``appeals.views``); ``web`` keeps only the
shell: base template, home, login, command centre and the officer's phone. Home is the appeal
queue, except for a department's liaison, whose work is the department's inbox.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from lastmeter.accounts.auth import request_scope


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    scope = request_scope(request)
    if scope.department_ids and not scope.jurisdiction_wide:
        return redirect("appeals:department_inbox")  # a department's liaison starts at their inbox
    return redirect("appeals:queue")
