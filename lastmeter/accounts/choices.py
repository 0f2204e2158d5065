"""Enumerations of the organisation: unit kinds and roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    JURISDICTION = "jurisdiction", _("Jurisdiction")
    STATION = "station", _("Police station / squadron")
    COMMUNITY = "community", _("Community")
    BUILDING = "building", _("Building")


class Role(models.TextChoices):
    LEADERSHIP = "leadership", _("Station leadership")
    COMMUNITY_POLICE = "community_police", _("Community police officer")
    GRID_MEMBER = "grid_member", _("Grid member (auxiliary)")
    BUILDING_HEAD = "building_head", _("Building head")
    VOLUNTEER = "volunteer", _("Volunteer")
    DISPATCHER = "dispatcher", _("Dispatcher")
    DEPARTMENT_LIAISON = "department_liaison", _("Department liaison")
    LEGAL_REVIEWER = "legal_reviewer", _("Legal reviewer")
    ADMINISTRATOR = "administrator", _("Administrator")


class TokenScope(models.TextChoices):
    """What an API token may do: read (GET only), write (everything its person may), or report
    positions only (a vehicle's tracker: POST to a …/positions endpoint)."""

    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")
    POSITIONS = "positions", _("Report positions only")


class VolunteerKind(models.TextChoices):
    NONE = "", _("Not a volunteer")
    TRAFFIC_OBSERVER = "traffic_observer", _("Peace traffic observer")
    VOLUNTEER_POLICE = "volunteer_police", _("Volunteer police")
    PATROL_TEAM = "patrol_team", _("Patrol team member")


# The four-level network, top first. Escalation climbs this list one step at a time.
CHAIN_LEVELS: tuple[str, ...] = (
    Role.LEADERSHIP,
    Role.COMMUNITY_POLICE,
    Role.GRID_MEMBER,
    Role.BUILDING_HEAD,
)

# Roles that see every appeal of the jurisdiction.
JURISDICTION_WIDE_ROLES = frozenset({Role.LEADERSHIP, Role.DISPATCHER, Role.ADMINISTRATOR})

# Roles whose logins must pass a second factor (settings.LASTMETER_REQUIRE_2FA); officers may.
TWO_FACTOR_ROLES = frozenset({Role.LEADERSHIP, Role.DISPATCHER, Role.LEGAL_REVIEWER, Role.ADMINISTRATOR})
