"""Every write to an appeal. `check_*` validate (and lock); `do_*` write inside a transaction.

Callers pass the acting person's Scope; permission is checked here, not in views, so the API, the
pages and the chat bots all obey the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals import clocks, feedback
from lastmeter.appeals.choices import AppealState, Channel, ClockKind, EventKind, Priority
from lastmeter.appeals.locking import lock_appeal, move_state, publish_change, record_event, require_action
from lastmeter.appeals.models import Appeal, AppealEvent, Category, LandingProof, Rating, Subscription
from lastmeter.appeals.notify.reporter import notify_reporter, notify_staff
from lastmeter.appeals.refusals import action_label
from lastmeter.appeals.selectors import access_appeal_by_token, assignable_people
from lastmeter.appeals.transfers import transfer_locked
from lastmeter.grids.selectors import responsible_for_point
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.geo import haversine_m, validate_lat_lon
from lastmeter.lib.transitions import TransitionError


@dataclass
class NewAppeal:
    channel: str
    text: str
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    location_confidence: float | None = None
    category: Category | None = None
    priority: int | None = None
    title: str = ""
    channel_ref: dict[str, Any] | None = None
    reporter_person: Person | None = None
    filed_by: Person | None = None


def check_new_appeal(data: NewAppeal) -> None:
    if data.channel not in Channel.values:
        raise ServiceError(_("Unknown channel “%(channel)s”.") % {"channel": data.channel})
    if not data.text or not data.text.strip():
        raise ServiceError(_("The appeal text is empty: say what the problem is."))
    if len(data.text) > 20_000:
        raise ServiceError(_("The appeal text is longer than 20,000 characters; shorten it."))
    try:
        validate_lat_lon(data.lat, data.lon)
    except ValueError as exc:
        raise ServiceError(_("The position is not valid (%(detail)s).") % {"detail": exc}) from None
    if data.priority is not None and data.priority not in Priority.values:
        raise ServiceError(_("Unknown priority “%(priority)s”; use 1 to 4.") % {"priority": data.priority})


# --- creation and routing ---------------------------------------------------------------------


def do_create_appeal(data: NewAppeal, *, actor: Person | None = None, now: datetime | None = None) -> Appeal:
    """Create, route to grid and person on duty, start the clocks, transfer at once if the
    category belongs to a department."""
    check_new_appeal(data)
    now = now or timezone.now()
    with transaction.atomic():
        grid, assignee = (None, None)
        if data.lat is not None and data.lon is not None:
            grid, assignee = responsible_for_point(data.lat, data.lon, now)
        category = data.category
        appeal = Appeal.objects.create(
            channel=data.channel,
            channel_ref=data.channel_ref or {},
            reporter_name=data.reporter_name.strip(),
            reporter_phone=data.reporter_phone.strip(),
            reporter_email=data.reporter_email.strip(),
            reporter_person=data.reporter_person,
            filed_by=data.filed_by,
            title=data.title.strip()[:200],
            text=data.text.strip(),
            address=data.address.strip(),
            lat=data.lat,
            lon=data.lon,
            location_confidence=data.location_confidence,
            category=category,
            grid=grid,
            assignee=assignee,
            priority=data.priority or (category.default_priority if category else Priority.NORMAL),
        )
        appeal.reference = f"LM{now.astimezone().strftime('%Y%m%d')}{appeal.pk:06d}"
        appeal.save(update_fields=["reference"])
        record_event(
            appeal,
            EventKind.CREATED,
            data.filed_by or actor,
            channel=data.channel,
            actor_label="" if (data.filed_by or actor) else "reporter",
            data={"grid": grid.pk if grid else None, "assignee": assignee.pk if assignee else None},
        )
        if assignee is not None:
            record_event(appeal, EventKind.ASSIGNED, None, note=assignee.name, data={"person": assignee.pk})
            notify_staff(
                assignee,
                appeal,
                f"[lastmeter] {appeal.reference}: {appeal.text[:60]}",
                key=f"assigned:{appeal.pk}:{assignee.pk}:0",
            )
        if category is not None and category.department is not None:
            # Out of police scope: hand it over immediately; police clocks never start.
            transfer_locked(
                appeal,
                category.department,
                None,
                note=_("The category is handled by this department."),
                now=now,
            )
        else:
            clocks.start_clock(appeal, ClockKind.CONTACT, now=now)
            clocks.start_clock(appeal, ClockKind.LAND, now=now)
        publish_change(appeal, "appeal.created")
    return appeal


# --- the officer's steps ----------------------------------------------------------------------


def do_acknowledge(scope: Scope, appeal_id: int, *, note: str = "") -> Appeal:
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "acknowledge")
        event = move_state(appeal, AppealState.ACKNOWLEDGED, scope.person, note=note)
        if appeal.assignee_id is None and scope.person is not None:
            appeal.assignee = scope.person
            appeal.save(update_fields=["assignee"])
        if not appeal.clocks.filter(kind=ClockKind.LAND, state__in=clocks.LIVE_STATES).exists():
            # Back from a returned transfer whose clocks were not started on return (rows written
            # before returns started them): the police clocks start now.
            clocks.start_clock(appeal, ClockKind.CONTACT)
            clocks.start_clock(appeal, ClockKind.LAND)
        notify_reporter(appeal, "acknowledged", event_id=event.pk)
        publish_change(appeal, "appeal.changed")
    return appeal


def do_contact(scope: Scope, appeal_id: int, *, note: str = "") -> Appeal:
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "contact")
        appeal.contacted_at = timezone.now()
        move_state(appeal, AppealState.CONTACTED, scope.person, note=note, extra_fields=("contacted_at",))
        clocks.stop_clocks(appeal, [ClockKind.CONTACT])
        publish_change(appeal, "appeal.changed")
    return appeal


class TooFarToLand(ServiceError):
    """A landing refused because the officer is not on site; the message gives both distances."""

    def __init__(self, distance_m: float, radius_m: float) -> None:
        self.distance_m = distance_m
        self.radius_m = radius_m
        super().__init__(
            _(
                "You are about %(distance)s m from the appeal's location; "
                "arrival on site can be confirmed only within %(radius)s m."
            )
            % {"distance": f"{distance_m:.0f}", "radius": f"{radius_m:.0f}"}
        )


def check_landing(appeal: Appeal, lat: float | None, lon: float | None) -> float:
    """Distance in metres from the officer to the appeal; refuses a landing that is not on site."""
    if lat is None or lon is None:
        raise ServiceError("landing needs the officer's current position")
    try:
        validate_lat_lon(lat, lon)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    if not appeal.has_location:
        return 0.0  # nothing to compare with; the position is still recorded as proof
    distance = haversine_m(lat, lon, appeal.lat, appeal.lon)  # type: ignore[arg-type]
    radius = settings.LASTMETER_LANDING_RADIUS_M
    if distance > radius:
        raise TooFarToLand(distance, radius)
    return distance


def do_land(
    scope: Scope,
    appeal_id: int,
    *,
    lat: float | None,
    lon: float | None,
    accuracy_m: float | None = None,
    note: str = "",
) -> Appeal:
    if lat is None or lon is None:
        raise ServiceError("landing needs the officer's current position")
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "land")
        if scope.person is None:
            raise NotAllowed(
                _("Arrival on site must be confirmed by a person in the network, not by a system account.")
            )
        distance = check_landing(appeal, lat, lon)
        now = timezone.now()
        LandingProof.objects.create(
            appeal=appeal, officer=scope.person, lat=lat, lon=lon, accuracy_m=accuracy_m, distance_m=distance
        )
        appeal.landed_at = now
        fields = ["landed_at"]
        if appeal.contacted_at is None:
            appeal.contacted_at = now
            fields.append("contacted_at")
        event = move_state(
            appeal,
            AppealState.LANDED,
            scope.person,
            note=note,
            extra_fields=tuple(fields),
            data={"distance_m": round(distance, 1), "lat": lat, "lon": lon},
        )
        clocks.stop_clocks(appeal, [ClockKind.CONTACT, ClockKind.LAND], now=now)
        notify_reporter(appeal, "landed", event_id=event.pk)
        publish_change(appeal, "appeal.changed")
    return appeal


def do_resolve(scope: Scope, appeal_id: int, *, resolution: str) -> Appeal:
    if not resolution or not resolution.strip():
        raise ServiceError(_("Say how the appeal was resolved: the reporter is told."))
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "resolve")
        appeal.resolution = resolution.strip()
        appeal.resolved_at = timezone.now()
        event = move_state(
            appeal,
            AppealState.RESOLVED,
            scope.person,
            note=appeal.resolution,
            extra_fields=("resolution", "resolved_at"),
        )
        clocks.stop_clocks(appeal, [ClockKind.CONTACT, ClockKind.LAND], cancel=False)
        notify_reporter(appeal, "resolved", extra=appeal.resolution, event_id=event.pk)
        publish_change(appeal, "appeal.changed")
    return appeal


def check_reason(reason: str, action: str) -> str:
    """The reason stripped; refuses an empty one with a sentence naming the action."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Give a reason to %(action)s: it is kept on the timeline.") % {"action": action_label(action)}
        )
    return reason[:2000]


def do_close(scope: Scope, appeal_id: int, *, reason: str) -> Appeal:
    """Close without the reporter's rating (invalid, withdrawn, answered elsewhere). The reason is
    required, and the reporter is told on their channel, with the tracking link."""
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "close")
        reason = check_reason(reason, "close")
        appeal.closed_at = timezone.now()
        event = move_state(appeal, AppealState.CLOSED, scope.person, note=reason, extra_fields=("closed_at",))
        clocks.stop_clocks(appeal, [ClockKind.CONTACT, ClockKind.LAND], cancel=True)
        notify_reporter(appeal, "closed", extra=reason, event_id=event.pk)
        publish_change(appeal, "appeal.changed")
    return appeal


def check_assignee(scope: Scope, person: Person) -> None:
    """Refuse a person outside the viewer's scope (``selectors.assignable_people``)."""
    if not assignable_people(scope).filter(pk=person.pk).exists():
        raise NotAllowed(
            _(
                "%(name)s is not among the people you may assign (officers and grid members of your "
                "grids); choose someone from the list, or ask the dispatcher."
            )
            % {"name": person.name}
        )


def do_assign(scope: Scope, appeal_id: int, *, person: Person) -> Appeal:
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "assign")
        check_assignee(scope, person)
        if appeal.assignee_id == person.pk:
            return appeal  # already theirs: a repeated request changes nothing and tells nobody twice
        appeal.assignee = person
        appeal.save(update_fields=["assignee", "updated_at"])
        event = record_event(
            appeal, EventKind.ASSIGNED, scope.person, note=person.name, data={"person": person.pk}
        )
        notify_staff(
            person,
            appeal,
            f"[lastmeter] {appeal.reference}: {appeal.text[:60]}",
            key=f"assigned:{appeal.pk}:{person.pk}:{event.pk}",
        )
        publish_change(appeal, "appeal.changed")
    return appeal


def do_add_note(scope: Scope, appeal_id: int, *, note: str) -> AppealEvent:
    if not note.strip():
        raise ServiceError(_("The note is empty."))
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "note")
        return record_event(appeal, EventKind.NOTE, scope.person, note=note.strip())


def do_pause(scope: Scope, appeal_id: int, *, reason: str) -> Appeal:
    """Waiting for the reporter (unreachable, asked to come back later): clocks whose policy
    allows it stop counting. The reason is required: a pause stops the deadlines."""
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "pause")
        reason = check_reason(reason, "pause")
        appeal.waiting_for_reporter = True
        appeal.save(update_fields=["waiting_for_reporter", "updated_at"])
        count = clocks.pause_clocks(appeal)
        record_event(appeal, EventKind.PAUSED, scope.person, note=reason, data={"clocks": count})
        publish_change(appeal, "appeal.changed")
    return appeal


def do_resume(scope: Scope, appeal_id: int) -> Appeal:
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "resume")
        appeal.waiting_for_reporter = False
        appeal.save(update_fields=["waiting_for_reporter", "updated_at"])
        count = clocks.resume_clocks(appeal)
        record_event(appeal, EventKind.RESUMED, scope.person, data={"clocks": count})
        publish_change(appeal, "appeal.changed")
    return appeal


def do_merge(scope: Scope, appeal_id: int, *, into_id: int) -> Appeal:
    """Mark a duplicate: its clocks stop and its reporter follows the surviving appeal."""
    if appeal_id == into_id:
        raise ServiceError(
            _("An appeal cannot be merged into itself; choose the appeal that covers the same problem.")
        )
    with transaction.atomic():
        # Lock in id order so two merges in opposite directions cannot deadlock.
        first, second = sorted([appeal_id, into_id])
        locked = {a.pk: a for a in [lock_appeal(first), lock_appeal(second)]}
        appeal, target = locked[appeal_id], locked[into_id]
        require_action(scope, appeal, "merge")
        if target.state == AppealState.MERGED:
            raise ServiceError(
                _("Appeal %(target)s is itself merged into %(survivor)s; merge into %(survivor)s instead.")
                % {
                    "target": target.reference,
                    "survivor": target.merged_into.reference if target.merged_into else "—",
                }
            )
        appeal.merged_into = target
        event = move_state(
            appeal,
            AppealState.MERGED,
            scope.person,
            note=target.reference or "",
            extra_fields=("merged_into",),
        )
        clocks.stop_clocks(appeal, [ClockKind.CONTACT, ClockKind.LAND], cancel=True)
        subscribe(target, appeal)
        record_event(
            target, EventKind.DUPLICATE, scope.person, note=appeal.reference or "", data={"appeal": appeal.pk}
        )
        notify_reporter(appeal, "merged", extra=target.reference or "", event_id=event.pk)
        publish_change(appeal, "appeal.changed")
    return appeal


def subscribe(target: Appeal, source: Appeal) -> Subscription:
    return Subscription.objects.create(
        appeal=target,
        name=source.reporter_name,
        phone=source.reporter_phone,
        email=source.reporter_email,
        channel=source.channel,
        channel_ref=source.channel_ref,
        source_appeal=source,
    )


# --- the reporter's and staff's reopening -------------------------------------------------------


def _reopen_locked(
    appeal: Appeal, actor: Person | None, reason: str, label: str, *, data: dict[str, Any] | None = None
) -> Appeal:
    event = move_state(appeal, AppealState.REOPENED, actor, note=reason, data={"by": label, **(data or {})})
    appeal.resolved_at = None
    appeal.closed_at = None
    appeal.save(update_fields=["resolved_at", "closed_at"])
    event.actor_label = label if actor is None else event.actor_label
    event.save(update_fields=["actor_label"])
    clocks.start_clock(appeal, ClockKind.LAND)
    notify_reporter(appeal, "reopened", event_id=event.pk)
    publish_change(appeal, "appeal.changed")
    return appeal


def do_reopen(scope: Scope, appeal_id: int, *, reason: str) -> Appeal:
    if not reason.strip():
        raise ServiceError(_("Say why the appeal is reopened."))
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        require_action(scope, appeal, "reopen")
        return _reopen_locked(appeal, scope.person, reason.strip(), "staff")


def do_rate(token: str, *, code: str, score: Any, comment: str = "", now: datetime | None = None) -> Rating:
    """The reporter rates a resolved appeal: the tracking token finds it, the one-time code sent
    to their phone or e-mail (``feedback.issue_feedback_code``) proves it is them. Once per
    resolution; rating closes the appeal and is on its timeline."""
    value = feedback.parse_score(score)
    appeal_id = access_appeal_by_token(token).pk
    now = now or timezone.now()
    refusal = None
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        feedback.check_feedback_refusal_locked(appeal, contest=False)
        # A wrong code is counted and kept (this transaction commits); the refusal is raised after.
        refusal = feedback.use_code_locked(appeal, code, now)
        if refusal is None:
            rating = Rating.objects.create(
                appeal=appeal, score=value, comment=comment.strip()[:2000], resolved_at=appeal.resolved_at
            )
            record_event(
                appeal,
                EventKind.RATED,
                None,
                actor_label="reporter",
                note=comment.strip()[:2000],
                data={"score": value},
            )
            appeal.closed_at = now
            move_state(
                appeal, AppealState.CLOSED, None, note=_("rated by the reporter"), extra_fields=("closed_at",)
            )
            publish_change(appeal, "appeal.changed")
    if refusal is not None:
        raise ServiceError(refusal)
    return rating


def do_contest(token: str, *, code: str, reason: str, now: datetime | None = None) -> Appeal:
    """The reporter disagrees with the resolution (token + one-time code, as for rating): the
    appeal reopens with a new landing clock. At most ``LASTMETER_MAX_CONTESTS`` per appeal, one
    per resolution; each is recorded as a contested Rating and on the timeline."""
    if not reason or not reason.strip():
        raise ServiceError(_("Say what is still wrong."))
    appeal_id = access_appeal_by_token(token).pk
    now = now or timezone.now()
    refusal = None
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        feedback.check_feedback_refusal_locked(appeal, contest=True)
        refusal = feedback.use_code_locked(appeal, code, now)
        if refusal is None:
            number = feedback.contests_used(appeal) + 1
            Rating.objects.create(
                appeal=appeal, contested=True, comment=reason.strip()[:2000], resolved_at=appeal.resolved_at
            )
            _reopen_locked(appeal, None, reason.strip()[:2000], "reporter", data={"contest": number})
    if refusal is not None:
        raise ServiceError(refusal)
    return appeal


__all__ = [
    "NewAppeal",
    "NotAllowed",
    "ServiceError",
    "TooFarToLand",
    "TransitionError",
    "do_acknowledge",
    "do_add_note",
    "do_assign",
    "do_close",
    "do_contact",
    "do_contest",
    "do_create_appeal",
    "do_land",
    "do_merge",
    "do_pause",
    "do_rate",
    "do_reopen",
    "do_resolve",
    "do_resume",
]
