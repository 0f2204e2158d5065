"""Template context: the header's links, each shown only to people whose scope opens that page,
and what the demo simulation does when one runs.

The pages check access themselves; this only spares people links that would refuse them.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.choices import Role
from lastmeter.broadcasts.selectors import can_compose
from lastmeter.complaints.selectors import works_on_complaints
from lastmeter.intake.views import CALL_ROLES, VOLUNTEER_ROLES
from lastmeter.mediation.selectors import may_open_cases
from lastmeter.meetings.selectors import may_organise
from lastmeter.patrols.selectors import sees_patrols
from lastmeter.planning.selectors import can_plan
from lastmeter.stats.dashboards import has_figures
from lastmeter.stats.reports import default_level
from lastmeter.web.simulation import simulated

FIELD_ROLES = frozenset({Role.COMMUNITY_POLICE, Role.GRID_MEMBER})


def nav_links(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    """The header's links. A visitor without an account gets the resident's form and the login;
    staff get the pages their roles work in, the intake pages included (the same rules as the
    intake views: who records calls, who files on a resident's behalf, who watches the inbox)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "nav_links": [(reverse("intake:report"), _("Report a problem")), (reverse("login"), _("Log in"))]
        }
    scope = request_scope(request)
    links = [(reverse("appeals:queue"), _("Appeal queue"))]
    if scope.jurisdiction_wide:
        links.append((reverse("web:command"), _("Command centre")))
    if scope.department_ids or scope.jurisdiction_wide:
        links.append((reverse("appeals:department_inbox"), _("Department inbox")))
    if scope.roles & FIELD_ROLES:
        links.append((reverse("web:phone"), _("Officer's phone")))
    if scope.person is not None and (scope.superuser or scope.roles & CALL_ROLES):
        links.append((reverse("intake:call"), _("Record a call")))
    if scope.person is not None and (scope.superuser or scope.roles & VOLUNTEER_ROLES):
        links.append((reverse("intake:on_behalf"), _("File for a resident")))
    if scope.jurisdiction_wide:
        links.append((reverse("intake:inbox"), _("Intake inbox")))
        links.append((reverse("intake:locate"), _("Locate queue")))
    if works_on_complaints(scope):
        links.append((reverse("complaints:queue"), _("Complaints")))
    if may_open_cases(scope):
        links.append((reverse("mediation:queue"), _("Mediation")))
    if may_organise(scope):
        links.append((reverse("meetings:index"), _("Consultation meetings")))
    if scope.jurisdiction_wide or scope.community_ids:  # duty.selectors.may_view, without the grid members
        links.append((reverse("duty:index"), _("Duty plans")))
    if sees_patrols(scope):
        links.append((reverse("patrols:index"), _("Patrols")))
    if has_figures(scope):
        links.append((reverse("stats:landing"), _("Figures")))
    if can_plan(scope):
        links.append((reverse("planning:index"), _("Grid planning")))
        links.append((reverse("planning:service_areas"), _("Platforms and service areas")))
    if can_compose(scope):
        links.append((reverse("broadcasts:index"), _("Broadcasts")))
    if level := default_level(scope):  # the printable report of the viewer's own level
        links.append((reverse("stats:report", args=[level]), _("Reports")))
    return {"nav_links": links}


def simulation_note(request: HttpRequest) -> dict[str, list[str]]:
    """What the demo simulation does, when one runs in this process (the live pages say so)."""
    return {"simulated": simulated()}
