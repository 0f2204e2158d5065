"""The patrol team pages: a new team, a team with its members, and the forms that add, change
and remove a member. Thin: forms read, ``patrols.teams`` checks and writes. Refusals come back
as a message on the team's page (403 or 400 for the API, see ``patrols.api``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.patrols import selectors, teams
from lastmeter.patrols.forms import MemberForm, TeamForm


@login_required
def new_team(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.may_manage_any(scope):
        raise Http404("no patrols here")
    form = TeamForm(request.POST or None, initial={"community": next(iter(scope.community_ids), None)})
    form.fields["community"].queryset = selectors.managed_communities(scope)  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                team = teams.do_create_team(scope, name=d["name"], kind=d["kind"], community=d["community"])
            except ServiceError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, _("Team %(name)s made; add its members.") % {"name": team.name})
                return redirect("patrols:team", team_id=team.pk)
        else:
            status = 400
    return render(request, "patrols/new_team.html", {"form": form}, status=status)


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    """Members see their team; its managers also change it."""
    scope = request_scope(request)
    team = selectors.access_team(scope, team_id)
    manages = selectors.manages(scope, team.community_id)
    members = list(team.members.select_related("person").order_by("person__name"))
    add = MemberForm()
    if manages:
        taken = [m.person_id for m in members]
        add.fields["person"].queryset = teams.eligible_people(team.community_id).exclude(pk__in=taken)  # type: ignore[attr-defined]
    rows = [
        (m, MemberForm(initial={"skills": m.skills, "bands": m.available_bands}, prefix=f"m{m.pk}"))
        for m in members
    ]
    return render(request, "patrols/team.html", {"team": team, "rows": rows, "add": add, "manages": manages})


def _availability(form: MemberForm) -> teams.Availability:
    return teams.Availability(
        form.cleaned_data.get("skills") or "", list(form.cleaned_data.get("bands") or [])
    )


@login_required
@require_POST
def add_member(request: HttpRequest, team_id: int) -> HttpResponse:
    scope = request_scope(request)
    team = selectors.access_team(scope, team_id)
    form = MemberForm(request.POST)
    form.fields["person"].queryset = teams.eligible_people(team.community_id)  # type: ignore[attr-defined]
    form.fields["person"].required = True
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            member = teams.do_add_member(scope, team.pk, form.cleaned_data["person"], _availability(form))
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(name)s joined the team.") % {"name": member.person.name})
    return redirect("patrols:team", team_id=team.pk)


@login_required
@require_POST
def update_member(request: HttpRequest, team_id: int, member_id: int) -> HttpResponse:
    scope = request_scope(request)
    team = selectors.access_team(scope, team_id)
    form = MemberForm(request.POST, prefix=f"m{member_id}")
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            member = teams.do_update_member(scope, team.pk, member_id, _availability(form))
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved: %(name)s.") % {"name": member.person.name})
    return redirect("patrols:team", team_id=team.pk)


@login_required
@require_POST
def remove_member(request: HttpRequest, team_id: int, member_id: int) -> HttpResponse:
    scope = request_scope(request)
    team = selectors.access_team(scope, team_id)
    try:
        teams.do_remove_member(scope, team.pk, member_id)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Removed from the team."))
    return redirect("patrols:team", team_id=team.pk)


__all__ = ["add_member", "new_team", "remove_member", "team_detail", "update_member"]
