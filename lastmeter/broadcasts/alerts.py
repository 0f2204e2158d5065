"""Missing-person alerts: create, approve (two-person rule), sightings, stand-down, purge.

An alert is sent as a Broadcast of kind ``alert`` to the grid members, building heads,
volunteers and chat groups of the grids around the last known place; it goes out only when a
leader other than its author approves it. Closing it sends a stand-down to the same audience at
once (no second approval: the audience was approved with the alert, and a stand-down should not
wait). ``purge_closed`` deletes the photo and description once the retention period is over.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.reporter import public_url
from lastmeter.broadcasts import services
from lastmeter.broadcasts.choices import (
    AlertState,
    BroadcastKind,
    BroadcastState,
    EventKind,
    check_alert_transition,
)
from lastmeter.broadcasts.models import Alert, Audience, Broadcast, Run, Sighting
from lastmeter.broadcasts.selectors import audience_community_ids, can_compose, grids_near
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.geo import CoordinateError, validate_lat_lon
from lastmeter.lib.images import FORMATS, ImageRefused, reencode

# How long the photo and description stay after closure: long enough to answer questions about
# the search, short enough that a found person's picture does not linger.
RETENTION = timedelta(days=30)
PURGED_TEXT = "—"
MAX_PHOTO_BYTES = 8_000_000  # a phone's full-size JPEG is 2–6 MB; more is not a snapshot
PHOTO_TYPES = frozenset(FORMATS.values())


@dataclass
class AlertDraft:
    kind: str
    headline: str
    description: str
    last_seen_at: datetime
    last_seen_place: str
    lat: float
    lon: float
    radius_m: int = 1000
    grids: list[Grid] = field(default_factory=list)
    photo: UploadedFile | None = None
    audience: Audience | None = None  # a saved audience told as well (its copy, merged)


def public_link(alert: Alert) -> str:
    return public_url(reverse("broadcasts:alert_public", args=[alert.public_token]))


def alert_text(alert: Alert) -> str:
    seen = timezone.localtime(alert.last_seen_at)
    return "\n".join(
        [
            f"**{alert.get_kind_display()}**",
            alert.description,
            _("Last seen: %(when)s at %(place)s")
            % {"when": f"{seen:%m-%d %H:%M}", "place": alert.last_seen_place},
            _("Photo and details: %(link)s") % {"link": public_link(alert)},
            _('If you see this person, reply "我看到了" with where and when (code %(code)s), or call 110.')
            % {"code": alert.code},
        ]
    )


def do_create_alert(scope: Scope, draft: AlertDraft) -> Alert:
    if not can_compose(scope) or scope.person is None:
        raise NotAllowed(_("Only officers and leaders write alerts."))
    try:
        validate_lat_lon(draft.lat, draft.lon)
    except CoordinateError as exc:
        raise ServiceError(_("The last known place has bad coordinates: %(why)s") % {"why": exc}) from None
    if not draft.description.strip() or not draft.headline.strip():
        raise ServiceError(_("An alert needs a headline and a description."))
    if draft.last_seen_at > timezone.now() + timedelta(minutes=5):
        raise ServiceError(_("The time last seen is in the future."))
    grids = {g.pk: g for g in draft.grids}
    for g in grids_near(draft.lat, draft.lon, draft.radius_m):
        grids.setdefault(g.pk, g)
    if not grids:
        raise ServiceError(
            _("No grid lies within the radius of the last known place: widen it or choose grids.")
        )
    services.check_scope_covers(scope, {g.community_id for g in grids.values()})
    with transaction.atomic():
        alert = Alert.objects.create(
            kind=draft.kind,
            headline=draft.headline.strip(),
            description=draft.description.strip(),
            last_seen_at=draft.last_seen_at,
            last_seen_place=draft.last_seen_place.strip(),
            lat=draft.lat,
            lon=draft.lon,
            radius_m=draft.radius_m,
            author=scope.person,
        )
        if draft.photo is not None:
            store_photo(alert, draft.photo)
        alert.grids.set(list(grids.values()))
        audience = Audience.objects.create(
            name=_("Alert %(code)s") % {"code": alert.code},
            area_groups=True,
            grid_members=True,
            building_heads=True,
            volunteers=True,
            created_by=scope.person,
        )
        audience.grids.set(list(grids.values()))
        if draft.audience is not None:
            _merge_saved(scope, audience, draft.audience)
        services.do_create_broadcast(
            scope,
            services.Draft(
                title=alert.headline,
                template=alert_text(alert),
                audience=audience,
                variables={},
                kind=BroadcastKind.ALERT,
                alert=alert,
            ),
        )
    return alert


def _merge_saved(scope: Scope, audience: Audience, saved: Audience) -> None:
    """Add a saved audience's destinations to the alert's own (the people around the place)."""
    services.check_scope_covers(scope, audience_community_ids(saved))
    audience.communities.add(*saved.communities.all())
    audience.grids.add(*saved.grids.all())
    audience.groups.add(*saved.groups.all())
    audience.departments.add(*saved.departments.all())
    audience.sms_residents = saved.sms_residents
    audience.copied_from = saved
    audience.save(update_fields=["sms_residents", "copied_from"])


def check_photo(upload: UploadedFile) -> None:
    """Refuse before reading: too large, or not declared as a photo type we keep."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise ServiceError(
            _("The photo is too large (%(size)s MB, at most %(max)s MB).")
            % {"size": f"{upload.size / 1_000_000:.1f}", "max": MAX_PHOTO_BYTES // 1_000_000}
        )
    declared = (upload.content_type or "").lower()
    if declared and declared not in PHOTO_TYPES:
        raise ServiceError(
            _("The photo must be a JPEG, PNG or WebP image (not %(type)s).") % {"type": declared}
        )


def store_photo(alert: Alert, upload: UploadedFile) -> None:
    """Keep the photo re-encoded, without EXIF/GPS (a phone's photo carries where it was taken:
    lib/images.py), with the size and SHA-1 digest CAP's <resource> names."""
    check_photo(upload)
    try:
        data, content_type = reencode(upload.read())
    except ImageRefused as exc:
        raise ServiceError(_("The photo was refused: %(why)s") % {"why": exc}) from None
    if alert.photo:
        alert.photo.delete(save=False)
    suffix = content_type.split("/")[1].replace("jpeg", "jpg")
    alert.photo_size = len(data)
    alert.photo_digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    alert.photo.save(f"photo.{suffix}", ContentFile(data), save=False)
    alert.save(update_fields=["photo", "photo_size", "photo_digest"])


def do_set_photo(scope: Scope, alert_id: int, upload: UploadedFile) -> Alert:
    """Add or replace the photo of an alert that is not stood down (its author, or anyone who may
    close it). An active alert's page and CAP export show the new photo at once."""
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if not can_compose(scope) or scope.person is None:
            raise NotAllowed(_("Only officers and leaders write alerts."))
        services.check_scope_covers(scope, set(alert.grids.values_list("community_id", flat=True)))
        if alert.state not in (AlertState.DRAFT, AlertState.AWAITING_APPROVAL, AlertState.ACTIVE):
            raise ServiceError(_("The alert is stood down: its photo can no longer change."))
        store_photo(alert, upload)
    return alert


def alert_broadcast(alert: Alert) -> Broadcast:
    return Broadcast.objects.get(alert=alert, kind=BroadcastKind.ALERT)


def lock_alert(alert_id: int) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert_id)


def do_submit_alert(scope: Scope, alert_id: int) -> Alert:
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if scope.person is None or alert.author_id != scope.person.pk:
            raise NotAllowed(_("Only the author submits an alert."))
        check_alert_transition(alert.state, AlertState.AWAITING_APPROVAL)
        services.do_submit(scope, alert_broadcast(alert).pk)
        alert.state = AlertState.AWAITING_APPROVAL
        alert.save(update_fields=["state"])
    return alert


def do_approve_alert(scope: Scope, alert_id: int) -> Alert:
    """A leader other than the author approves: the alert is active and goes out now."""
    with transaction.atomic():
        alert = lock_alert(alert_id)
        broadcast = alert_broadcast(alert)
        services.check_approver(scope, broadcast)
        if alert.state != AlertState.AWAITING_APPROVAL:
            raise ServiceError(_("This alert is not waiting for approval."))
        check_alert_transition(alert.state, AlertState.ACTIVE)
        alert.state = AlertState.ACTIVE
        alert.approved_by = scope.person
        alert.approved_at = timezone.now()
        alert.save(update_fields=["state", "approved_by", "approved_at"])
        services.do_approve(scope, broadcast.pk)
    return alert


def do_decline_alert(scope: Scope, alert_id: int, note: str) -> Alert:
    """A leader other than the author sends the alert back to its author as a draft, with why."""
    with transaction.atomic():
        alert = lock_alert(alert_id)
        broadcast = alert_broadcast(alert)
        services.check_approver(scope, broadcast)
        if alert.state != AlertState.AWAITING_APPROVAL:
            raise ServiceError(_("This alert is not waiting for approval."))
        check_alert_transition(alert.state, AlertState.DRAFT)
        alert.state = AlertState.DRAFT
        alert.save(update_fields=["state"])
        services.do_decline(scope, broadcast.pk, note)
    return alert


def do_close_alert(scope: Scope, alert_id: int, outcome: str) -> Alert:
    """Close an active alert (found, or called off) and send the stand-down to the same audience."""
    if not outcome.strip():
        raise ServiceError(_("Say how the alert ended (found, called off…)."))
    now = timezone.now()
    with transaction.atomic():
        alert = lock_alert(alert_id)
        broadcast = alert_broadcast(alert)
        if not can_compose(scope) or scope.person is None:
            raise NotAllowed(_("Only officers and leaders close alerts."))
        services.check_scope_covers(scope, set(alert.grids.values_list("community_id", flat=True)))
        if alert.state != AlertState.ACTIVE:
            raise ServiceError(_("Only an active alert can be stood down."))
        check_alert_transition(alert.state, AlertState.CLOSED)
        alert.state = AlertState.CLOSED
        alert.closed_at, alert.closed_by, alert.outcome = now, scope.person, outcome.strip()[:300]
        alert.purge_after = now + RETENTION
        alert.save(update_fields=["state", "closed_at", "closed_by", "outcome", "purge_after"])
        if broadcast.state == BroadcastState.SCHEDULED:
            services.do_cancel(scope, broadcast.pk)
        stand_down = Broadcast.objects.create(
            kind=BroadcastKind.STAND_DOWN,
            title=_("Stand-down: %(headline)s") % {"headline": alert.headline},
            template=_(
                "The alert %(code)s is over: %(outcome)s. Thank you for your help; please delete the photo."
            )
            % {"code": alert.code, "outcome": alert.outcome},
            audience=broadcast.audience,
            alert=alert,
            author=scope.person,
            state=BroadcastState.SCHEDULED,
            next_run_at=now,
        )
        services.record(stand_down, EventKind.CREATED, scope.person)
        services.fire(stand_down, now)
        services.record(
            broadcast, EventKind.CANCELLED, scope.person, _("stood down: %(o)s") % {"o": alert.outcome}
        )
        stand_down.state = BroadcastState.DONE
        stand_down.next_run_at = None
        stand_down.save(update_fields=["state", "next_run_at"])
    return alert


# --- sightings ----------------------------------------------------------------------------------

SIGHTING_CUES = ("看到", "看见", "见到", "发现", "seen", "saw")
_TIME = re.compile(r"(\d{1,2})[:：点](\d{1,2})?")
# "在<place>" up to a verb of seeing, "附近" or punctuation: "在人民公园门口看见了" → 人民公园门口
_PLACE = re.compile(r"在(.{2,30}?)(?:附近|看到|看见|见到|发现|[，。,.!！？?\s]|$)")


def parse_sighting(text: str, received: datetime) -> tuple[str, datetime]:
    """The place ("在人民公园门口") and time ("10:30", "10点") a reply names; the time defaults to
    when the reply arrived, and a time later than that is taken as yesterday's."""
    place_match = _PLACE.search(text)
    place = place_match.group(1) if place_match else ""
    seen = received
    time_match = _TIME.search(text)
    if time_match and int(time_match.group(1)) < 24 and int(time_match.group(2) or 0) < 60:
        local = timezone.localtime(received)
        candidate = local.replace(
            hour=int(time_match.group(1)), minute=int(time_match.group(2) or 0), second=0, microsecond=0
        )
        seen = candidate if candidate <= local else candidate - timedelta(days=1)
    return place, seen


def do_record_sighting(
    alert: Alert, *, channel: str, sender: str, text: str, lat: float | None = None, lon: float | None = None
) -> Sighting:
    now = timezone.now()
    place, seen = parse_sighting(text, now)
    return Sighting.objects.create(
        alert=alert,
        channel=channel,
        sender=sender[:200],
        text=text[:2000],
        place=place,
        lat=lat,
        lon=lon,
        seen_at=seen,
    )


# --- retention ----------------------------------------------------------------------------------


def purge_closed(now: datetime | None = None) -> dict[str, int]:
    """The worker's job: delete photo and description of alerts closed longer than RETENTION,
    also from the texts the alert was sent with (runs and outbox bodies), which repeat them."""
    now = now or timezone.now()
    purged = 0
    for alert_id in Alert.objects.filter(state=AlertState.CLOSED, purge_after__lte=now).values_list(
        "id", flat=True
    ):
        with transaction.atomic():
            alert = lock_alert(alert_id)
            if alert.state != AlertState.CLOSED:
                continue
            check_alert_transition(alert.state, AlertState.PURGED)
            if alert.photo:
                alert.photo.delete(save=False)
            alert.photo = ""
            alert.photo_size, alert.photo_digest = None, ""
            alert.description = PURGED_TEXT
            alert.state = AlertState.PURGED
            alert.save(update_fields=["photo", "photo_size", "photo_digest", "description", "state"])
            Broadcast.objects.filter(alert=alert, kind=BroadcastKind.ALERT).update(template=PURGED_TEXT)
            Run.objects.filter(broadcast__alert=alert, broadcast__kind=BroadcastKind.ALERT).update(
                text=PURGED_TEXT
            )
            # The outbox rows are the appeals app's table; their bodies repeated the description.
            OutboxMessage.objects.filter(
                broadcast_delivery__run__broadcast__alert=alert,
                broadcast_delivery__run__broadcast__kind=BroadcastKind.ALERT,
            ).update(body=PURGED_TEXT)
            purged += 1
    return {"alerts_purged": purged}
