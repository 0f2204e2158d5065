"""A complaint's two clocks and their sweeper: acknowledge within 24 hours, reply within 15 days.

The appeals' ``Clock`` belongs to an appeal (a non-null foreign key), so complaints keep a small
clock table of their own and reuse everything else: the deadline arithmetic of ``lib.clocks``
(working days on China's calendar), the clock states and transition table of ``appeals.choices``,
and the appeals' clock policies for the reply: an administrator sets the ``complaint_reply``
policy (amount, calendar or working days) in the admin, as for every clock; without one the
built-in 15 calendar days apply. The acknowledgement takes ``LASTMETER_COMPLAINT_ACK_HOURS``.

The sweeper is the healthchecks pattern again: indexed deadline columns, compare-and-set
``UPDATE … WHERE state = 'running'``, the escalation written in the same transaction, so two
sweepers at once warn and escalate each clock exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person
from lastmeter.appeals.choices import CLOCK_TRANSITIONS, ClockKind, ClockState, ClockUnit
from lastmeter.appeals.clocks import BUILTIN_POLICIES
from lastmeter.appeals.models import ClockPolicy
from lastmeter.complaints.choices import ComplaintClockKind, ComplaintEventKind
from lastmeter.complaints.models import Complaint, ComplaintClock, ComplaintEvent
from lastmeter.complaints.notify import deadline_text, notify_person
from lastmeter.lib.clocks import compute_due, warn_time
from lastmeter.lib.transitions import check_transition

log = logging.getLogger("lastmeter.complaints.clocks")

LIVE_STATES = (ClockState.RUNNING, ClockState.BREACHED)


def reply_policy() -> tuple[int, str]:
    """(amount, unit) of the reply clock: the appeals' ``complaint_reply`` policy (the one without
    a category; complaints have none), else the built-in 15 calendar days.

    Read here rather than through ``appeals.clocks.policy_for``, whose
    ``category_id__in=[…, None]`` never matches the default policy (Django drops None from an
    IN list), so a configured default would be ignored."""
    policy = ClockPolicy.objects.filter(kind=ClockKind.COMPLAINT_REPLY, category__isnull=True).first()
    if policy is not None:
        return policy.amount, policy.unit
    return BUILTIN_POLICIES[ClockKind.COMPLAINT_REPLY]


def start_clock(complaint: Complaint, kind: str, *, now: datetime | None = None) -> ComplaintClock:
    """Start a clock of ``kind`` for the complaint's current round. Caller holds the row lock."""
    now = now or timezone.now()
    unit: str
    if kind == ComplaintClockKind.ACKNOWLEDGE:
        amount, unit = settings.LASTMETER_COMPLAINT_ACK_HOURS, ClockUnit.HOURS.value
    else:
        amount, unit = reply_policy()
    due = compute_due(now, amount, unit, ZoneInfo(settings.TIME_ZONE))
    clock = ComplaintClock.objects.create(
        complaint=complaint,
        kind=kind,
        round=complaint.round,
        unit=unit,
        amount=amount,
        started_at=now,
        due_at=due,
        warn_at=warn_time(now, due, settings.LASTMETER_WARNING_FRACTION),
    )
    refresh_next_deadline(complaint)
    return clock


def _set_state(clock: ComplaintClock, target: str, **fields) -> bool:
    check_transition(CLOCK_TRANSITIONS, clock.state, target, "clock")
    updated = ComplaintClock.objects.filter(id=clock.pk, state=clock.state).update(state=target, **fields)
    if updated:
        clock.state = target
    return updated == 1


def stop_clocks(
    complaint: Complaint, kinds: list[str], *, now: datetime | None = None, cancel: bool = False
) -> None:
    """Meet (or cancel) the complaint's live clocks of these kinds. Caller holds the row lock.

    On time or not is decided by the stop time against the deadline, not by whether the
    sweeper had reached the clock yet."""
    now = now or timezone.now()
    for clock in complaint.clocks.filter(kind__in=kinds, state__in=LIVE_STATES):
        if cancel:
            _set_state(clock, ClockState.CANCELLED)
        elif clock.state == ClockState.BREACHED:
            _set_state(clock, ClockState.MET_LATE, met_at=now)
        elif now > clock.due_at:
            if _set_state(clock, ClockState.BREACHED, breached_at=clock.due_at):
                _set_state(clock, ClockState.MET_LATE, met_at=now)
        else:
            _set_state(clock, ClockState.MET, met_at=now)
    refresh_next_deadline(complaint)


def refresh_next_deadline(complaint: Complaint) -> None:
    nxt = complaint.clocks.filter(state=ClockState.RUNNING).aggregate(m=Min("due_at"))["m"]
    Complaint.objects.filter(pk=complaint.pk).update(next_deadline_at=nxt)
    complaint.next_deadline_at = nxt


# --- escalation and the sweeper -------------------------------------------------------------------


def escalation_target(complaint: Complaint) -> Person | None:
    """Who a missed deadline goes to: the station's leadership, one after another for each
    further breach, never the officer concerned. None once everyone has been told."""
    leaders = list(
        Person.objects.filter(active=True, roles__role=Role.LEADERSHIP)
        .exclude(pk=complaint.officer_id or 0)
        .distinct()
        .order_by("pk")
    )
    if complaint.escalation_level < len(leaders):
        return leaders[complaint.escalation_level]
    return None


def _warn_one(clock_id: int, now: datetime) -> bool:
    with transaction.atomic():
        if not ComplaintClock.objects.filter(
            id=clock_id, state=ClockState.RUNNING, warned_at__isnull=True
        ).update(warned_at=now):
            return False
        clock = ComplaintClock.objects.select_related("complaint").get(id=clock_id)
        complaint = clock.complaint
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=ComplaintEventKind.CLOCK_WARNING,
            actor_label="system",
            note=clock.kind,
            data={"clock": clock.pk, "due_at": clock.due_at.isoformat()},
        )
        # The reviewer is warned; before there is one, the legal office is.
        if complaint.reviewer is not None:
            people = [complaint.reviewer]
        else:
            people = list(
                Person.objects.filter(active=True, roles__role=Role.LEGAL_REVIEWER)
                .exclude(pk=complaint.officer_id or 0)
                .distinct()
            )
        for person in people:
            notify_person(
                person,
                deadline_text(complaint, "warning", clock.due_at),
                key=f"cclock:{clock.pk}:warn:{person.pk}",
            )
        return True


def _breach_one(clock_id: int, now: datetime) -> bool:
    with transaction.atomic():
        # Compare-and-set: only the sweeper whose UPDATE still sees `running` escalates.
        if not ComplaintClock.objects.filter(id=clock_id, state=ClockState.RUNNING, due_at__lte=now).update(
            state=ClockState.BREACHED, breached_at=now
        ):
            return False
        clock = ComplaintClock.objects.get(id=clock_id)
        complaint = Complaint.objects.select_for_update().get(pk=clock.complaint_id)
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=ComplaintEventKind.CLOCK_BREACH,
            actor_label="system",
            note=clock.kind,
            data={"clock": clock.pk, "due_at": clock.due_at.isoformat()},
        )
        target = escalation_target(complaint)
        if target is not None:
            complaint.escalation_level += 1
            complaint.save(update_fields=["escalation_level", "updated_at"])
            ComplaintClock.objects.filter(id=clock.pk).update(escalated_to=target)
            event = ComplaintEvent.objects.create(
                complaint=complaint,
                kind=ComplaintEventKind.ESCALATED,
                actor_label="system",
                note=target.name,
                data={"clock": clock.pk, "person": target.pk},
            )
            notify_person(
                target,
                deadline_text(complaint, "breached", clock.due_at),
                key=f"cclock:{clock.pk}:esc:{event.pk}",
            )
        refresh_next_deadline(complaint)
        return True


def sweep(now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """One pass over the complaints' clocks: warn, breach and escalate. Idempotent, and safe to
    run concurrently with itself (the worker calls it beside the appeals' sweep)."""
    now = now or timezone.now()
    breached = warned = 0
    due = ComplaintClock.objects.filter(state=ClockState.RUNNING, due_at__lte=now)
    for clock_id in list(due.values_list("id", flat=True)[:limit]):
        breached += _breach_one(clock_id, now)
    warn = ComplaintClock.objects.filter(state=ClockState.RUNNING, warned_at__isnull=True, warn_at__lte=now)
    for clock_id in list(warn.values_list("id", flat=True)[:limit]):
        warned += _warn_one(clock_id, now)
    if warned or breached:
        log.info("complaint clocks: %s warned, %s breached", warned, breached)
    return {"complaints_warned": warned, "complaints_breached": breached}
