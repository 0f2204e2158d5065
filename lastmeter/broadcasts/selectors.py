"""Reads: who may do what with broadcasts, an audience's destinations, delivery reports.

Every read goes through the viewer's Scope. A broadcast is visible to the staff whose
communities cover every community it reaches (jurisdiction-wide roles see all); ``access_*``
return 404 for both missing and forbidden rows.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import OrgUnit, Person, RoleAssignment
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import OutboxState
from lastmeter.broadcasts.algorithms.text import MAX_SEGMENTS, plain_text, sms_shape, telegram_html
from lastmeter.broadcasts.choices import DeliveryState, Platform
from lastmeter.broadcasts.models import Alert, Audience, Broadcast, ChatGroup, Run, SmsSubscriber
from lastmeter.grids.models import Grid
from lastmeter.lib.fieldcrypt import phone_hash
from lastmeter.lib.text import mask_phone

# Roles that write broadcasts; approval needs Role.LEADERSHIP on top (services.check_approve).
COMPOSER_ROLES = frozenset({Role.LEADERSHIP, Role.COMMUNITY_POLICE, Role.DISPATCHER, Role.ADMINISTRATOR})


def can_compose(scope: Scope) -> bool:
    return scope.superuser or bool(scope.roles & COMPOSER_ROLES)


def can_approve(scope: Scope) -> bool:
    return scope.has(Role.LEADERSHIP)


def scope_community_ids(scope: Scope) -> set[int] | None:
    """The communities the viewer may send to; None means all of them."""
    if scope.jurisdiction_wide:
        return None
    ids = set(scope.community_ids)
    ids.update(Grid.objects.filter(id__in=scope.grid_ids).values_list("community_id", flat=True))
    return ids


def communities_of(scope: Scope) -> QuerySet[OrgUnit]:
    """The communities the viewer may send to."""
    allowed = scope_community_ids(scope)
    rows = OrgUnit.objects.filter(kind=OrgKind.COMMUNITY).order_by("name")
    return rows if allowed is None else rows.filter(id__in=allowed)


def audience_community_ids(audience: Audience) -> set[int]:
    """Every community an audience reaches (directly, through a grid, or through a group)."""
    ids = set(audience.communities.values_list("id", flat=True))
    ids.update(audience.grids.values_list("community_id", flat=True))
    ids.update(audience.groups.values_list("community_id", flat=True))
    return ids


def _reaches_outside(allowed, through: str = "") -> Q:
    """An audience (``through`` the path to it) naming a community, grid or group outside the
    ``allowed`` communities: what a saved audience and a broadcast are both scoped by."""
    return (
        Q(**{f"{through}communities__in": OrgUnit.objects.exclude(id__in=allowed)})
        | Q(**{f"{through}grids__in": Grid.objects.exclude(community_id__in=allowed)})
        | Q(**{f"{through}groups__in": ChatGroup.objects.exclude(community_id__in=allowed)})
    )


def visible_audiences(scope: Scope) -> QuerySet[Audience]:
    """The saved audiences the viewer may pick: those reaching only communities they may send
    to (an officer sees the audiences of their grids and community, not a neighbour's)."""
    rows = Audience.objects.filter(saved=True).select_related("created_by")
    if not can_compose(scope):
        return rows.none()
    allowed = scope_community_ids(scope)
    if allowed is None:
        return rows
    return rows.exclude(id__in=Audience.objects.filter(_reaches_outside(allowed)).values("id"))


def access_audience_by_scope(scope: Scope, audience_id: int) -> Audience:
    found = visible_audiences(scope).filter(id=audience_id).first()
    if found is None:
        raise Http404("no such audience")
    return found


def visible_broadcasts(scope: Scope) -> QuerySet[Broadcast]:
    rows = Broadcast.objects.select_related("audience", "author", "approved_by", "alert")
    if not can_compose(scope):
        return rows.none()
    allowed = scope_community_ids(scope)
    if allowed is None:
        return rows
    outside = _reaches_outside(allowed, through="audience__")
    return rows.exclude(id__in=Broadcast.objects.filter(outside).values("id"))


def access_broadcast_by_scope(scope: Scope, broadcast_id: int) -> Broadcast:
    found = visible_broadcasts(scope).filter(id=broadcast_id).first()
    if found is None:
        raise Http404("no such broadcast")
    return found


def visible_alerts(scope: Scope) -> QuerySet[Alert]:
    if not can_compose(scope):
        return Alert.objects.none()
    allowed = scope_community_ids(scope)
    rows = Alert.objects.select_related("author", "approved_by")
    if allowed is None:
        return rows
    return rows.exclude(grids__in=Grid.objects.exclude(community_id__in=allowed)).distinct()


def access_alert_by_scope(scope: Scope, alert_id: int) -> Alert:
    found = visible_alerts(scope).filter(id=alert_id).first()
    if found is None:
        raise Http404("no such alert")
    return found


# --- destinations ------------------------------------------------------------------------------


@dataclass
class Destination:
    """One recipient: ``key`` identifies it within a run (and in the outbox key). It never holds
    a phone number (``sms:person:<id>``, ``sms:subscriber:<id>``): the number is in ``phone``,
    which the delivery row keeps encrypted, and two destinations with one number are found by
    the number's keyed hash (``same_phone``)."""

    key: str
    label: str
    transport: str
    recipient: dict = field(default_factory=dict)
    skip: str = ""  # why it is not sent to; empty when it is
    group: ChatGroup | None = None
    phone: str = ""

    @property
    def same_phone(self) -> str:
        """What makes two destinations one: the phone's keyed hash, else the key."""
        return f"sms:{phone_hash(self.phone)}" if self.phone else self.key


def effective_grids(audience: Audience) -> QuerySet[Grid]:
    return Grid.objects.filter(
        Q(id__in=audience.grids.all()) | Q(community__in=audience.communities.all(), active=True)
    )


def _person_destination(person: Person, what: str) -> Destination:
    if not person.phone:
        return Destination(f"person:{person.pk}", f"{what} {person.name}", "sms", skip=_("no phone number"))
    return Destination(
        f"sms:person:{person.pk}",
        f"{what} {person.name}",
        "sms",
        {"phone": person.phone, "person": person.pk},
        phone=person.phone,
    )


def destinations(audience: Audience) -> list[Destination]:
    """Every destination of the audience, each once (the first reason a phone is on the list
    wins; later ones are reported as skipped duplicates)."""
    grids = list(effective_grids(audience))
    grid_ids = [g.id for g in grids]
    community_ids = set(audience.communities.values_list("id", flat=True)) | {g.community_id for g in grids}
    out: list[Destination] = []
    groups = {g.id: g for g in audience.groups.all()}
    if audience.area_groups:
        for g in ChatGroup.objects.filter(
            Q(community_id__in=community_ids) | Q(grids__in=grid_ids)
        ).distinct():
            groups.setdefault(g.id, g)
    for g in sorted(groups.values(), key=lambda g: g.id):
        out.append(
            Destination(
                f"group:{g.id}", str(g), "channel:broadcast", {"group": g.id, "platform": g.platform}, group=g
            )
        )
    roles = RoleAssignment.objects.filter(person__active=True).select_related("person").order_by("id")
    if audience.grid_members:
        for ra in roles.filter(role=Role.GRID_MEMBER, grid_id__in=grid_ids):
            out.append(_person_destination(ra.person, _("grid member")))
    if audience.building_heads:
        for ra in roles.filter(role=Role.BUILDING_HEAD).filter(
            Q(org_unit__grid_id__in=grid_ids) | Q(org_unit__parent_id__in=community_ids)
        ):
            out.append(_person_destination(ra.person, _("building head")))
    if audience.volunteers:
        for ra in roles.filter(role=Role.VOLUNTEER).filter(
            Q(grid_id__in=grid_ids) | Q(org_unit_id__in=community_ids)
        ):
            out.append(_person_destination(ra.person, _("volunteer")))
    for ra in roles.filter(role=Role.DEPARTMENT_LIAISON, department__in=audience.departments.all()):
        out.append(_person_destination(ra.person, _("department liaison")))
    if audience.sms_residents:
        for sub in SmsSubscriber.objects.filter(community_id__in=community_ids).order_by("id"):
            label = _("resident %(phone)s") % {"phone": mask_phone(sub.phone)}
            if sub.opted_out_at:
                out.append(
                    Destination(
                        f"resident:{sub.pk}",
                        label,
                        "sms",
                        skip=_("opted out on %(day)s")
                        % {"day": f"{timezone.localtime(sub.opted_out_at):%Y-%m-%d %H:%M}"},
                    )
                )
            else:
                out.append(
                    Destination(
                        f"sms:subscriber:{sub.pk}",
                        label,
                        "sms",
                        {"phone": sub.phone, "subscriber": sub.pk},
                        phone=sub.phone,
                    )
                )
    seen: dict[str, str] = {}
    for d in out:
        if d.skip:
            continue
        if d.same_phone in seen:
            d.skip = _("the same phone as %(label)s") % {"label": seen[d.same_phone]}
            d.key = f"{d.key}#{len(seen)}"
            d.phone, d.recipient = "", {}  # nothing is sent to it: no copy of the number is kept
        else:
            seen[d.same_phone] = d.label
    return out


def grids_near(lat: float, lon: float, radius_m: float) -> list[Grid]:
    """Active grids whose boundary comes within ``radius_m`` of the point (degrees converted
    locally: one degree of latitude is ~111 km; longitude shrinks with the cosine)."""
    point = Point(lon, lat)
    cos_lat = max(0.1, math.cos(math.radians(lat)))
    out = []
    for grid in Grid.objects.filter(active=True):
        geom = shape(grid.boundary)
        # nearest point of the polygon, then the true distance in metres
        if geom.covers(point):
            out.append(grid)
            continue
        near = nearest_points(geom, point)[0]
        dx = (near.x - lon) * 111_320 * cos_lat
        dy = (near.y - lat) * 110_574
        if math.hypot(dx, dy) <= radius_m:
            out.append(grid)
    return out


# --- reports -----------------------------------------------------------------------------------


@dataclass
class ReportLine:
    label: str
    transport: str
    status: str  # sent, logged, pending, failed, skipped
    why: str
    attempts: int
    answer: dict
    sent_at: datetime | None = None


@dataclass
class RunReport:
    run: Run
    lines: list[ReportLine]
    counts: Counter


def run_report(run: Run) -> RunReport:
    lines = []
    for d in run.deliveries.select_related("outbox"):
        if d.state == DeliveryState.SKIPPED:
            lines.append(ReportLine(d.label, d.transport, "skipped", d.reason, 0, {}))
            continue
        box = d.outbox
        state = box.state if box else "failed"
        status = "pending" if state == OutboxState.SENDING else str(state)
        why = box.last_error if box else _("the outbox row is gone")
        lines.append(
            ReportLine(d.label, d.transport, status, why, box.attempts if box else 0, d.platform_answer)
        )
    return RunReport(run, lines, Counter(line.status for line in lines))


def broadcast_report(broadcast: Broadcast) -> list[RunReport]:
    return [run_report(r) for r in broadcast.runs.order_by("-fired_at", "-id")]


# --- previews ----------------------------------------------------------------------------------


@dataclass
class Preview:
    channel: str
    format: str
    body: str
    note: str = ""
    refused: bool = False


def channel_previews(title: str, text: str) -> list[Preview]:
    """What each channel will show: SMS as plain text with its length and parts, the chat
    platforms in the format their robots take (markdown, a card, Telegram's HTML)."""
    sms = plain_text(f"{title}\n{text}")
    shape = sms_shape(sms)
    note = _("%(length)d characters · %(segments)d SMS (%(encoding)s, %(per)d per part)") % {
        "length": shape.length,
        "segments": shape.segments,
        "encoding": shape.encoding,
        "per": shape.per_segment,
    }
    return [
        Preview(_("SMS"), _("plain text"), sms, note, refused=shape.segments > MAX_SEGMENTS),
        Preview(str(Platform.DINGTALK.label), _("formatted text"), f"### {title}\n\n{text}"),
        Preview(str(Platform.FEISHU.label), _("card with Markdown"), f"{title}\n\n{text}"),
        Preview(str(Platform.WECOM.label), _("formatted text"), f"**{title}**\n{text}"),
        Preview(str(Platform.TELEGRAM.label), _("web formatting"), telegram_html(title, text)),
    ]
