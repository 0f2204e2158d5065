"""Template context: the header's links, each shown only to people whose scope opens that page.

The pages check access themselves; this only spares people links that would refuse them.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.choices import Role
from lastmeter.planning.selectors import can_plan

FIELD_ROLES = frozenset({Role.COMMUNITY_POLICE, Role.GRID_MEMBER})


def nav_links(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    scope = request_scope(request)
    links = [(reverse("appeals:queue"), _("Appeal queue"))]
    if scope.jurisdiction_wide:
        links.append((reverse("web:command"), _("Command centre")))
    if scope.department_ids or scope.jurisdiction_wide:
        links.append((reverse("appeals:department_inbox"), _("Department inbox")))
    if scope.roles & FIELD_ROLES:
        links.append((reverse("web:phone"), _("Officer's phone")))
    if can_plan(scope):
        links.append((reverse("planning:index"), _("Grid planning")))
        links.append((reverse("planning:service_areas"), _("Platforms and service areas")))
    return {"nav_links": links}
