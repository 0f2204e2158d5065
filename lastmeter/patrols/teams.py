"""Patrol teams managed in the app: a community's officers (and the station's staff) make a
team, add and remove its members — volunteers, building heads, auxiliaries — and keep their
skills and the times of day they can patrol.

Scope: a manager acts only on the teams of the communities they manage (``selectors.manages``;
a team of another community answers 404 when they cannot see it at all, 403 when they see it as a
member but do not manage it), and only people of that community can join: someone holding a
volunteer, building-head or grid-member role there (in the community, in one of its buildings, or
on one of its grids). A team on a patrol plan keeps its members' shifts; removing someone takes
them off the team's future check-ins only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.patrols.choices import Band, TeamKind
from lastmeter.patrols.models import PatrolTeam, TeamMember
from lastmeter.patrols.selectors import access_team, manages

NETWORK_ROLES = (Role.VOLUNTEER, Role.BUILDING_HEAD, Role.GRID_MEMBER)
MAX_SKILLS = 200


def eligible_people(community_id: int) -> QuerySet[Person]:
    """People who may join a patrol team of the community: a network role held there."""
    where = (
        Q(roles__org_unit_id=community_id)
        | Q(roles__org_unit__parent_id=community_id)
        | Q(roles__grid__community_id=community_id)
    )
    return (
        Person.objects.filter(where, roles__role__in=NETWORK_ROLES, active=True).distinct().order_by("name")
    )


def _check_manager(scope: Scope, community_id: int) -> None:
    if not manages(scope, community_id):
        raise NotAllowed(_("Only the station's staff and the community's officers manage its patrol teams."))


@dataclass
class Availability:
    """A member's skills (comma-separated) and the times of day they can patrol (empty: any)."""

    skills: str = ""
    bands: list[str] = field(default_factory=list)

    def checked(self) -> Availability:
        bad = [b for b in self.bands if b not in Band.values]
        if bad:
            raise ServiceError(
                _("Unknown time of day: %(bands)s; use %(choices)s.")
                % {"bands": ", ".join(bad), "choices": ", ".join(Band.values)}
            )
        skills = ",".join(s.strip() for s in self.skills.replace("，", ",").split(",") if s.strip())
        if len(skills) > MAX_SKILLS:
            raise ServiceError(_("Skills take at most %(n)d characters.") % {"n": MAX_SKILLS})
        return Availability(skills, sorted(set(self.bands), key=Band.values.index))


def do_create_team(
    scope: Scope, *, name: str, kind: str, community: OrgUnit, leader: Person | None = None
) -> PatrolTeam:
    """A new team of a community the viewer manages; the name is unique in the community."""
    _check_manager(scope, community.pk)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the team a name."))
    if kind not in TeamKind.values:
        raise ServiceError(_("Unknown kind of team “%(kind)s”.") % {"kind": kind})
    if PatrolTeam.objects.filter(community=community, name=name).exists():
        raise ServiceError(_("The community already has a team called “%(name)s”.") % {"name": name})
    if leader is not None and not eligible_people(community.pk).filter(pk=leader.pk).exists():
        raise ServiceError(_("%(name)s is not in this community's network.") % {"name": leader.name})
    team = PatrolTeam.objects.create(name=name, kind=kind, community=community, leader=leader)
    if leader is not None:
        TeamMember.objects.create(team=team, person=leader)
    return team


def do_add_member(scope: Scope, team_id: int, person: Person, availability: Availability) -> TeamMember:
    """Add someone of the team's community, with their skills and availability."""
    wanted = availability.checked()
    with transaction.atomic():
        team = access_team(scope, team_id)
        _check_manager(scope, team.community_id)
        team = PatrolTeam.objects.select_for_update().get(pk=team.pk)
        if not eligible_people(team.community_id).filter(pk=person.pk).exists():
            raise ServiceError(
                _(
                    "%(name)s cannot join: a patrol team takes the volunteers, building heads and auxiliaries of its own community."
                )
                % {"name": person.name}
            )
        try:
            with transaction.atomic():
                return TeamMember.objects.create(
                    team=team, person=person, skills=wanted.skills, available_bands=wanted.bands
                )
        except IntegrityError:
            raise ServiceError(
                _("%(name)s is already a member of %(team)s.") % {"name": person.name, "team": team.name}
            ) from None


def _member(scope: Scope, team_id: int, member_id: int) -> TeamMember:
    """The member row locked, after checking the viewer manages the team (404 for a team they
    cannot see, or a member who is not on it). Caller holds a transaction."""
    team = access_team(scope, team_id)
    _check_manager(scope, team.community_id)
    member = TeamMember.objects.select_for_update().filter(team=team, pk=member_id).first()
    if member is None:
        raise Http404("no such member of this team")
    return member


def do_update_member(scope: Scope, team_id: int, member_id: int, availability: Availability) -> TeamMember:
    wanted = availability.checked()
    with transaction.atomic():
        member = _member(scope, team_id, member_id)
        member.skills, member.available_bands = wanted.skills, wanted.bands
        member.save(update_fields=["skills", "available_bands"])
    return member


def do_remove_member(scope: Scope, team_id: int, member_id: int) -> PatrolTeam:
    with transaction.atomic():
        member = _member(scope, team_id, member_id)
        team = member.team
        if team.leader_id == member.person_id:
            team.leader = None
            team.save(update_fields=["leader"])
        member.delete()
    return team


__all__ = [
    "NETWORK_ROLES",
    "Availability",
    "do_add_member",
    "do_create_team",
    "do_remove_member",
    "do_update_member",
    "eligible_people",
]
