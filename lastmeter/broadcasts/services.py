"""Every write of broadcasts: audiences, compose, submit/approve (two-person rule), pause,
cancel, and firing through the outbox.

Firing is all or nothing: ``check_sendable`` validates the whole broadcast (audience, variables,
SMS length, groups whose bot was removed) before the first outbox row is written, and the run,
its deliveries and their outbox rows are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department, OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.broadcasts.algorithms.schedule import next_occurrence, parse_times
from lastmeter.broadcasts.algorithms.text import MAX_SEGMENTS, fill, missing_variables, plain_text, sms_shape
from lastmeter.broadcasts.choices import (
    AlertState,
    BroadcastKind,
    BroadcastState,
    DeliveryState,
    EventKind,
    Repeat,
    check_broadcast_transition,
)
from lastmeter.broadcasts.limits import spacing
from lastmeter.broadcasts.models import (
    Alert,
    Audience,
    Broadcast,
    BroadcastEvent,
    ChannelPace,
    ChatGroup,
    Delivery,
    Run,
)
from lastmeter.broadcasts.selectors import (
    Destination,
    audience_community_ids,
    can_approve,
    can_compose,
    destinations,
    scope_community_ids,
)
from lastmeter.grids.models import Grid
from lastmeter.lib.clocks import is_working_day
from lastmeter.lib.errors import NotAllowed, ServiceError

GRACE = timedelta(minutes=1)  # a "now" typed into a form is a few seconds in the past on submit


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def record(broadcast: Broadcast, kind: str, actor=None, note: str = "") -> None:
    BroadcastEvent.objects.create(broadcast=broadcast, kind=kind, actor=actor, note=note)


# --- audiences ---------------------------------------------------------------------------------


def check_scope_covers(scope: Scope, community_ids: set[int]) -> None:
    allowed = scope_community_ids(scope)
    if allowed is None:
        return
    outside = community_ids - allowed
    if outside:
        names = ", ".join(
            OrgUnit.objects.filter(id__in=outside).order_by("name").values_list("name", flat=True)
        )
        raise NotAllowed(_("You may not send to communities outside your area: %(names)s") % {"names": names})


@dataclass
class AudienceSpec:
    name: str
    communities: list[OrgUnit]
    grids: list[Grid]
    groups: list[ChatGroup]
    departments: list[Department]
    area_groups: bool = True
    grid_members: bool = False
    building_heads: bool = False
    volunteers: bool = False
    sms_residents: bool = False


def check_audience_spec(scope: Scope, spec: AudienceSpec) -> None:
    """An audience must reach someone, and only communities the writer may send to."""
    if not can_compose(scope):
        raise NotAllowed(_("Only officers and leaders write broadcasts."))
    communities = {c.id for c in spec.communities} | {g.community_id for g in spec.grids}
    communities |= {g.community_id for g in spec.groups}
    if not communities and not spec.departments:
        raise ServiceError(_("The audience is empty: choose communities, grids, groups or departments."))
    check_scope_covers(scope, communities)


def _write_audience(audience: Audience, spec: AudienceSpec) -> Audience:
    for flag in ("area_groups", "grid_members", "building_heads", "volunteers", "sms_residents"):
        setattr(audience, flag, getattr(spec, flag))
    audience.save()
    audience.communities.set(spec.communities)
    audience.grids.set(spec.grids)
    audience.groups.set(spec.groups)
    audience.departments.set(spec.departments)
    return audience


def do_create_audience(scope: Scope, spec: AudienceSpec, *, saved: bool = False) -> Audience:
    check_audience_spec(scope, spec)
    with transaction.atomic():
        audience = Audience(name=spec.name.strip() or _("Audience"), created_by=scope.person, saved=saved)
        return _write_audience(audience, spec)


def do_save_audience(scope: Scope, spec: AudienceSpec) -> Audience:
    """A named audience kept for reuse (picked later for broadcasts and alerts)."""
    if not spec.name.strip():
        raise ServiceError(_("A saved audience needs a name."))
    return do_create_audience(scope, spec, saved=True)


def do_edit_audience(scope: Scope, audience: Audience, spec: AudienceSpec) -> Audience:
    """Change a saved audience (the caller found it through ``access_audience_by_scope``).
    Broadcasts that already used it keep their own copy."""
    if not audience.saved:
        raise ServiceError(_("Only a saved audience can be edited."))
    if not spec.name.strip():
        raise ServiceError(_("A saved audience needs a name."))
    check_audience_spec(scope, spec)
    with transaction.atomic():
        audience = Audience.objects.select_for_update().get(pk=audience.pk)
        audience.name = spec.name.strip()
        return _write_audience(audience, spec)


def spec_of(audience: Audience, **changes: Any) -> AudienceSpec:
    spec = AudienceSpec(
        name=audience.name,
        communities=list(audience.communities.all()),
        grids=list(audience.grids.all()),
        groups=list(audience.groups.all()),
        departments=list(audience.departments.all()),
        area_groups=audience.area_groups,
        grid_members=audience.grid_members,
        building_heads=audience.building_heads,
        volunteers=audience.volunteers,
        sms_residents=audience.sms_residents,
    )
    for name, value in changes.items():
        setattr(spec, name, value)
    return spec


def copy_audience(scope: Scope, saved: Audience) -> Audience:
    """A broadcast's own copy of a saved audience: what the approver sees is what goes out, even
    if someone edits the saved audience later. The scope is checked again (the writer may have
    been given the saved audience by a colleague with a wider area)."""
    with transaction.atomic():
        copy = do_create_audience(scope, spec_of(saved))
        copy.copied_from = saved
        copy.save(update_fields=["copied_from"])
    return copy


# --- compose, validate -------------------------------------------------------------------------


@dataclass
class Draft:
    title: str
    template: str
    audience: Audience
    variables: dict[str, str]
    kind: str = BroadcastKind.NOTICE
    repeat: str = Repeat.ONCE
    send_at: datetime | None = None  # None with repeat=once: as soon as it may go
    times: list[str] | None = None
    until: date | None = None
    sources: list[dict] | None = None
    alert: Alert | None = None


def needs_approval(broadcast: Broadcast) -> bool:
    """The two-person rule: every alert, and anything reaching more than one community."""
    if broadcast.kind == BroadcastKind.ALERT:
        return True
    return len(audience_community_ids(broadcast.audience)) > 1


def check_schedule(broadcast: Broadcast, now: datetime) -> None:
    if broadcast.repeat == Repeat.ONCE:
        if broadcast.send_at is not None and broadcast.send_at < now - GRACE:
            raise ServiceError(_("The sending time is in the past."))
        return
    try:
        times = parse_times(broadcast.times)
    except ValueError as exc:
        raise ServiceError(_("Not a time of day (HH:MM): %(value)s") % {"value": exc}) from None
    if not times:
        raise ServiceError(_("A recurring broadcast needs at least one time of day."))
    if broadcast.until is not None and broadcast.until < now.astimezone(local_tz()).date():
        raise ServiceError(_("The end date of the schedule is in the past."))


def render(broadcast: Broadcast) -> str:
    text = preview_text(broadcast.template, broadcast.variables)
    if not text:
        raise ServiceError(_("The message is empty."))
    return text


def preview_text(template: str, variables: dict[str, str]) -> str:
    """The text a template gives with these values (ServiceError naming missing variables)."""
    missing = missing_variables(template, variables)
    if missing:
        raise ServiceError(
            _("These template variables have no value: %(names)s")
            % {"names": ", ".join("{" + n + "}" for n in missing)}
        )
    return fill(template, variables).strip()


def sms_text(broadcast: Broadcast, text: str) -> str:
    return plain_text(f"{broadcast.title}\n{text}")


def check_sendable(broadcast: Broadcast) -> tuple[str, list[Destination]]:
    """The rendered text and the destinations, or ServiceError with the first problem.
    Nothing is written: callers fire only after this passed."""
    text = render(broadcast)
    dests = destinations(broadcast.audience)
    live = [d for d in dests if not d.skip]
    if not live:
        raise ServiceError(_("The audience is empty: nobody would receive this broadcast."))
    removed = [d for d in live if d.group is not None and d.group.bot_removed_at is not None]
    if removed and broadcast.kind == BroadcastKind.STAND_DOWN:
        # A stand-down goes to whoever can still be reached; refusing it would keep the alert open.
        for d in removed:
            d.skip = _("the bot was removed from the group")
        live = [d for d in live if not d.skip]
    elif removed:
        names = [d.group.name for d in removed if d.group is not None]
        raise ServiceError(
            _(
                "The bot was removed from these groups; take them out of the audience or re-add the bot: %(names)s"
            )
            % {"names": ", ".join(names)}
        )
    if any(d.transport == "sms" for d in live):
        shape = sms_shape(sms_text(broadcast, text))
        if shape.segments > MAX_SEGMENTS:
            raise ServiceError(
                _("The SMS would be %(n)d messages long (at most %(max)d): shorten it.")
                % {"n": shape.segments, "max": MAX_SEGMENTS}
            )
    if broadcast.kind == BroadcastKind.ALERT and (
        broadcast.alert is None or broadcast.alert.state != AlertState.ACTIVE
    ):
        raise ServiceError(_("An alert goes out only after a leader approved it."))
    return text, dests


def do_create_broadcast(scope: Scope, draft: Draft) -> Broadcast:
    if not can_compose(scope) or scope.person is None:
        raise NotAllowed(_("Only officers and leaders write broadcasts."))
    check_scope_covers(scope, audience_community_ids(draft.audience))
    if not draft.title.strip() or not draft.template.strip():
        raise ServiceError(_("A broadcast needs a title and a message."))
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            kind=draft.kind,
            title=draft.title.strip(),
            template=draft.template,
            variables={k: str(v) for k, v in (draft.variables or {}).items()},
            sources=draft.sources or [],
            audience=draft.audience,
            alert=draft.alert,
            repeat=draft.repeat,
            send_at=draft.send_at,
            times=list(draft.times or []),
            until=draft.until,
            author=scope.person,
        )
        record(broadcast, EventKind.CREATED, scope.person)
    return broadcast


def do_compose(scope: Scope, data: dict[str, Any]) -> Broadcast:
    """The compose page's cleaned data → an audience and a draft broadcast, together or not at all.

    ``saved_audience`` (a saved audience the caller may see) replaces the audience fields: the
    broadcast gets a copy of it."""
    with transaction.atomic():
        saved = data.get("saved_audience")
        audience = (
            copy_audience(scope, saved)
            if saved is not None
            else do_create_audience(
                scope,
                AudienceSpec(
                    name=data["title"],
                    communities=list(data["communities"]),
                    grids=list(data["grids"]),
                    groups=list(data["groups"]),
                    departments=list(data["departments"]),
                    area_groups=data["area_groups"],
                    grid_members=data["grid_members"],
                    building_heads=data["building_heads"],
                    volunteers=data["volunteers"],
                    sms_residents=data["sms_residents"],
                ),
            )
        )
        return do_create_broadcast(
            scope,
            Draft(
                title=data["title"],
                template=data["template"],
                audience=audience,
                variables=data["variables"],
                kind=data["kind"],
                repeat=data["repeat"],
                send_at=data["send_at"],
                times=data["times"],
                until=data["until"],
                sources=data.get("sources"),
            ),
        )


def do_edit(scope: Scope, broadcast_id: int, *, template: str, variables: dict[str, str]) -> Broadcast:
    """The author changes the text or the variables of a draft (a generated draft's detour, say)."""
    with transaction.atomic():
        broadcast = lock(broadcast_id)
        if scope.person is None or broadcast.author_id != scope.person.pk:
            raise NotAllowed(_("Only the author edits a broadcast."))
        if broadcast.state != BroadcastState.DRAFT:
            raise ServiceError(_("Only a draft can be edited."))
        if not template.strip():
            raise ServiceError(_("A broadcast needs a title and a message."))
        broadcast.template = template
        broadcast.variables = {k: str(v) for k, v in variables.items()}
        broadcast.save(update_fields=["template", "variables"])
        record(broadcast, EventKind.EDITED, scope.person)
    return broadcast


def lock(broadcast_id: int) -> Broadcast:
    """The broadcast, locked for the caller's transaction."""
    return (
        Broadcast.objects.select_for_update(of=("self",))
        .select_related("audience", "alert")
        .get(pk=broadcast_id)
    )


def first_run_at(broadcast: Broadcast, now: datetime) -> datetime | None:
    if broadcast.repeat == Repeat.ONCE:
        return max(broadcast.send_at or now, now)
    return next_occurrence(
        now - timedelta(microseconds=1),
        parse_times(broadcast.times),
        local_tz(),
        working_days_only=broadcast.repeat == Repeat.WORKING_DAYS,
        is_working_day=is_working_day,
        until=broadcast.until,
    )


def _schedule(broadcast: Broadcast, actor, now: datetime) -> None:
    """Precondition: the caller holds the lock and validated the broadcast."""
    check_broadcast_transition(broadcast.state, BroadcastState.SCHEDULED)
    broadcast.state = BroadcastState.SCHEDULED
    broadcast.next_run_at = first_run_at(broadcast, now)
    if broadcast.next_run_at is None:
        raise ServiceError(_("The schedule has no firing left before its end date."))
    broadcast.save(update_fields=["state", "next_run_at", "approved_by", "approved_at"])
    when = timezone.localtime(broadcast.next_run_at)
    record(broadcast, EventKind.SCHEDULED, actor, _("next: %(when)s") % {"when": f"{when:%Y-%m-%d %H:%M}"})
    if broadcast.repeat == Repeat.ONCE and broadcast.next_run_at <= now:
        fire(broadcast, now)  # "send now" goes out in this transaction, not at the next sweep
        _advance(broadcast, now)


def do_submit(scope: Scope, broadcast_id: int) -> Broadcast:
    """The author sends it: scheduled at once, or to a leader when the two-person rule says so."""
    now = timezone.now()
    with transaction.atomic():
        broadcast = lock(broadcast_id)
        if scope.person is None or broadcast.author_id != scope.person.pk:
            raise NotAllowed(_("Only the author submits a broadcast."))
        check_scope_covers(scope, audience_community_ids(broadcast.audience))
        check_schedule(broadcast, now)
        if broadcast.kind != BroadcastKind.ALERT:
            check_sendable(broadcast)
        if needs_approval(broadcast):
            check_broadcast_transition(broadcast.state, BroadcastState.AWAITING_APPROVAL)
            broadcast.state = BroadcastState.AWAITING_APPROVAL
            broadcast.save(update_fields=["state"])
            record(broadcast, EventKind.SUBMITTED, scope.person)
        else:
            _schedule(broadcast, scope.person, now)
    return broadcast


def check_approver(scope: Scope, broadcast: Broadcast) -> None:
    if not can_approve(scope) or scope.person is None:
        raise NotAllowed(_("Only a leader approves broadcasts and alerts."))
    if broadcast.author_id == scope.person.pk:
        raise NotAllowed(_("The author may not approve their own broadcast: another leader must."))


def do_approve(scope: Scope, broadcast_id: int) -> Broadcast:
    now = timezone.now()
    with transaction.atomic():
        broadcast = lock(broadcast_id)
        check_approver(scope, broadcast)
        if broadcast.state != BroadcastState.AWAITING_APPROVAL:
            raise ServiceError(_("This broadcast is not waiting for approval."))
        check_schedule(broadcast, now)
        check_sendable(broadcast)
        broadcast.approved_by = scope.person
        broadcast.approved_at = now
        record(broadcast, EventKind.APPROVED, scope.person)
        _schedule(broadcast, scope.person, now)
    return broadcast


def check_not_alert(broadcast: Broadcast) -> None:
    """An alert's messages follow the alert (approve, stand down on its page), never on their own."""
    if broadcast.alert_id is not None:
        raise ServiceError(_("This message belongs to an alert: act on the alert instead."))


def do_decline(scope: Scope, broadcast_id: int, note: str) -> Broadcast:
    with transaction.atomic():
        broadcast = lock(broadcast_id)
        check_approver(scope, broadcast)
        check_broadcast_transition(broadcast.state, BroadcastState.DRAFT)
        broadcast.state = BroadcastState.DRAFT
        broadcast.save(update_fields=["state"])
        record(broadcast, EventKind.DECLINED, scope.person, note)
    return broadcast


def _check_manager(scope: Scope, broadcast: Broadcast) -> None:
    if not can_compose(scope):
        raise NotAllowed(_("Only officers and leaders manage broadcasts."))
    check_scope_covers(scope, audience_community_ids(broadcast.audience))


def do_pause(scope: Scope, broadcast_id: int) -> Broadcast:
    with transaction.atomic():
        broadcast = lock(broadcast_id)
        _check_manager(scope, broadcast)
        check_broadcast_transition(broadcast.state, BroadcastState.PAUSED)
        broadcast.state = BroadcastState.PAUSED
        broadcast.save(update_fields=["state"])
        record(broadcast, EventKind.PAUSED, scope.person)
    return broadcast


def do_resume(scope: Scope, broadcast_id: int) -> Broadcast:
    now = timezone.now()
    with transaction.atomic():
        broadcast = lock(broadcast_id)
        _check_manager(scope, broadcast)
        if broadcast.state != BroadcastState.PAUSED:
            raise ServiceError(_("Only a paused broadcast can be resumed."))
        check_schedule(broadcast, now)
        record(broadcast, EventKind.RESUMED, scope.person)
        _schedule(broadcast, scope.person, now)
    return broadcast


def do_cancel(scope: Scope, broadcast_id: int) -> Broadcast:
    with transaction.atomic():
        broadcast = lock(broadcast_id)
        _check_manager(scope, broadcast)
        check_broadcast_transition(broadcast.state, BroadcastState.CANCELLED)
        broadcast.state = BroadcastState.CANCELLED
        broadcast.next_run_at = None
        broadcast.save(update_fields=["state", "next_run_at"])
        record(broadcast, EventKind.CANCELLED, scope.person)
    return broadcast


# --- firing ------------------------------------------------------------------------------------


def reserve_slot(bucket: str, gap: timedelta, now: datetime) -> datetime:
    """The next free sending time of a destination, reserved (caller is in a transaction)."""
    try:
        with transaction.atomic():
            ChannelPace.objects.create(bucket=bucket, next_free_at=now)
    except IntegrityError:
        pass
    pace = ChannelPace.objects.select_for_update().get(bucket=bucket)
    slot = max(pace.next_free_at, now)
    pace.next_free_at = slot + gap
    pace.save(update_fields=["next_free_at"])
    return slot


def fire(broadcast: Broadcast, now: datetime, slot: str = "") -> Run | None:
    """Write one run: a delivery per destination and an outbox row per live one.

    Precondition: the caller holds the broadcast's lock inside a transaction. A slot that already
    fired returns None (the sweep ran twice)."""
    text, dests = check_sendable(broadcast)
    slot = slot or f"{timezone.localtime(now):%Y-%m-%dT%H:%M}"
    try:
        with transaction.atomic():
            run = Run.objects.create(broadcast=broadcast, slot=slot, text=text)
    except IntegrityError:
        return None
    sms_body = sms_text(broadcast, text)
    for d in dests:
        delivery = Delivery(
            run=run, destination=d.key[:200], label=d.label[:200], transport=d.transport, phone=d.phone
        )
        if d.skip:
            delivery.state, delivery.reason = DeliveryState.SKIPPED, d.skip[:300]
            delivery.save()
            continue
        if d.group is not None:
            bucket, gap, body = f"group:{d.group.pk}", spacing(d.group.platform), text
        else:
            # One pace per number, whoever it belongs to; named by the hash, never the number.
            bucket, gap, body = d.same_phone, spacing("sms"), sms_body
        delivery.outbox = enqueue(
            key=f"broadcast:{broadcast.pk}:{slot}:{d.key}"[:200],
            transport=d.transport,
            recipient=d.recipient,
            subject=broadcast.title[:200],
            body=body,
            not_before=reserve_slot(bucket, gap, now),
        )
        delivery.state = DeliveryState.QUEUED
        delivery.save()
    live = sum(1 for d in dests if not d.skip)
    record(
        broadcast,
        EventKind.FIRED,
        note=_("%(slot)s: %(live)d queued, %(skipped)d skipped")
        % {"slot": slot, "live": live, "skipped": len(dests) - live},
    )
    return run


def _advance(broadcast: Broadcast, now: datetime) -> None:
    """Set the next firing after ``now``, or finish. Precondition: lock held."""
    if broadcast.repeat == Repeat.ONCE:
        nxt = None
    else:
        nxt = next_occurrence(
            now,
            parse_times(broadcast.times),
            local_tz(),
            working_days_only=broadcast.repeat == Repeat.WORKING_DAYS,
            is_working_day=is_working_day,
            until=broadcast.until,
        )
    broadcast.next_run_at = nxt
    if nxt is None:
        check_broadcast_transition(broadcast.state, BroadcastState.DONE)
        broadcast.state = BroadcastState.DONE
    broadcast.save(update_fields=["next_run_at", "state"])


def fire_due(now: datetime | None = None) -> dict[str, int]:
    """The worker's job: fire every scheduled broadcast whose time has come.

    Each is taken with its row lock and re-checked (state and next_run_at), so two workers fire a
    slot once; the Run's unique slot backs that up. A broadcast that cannot go any more (a group
    lost its bot, the audience emptied) is not half-sent: the refusal goes on its timeline, and a
    recurring one moves on to its next slot."""
    now = now or timezone.now()
    counts = {"broadcasts_fired": 0, "broadcasts_refused": 0, "broadcasts_holiday": 0}
    due = list(
        Broadcast.objects.filter(state=BroadcastState.SCHEDULED, next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("id", "next_run_at")[:100]
    )
    for broadcast_id, planned in due:
        assert planned is not None  # the filter above took only rows with a next firing
        with transaction.atomic():
            broadcast = lock(broadcast_id)
            if broadcast.state != BroadcastState.SCHEDULED or broadcast.next_run_at != planned:
                continue
            local = timezone.localtime(planned, local_tz())
            slot = f"{local:%Y-%m-%dT%H:%M}"
            if broadcast.repeat == Repeat.WORKING_DAYS and not is_working_day(local.date()):
                record(broadcast, EventKind.HOLIDAY, note=slot)  # calendar changed after scheduling
                counts["broadcasts_holiday"] += 1
            else:
                try:
                    with transaction.atomic():
                        if fire(broadcast, now, slot) is not None:
                            counts["broadcasts_fired"] += 1
                except ServiceError as exc:
                    record(broadcast, EventKind.REFUSED, note=f"{slot}: {exc}")
                    counts["broadcasts_refused"] += 1
            _advance(broadcast, max(now, planned))
    return counts
