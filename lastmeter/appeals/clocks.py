"""Starting, stopping, pausing clocks, and the sweeper that warns, breaches and escalates.

The sweeper follows the healthchecks pattern: deadlines live in indexed columns, one loop scans
for rows that are due, and each state change is a compare-and-set UPDATE filtered on the old
state. Two sweepers running at once (or one restarted mid-run) therefore warn and escalate each
clock exactly once: only the UPDATE that still sees the old state changes a row, and the
escalation is written in the same transaction as that UPDATE.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import CHAIN_LEVELS, Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.appeals.choices import CLOCK_TRANSITIONS, ClockKind, ClockState, ClockUnit, EventKind
from lastmeter.appeals.models import Appeal, AppealEvent, Clock, ClockPolicy, Transfer
from lastmeter.appeals.notify.departments import notify_liaisons
from lastmeter.appeals.notify.reporter import notify_staff
from lastmeter.grids.selectors import responsibility_chain
from lastmeter.lib.clocks import compute_due, warn_time
from lastmeter.lib.transitions import check_transition
from lastmeter.realtime.events import COMMAND_GROUP, department_group, person_group, publish_after_commit

log = logging.getLogger("lastmeter.clocks")

# Used when an administrator has configured no policy for a clock kind.
BUILTIN_POLICIES: dict[str, tuple[int, str]] = {
    ClockKind.CONTACT: (2, ClockUnit.HOURS),
    ClockKind.LAND: (24, ClockUnit.HOURS),
    ClockKind.TRANSFER_ACCEPT: (4, ClockUnit.HOURS),
    ClockKind.TRANSFER_OUTCOME: (5, ClockUnit.WORKING_DAYS),
    ClockKind.COMPLAINT_REPLY: (15, ClockUnit.CALENDAR_DAYS),
}


def policy_for(kind: str, category_id: int | None) -> tuple[int, str, bool]:
    """(amount, unit, pause_while_waiting): the category's policy, else the default, else built-in."""
    # `category_id__in=[x, None]` would silently drop the None (SQL's IN never matches NULL), so the
    # jurisdiction-wide default is asked for with its own isnull condition.
    for_category = Q(category_id=category_id) if category_id is not None else Q(pk__in=[])
    policies = {
        p.category_id: p
        for p in ClockPolicy.objects.filter(for_category | Q(category__isnull=True), kind=kind)
    }
    policy = policies.get(category_id) or policies.get(None)
    if policy is not None:
        return policy.amount, policy.unit, policy.pause_while_waiting
    amount, unit = BUILTIN_POLICIES[kind]
    return amount, unit, kind in (ClockKind.CONTACT, ClockKind.LAND)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def start_clock(
    appeal: Appeal,
    kind: str,
    *,
    transfer: Transfer | None = None,
    now: datetime | None = None,
    amount: int | None = None,
    unit: str | None = None,
) -> Clock:
    """Start a clock on the appeal. Caller holds the appeal's row lock inside a transaction."""
    now = now or timezone.now()
    p_amount, p_unit, pause = policy_for(kind, appeal.category_id)
    amount = amount or p_amount
    unit = unit or p_unit
    due = compute_due(now, amount, unit, _tz())
    clock = Clock.objects.create(
        appeal=appeal,
        transfer=transfer,
        kind=kind,
        unit=unit,
        amount=amount,
        pause_while_waiting=pause,
        state=ClockState.RUNNING,
        started_at=now,
        due_at=due,
        warn_at=warn_time(now, due, settings.LASTMETER_WARNING_FRACTION),
    )
    refresh_next_deadline(appeal)
    return clock


def _set_clock_state(clock: Clock, target: str, **fields) -> bool:
    """Compare-and-set one clock from its current state to `target`; False if someone was first."""
    check_transition(CLOCK_TRANSITIONS, clock.state, target, "clock")
    updated = Clock.objects.filter(id=clock.pk, state=clock.state).update(state=target, **fields)
    if updated:
        clock.state = target
        for name, value in fields.items():
            setattr(clock, name, value)
    return updated == 1


# Clocks that still count (or counted past their deadline and wait to be met late).
LIVE_STATES = (ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED)


def stop_clocks(
    appeal: Appeal, kinds: list[str], *, now: datetime | None = None, cancel: bool = False
) -> None:
    """Meet (or cancel) the appeal's live clocks of these kinds. Caller holds the appeal lock.

    Whether a clock was met on time comes from comparing the stop time with its deadline, never
    from its state alone: a running clock stopped after ``due_at`` (the sweeper had not reached
    it yet, or the step is recorded after the fact) is breached at its deadline and met late."""
    now = now or timezone.now()
    for clock in appeal.clocks.filter(kind__in=kinds, state__in=LIVE_STATES):
        if cancel:
            _set_clock_state(clock, ClockState.CANCELLED)
        elif clock.state == ClockState.BREACHED:
            _set_clock_state(clock, ClockState.MET_LATE, met_at=now)
        elif clock.state == ClockState.PAUSED:
            _set_clock_state(clock, ClockState.CANCELLED)
        elif now > clock.due_at:
            _met_late_unswept(appeal, clock, now)
        else:
            _set_clock_state(clock, ClockState.MET, met_at=now)
    refresh_next_deadline(appeal)


def _met_late_unswept(appeal: Appeal, clock: Clock, now: datetime) -> None:
    """A running clock stopped after its deadline: breached at ``due_at``, then met late, with
    the breach on the timeline as the sweeper would have written it. Nobody is escalated to: the
    step is done, so there is nothing left to chase."""
    if _set_clock_state(clock, ClockState.BREACHED, breached_at=clock.due_at):
        AppealEvent.objects.create(
            appeal=appeal,
            kind=EventKind.CLOCK_BREACH,
            actor_label="system",
            note=clock.kind,
            data={"clock": clock.pk, "due_at": clock.due_at.isoformat(), "met_at": now.isoformat()},
        )
        _set_clock_state(clock, ClockState.MET_LATE, met_at=now)


def pause_clocks(appeal: Appeal, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    paused = 0
    for clock in appeal.clocks.filter(state=ClockState.RUNNING, pause_while_waiting=True):
        remaining = max(0.0, (clock.due_at - now).total_seconds())
        paused += _set_clock_state(clock, ClockState.PAUSED, paused_at=now, remaining_s=remaining)
    refresh_next_deadline(appeal)
    return paused


def resume_clocks(appeal: Appeal, *, now: datetime | None = None) -> int:
    """Give each paused clock back the time it had left (calendar time, whatever its unit)."""
    now = now or timezone.now()
    resumed = 0
    for clock in appeal.clocks.filter(state=ClockState.PAUSED):
        due = now + timedelta(seconds=clock.remaining_s or 0.0)
        total = due - clock.started_at - (now - (clock.paused_at or now))
        warn = due - total * (1 - settings.LASTMETER_WARNING_FRACTION)
        resumed += _set_clock_state(
            clock, ClockState.RUNNING, due_at=due, warn_at=max(warn, now), paused_at=None, remaining_s=None
        )
    refresh_next_deadline(appeal)
    return resumed


def refresh_next_deadline(appeal: Appeal) -> None:
    nxt = appeal.clocks.filter(state=ClockState.RUNNING).aggregate(m=Min("due_at"))["m"]
    Appeal.objects.filter(pk=appeal.pk).update(next_deadline_at=nxt)
    appeal.next_deadline_at = nxt


# --- escalation -------------------------------------------------------------------------------


def _chain_people(appeal: Appeal) -> list[tuple[str, Person]]:
    """Escalation targets for the appeal, bottom level first: one person per level of the
    four-level chain that has someone (building head → grid member → community police → leadership)."""
    if appeal.grid is None:
        leaders = RoleAssignment.objects.filter(role=Role.LEADERSHIP).select_related("person").order_by("id")
        return [(Role.LEADERSHIP, ra.person) for ra in leaders[:1]]
    levels = responsibility_chain(appeal.grid, appeal.building)
    ordered = []
    for level in reversed(levels):  # bottom first
        if level.people:
            ordered.append((level.level, level.people[0]))
    return ordered


def escalation_target(appeal: Appeal) -> tuple[str, Person] | None:
    """The next level up the chain: the first breach goes one level above the assignee, each
    further breach one level higher. None once the top (leadership) has been reached."""
    chain = _chain_people(appeal)
    rank = {level: i for i, level in enumerate(CHAIN_LEVELS)}  # 0 = leadership, the top
    assignee_rank = len(CHAIN_LEVELS)  # not in the chain: everyone is above
    for level, person in chain:
        if person.pk == appeal.assignee_id:
            assignee_rank = min(assignee_rank, rank[level])
    # Nearest level first; levels without anyone are skipped.
    above = sorted((lp for lp in chain if rank[lp[0]] < assignee_rank), key=lambda lp: -rank[lp[0]])
    if appeal.escalation_level < len(above):
        return above[appeal.escalation_level]
    return None


# --- the sweeper ------------------------------------------------------------------------------


def _tell_department(clock: Clock, what: str) -> list[str]:
    """A department's clock (acceptance, outcome) warns and breaches to the department's liaisons
    too; returns the websocket groups to publish to. Inside the sweeper's transaction."""
    if clock.transfer_id is None:
        return []
    transfer = Transfer.objects.select_related("department").get(pk=clock.transfer_id)
    notify_liaisons(what, clock.appeal, transfer, due_at=clock.due_at, key=f"clock:{clock.pk}:{what}")
    return [department_group(transfer.department_id)]


def _warn_one(clock_id: int, now: datetime) -> bool:
    with transaction.atomic():
        if not Clock.objects.filter(id=clock_id, state=ClockState.RUNNING, warned_at__isnull=True).update(
            warned_at=now
        ):
            return False
        clock = Clock.objects.select_related("appeal").get(id=clock_id)
        AppealEvent.objects.create(
            appeal=clock.appeal,
            kind=EventKind.CLOCK_WARNING,
            actor_label="system",
            note=str(clock.get_kind_display()),
            data={"clock": clock.pk, "due_at": clock.due_at.isoformat()},
        )
        groups = [COMMAND_GROUP] + (
            [person_group(clock.appeal.assignee_id)] if clock.appeal.assignee_id else []
        )
        groups += _tell_department(clock, "warning")
        publish_after_commit(
            groups, "clock.warning", {"appeal": clock.appeal_id, "kind": clock.kind, "due_at": clock.due_at}
        )
        return True


def _breach_one(clock_id: int, now: datetime) -> bool:
    with transaction.atomic():
        # Compare-and-set: only the sweeper whose UPDATE still sees `running` goes on to escalate.
        if not Clock.objects.filter(id=clock_id, state=ClockState.RUNNING, due_at__lte=now).update(
            state=ClockState.BREACHED, breached_at=now
        ):
            return False
        clock = Clock.objects.select_related("appeal").get(id=clock_id)
        appeal = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("grid", "grid__community", "building")
            .get(pk=clock.appeal_id)
        )
        AppealEvent.objects.create(
            appeal=appeal,
            kind=EventKind.CLOCK_BREACH,
            actor_label="system",
            note=str(clock.get_kind_display()),
            data={"clock": clock.pk, "due_at": clock.due_at.isoformat()},
        )
        target = escalation_target(appeal)
        if target is not None:
            level, person = target
            appeal.escalation_level += 1
            appeal.save(update_fields=["escalation_level", "updated_at"])
            Clock.objects.filter(id=clock.pk).update(escalated_to=person)
            event = AppealEvent.objects.create(
                appeal=appeal,
                kind=EventKind.ESCALATED,
                actor_label="system",
                note=f"{Role(level).label}：{person.name}",
                data={"clock": clock.pk, "level": level, "person": person.pk},
            )
            notify_staff(
                person,
                appeal,
                _("[lastmeter] %(ref)s: the deadline “%(clock)s” was missed; it is escalated to you.")
                % {"ref": appeal.reference, "clock": clock.get_kind_display()},
                key=f"escalation:{clock.pk}:{event.pk}",
            )
            groups = [COMMAND_GROUP, person_group(person.pk)]
        else:
            groups = [COMMAND_GROUP]
        groups += _tell_department(clock, "breached")
        refresh_next_deadline(appeal)
        publish_after_commit(
            groups,
            "clock.breached",
            {"appeal": appeal.pk, "reference": appeal.reference, "kind": clock.kind, "due_at": clock.due_at},
        )
        return True


def sweep(now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """One pass: warn clocks past their warning time, breach clocks past their deadline.
    Idempotent and safe to run concurrently with itself."""
    now = now or timezone.now()
    warned = breached = 0
    due_ids = list(
        Clock.objects.filter(state=ClockState.RUNNING, due_at__lte=now).values_list("id", flat=True)[:limit]
    )
    for clock_id in due_ids:
        breached += _breach_one(clock_id, now)
    warn_ids = list(
        Clock.objects.filter(state=ClockState.RUNNING, warned_at__isnull=True, warn_at__lte=now).values_list(
            "id", flat=True
        )[:limit]
    )
    for clock_id in warn_ids:
        warned += _warn_one(clock_id, now)
    if warned or breached:
        log.info("sweep: %s warned, %s breached", warned, breached)
    return {"warned": warned, "breached": breached}
