"""A hand-built month of appeals with known timestamps, for the measure tests.

Rows are written with the ORM directly (the services stamp ``now``); every figure the tests
expect is worked out by hand in docs/MEASURES.md §Worked example and in the test's comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lastmeter.appeals.choices import AppealState, ClockKind, ClockState, EventKind, TransferState
from lastmeter.appeals.models import Appeal, AppealEvent, Clock, Rating, Transfer

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def at(day: int, hour: float, month: int = 3) -> datetime:
    return datetime(2024, month, day, tzinfo=SH) + timedelta(hours=hour)


def appeal(world, created: datetime, *, grid=None, channel="web", state=AppealState.RECEIVED, **kw) -> Appeal:
    a = Appeal.objects.create(
        channel=channel,
        text="测试",
        grid=grid or world.grid_a,
        category=world.police_category,
        state=state,
        **kw,
    )
    Appeal.objects.filter(pk=a.pk).update(created_at=created)
    a.created_at = created
    return a


def clock(a: Appeal, kind: str, state: str, *, transfer=None) -> Clock:
    return Clock.objects.create(
        appeal=a,
        transfer=transfer,
        kind=kind,
        unit="hours",
        amount=24,
        state=state,
        started_at=a.created_at,
        due_at=a.created_at + 24 * H,
        warn_at=a.created_at + 20 * H,
    )


def event(a: Appeal, when: datetime, to_state: str = "", kind: str = EventKind.STATE) -> AppealEvent:
    e = AppealEvent.objects.create(appeal=a, kind=kind, to_state=to_state)
    AppealEvent.objects.filter(pk=e.pk).update(at=when)
    return e


def rating(a: Appeal, score: int | None, *, contested: bool = False, resolved_at=None) -> Rating:
    return Rating.objects.create(appeal=a, score=score, contested=contested, resolved_at=resolved_at)


@dataclass
class Month:
    a1: Appeal
    a2: Appeal
    a3: Appeal
    a4: Appeal
    a5: Appeal
    a6: Appeal
    a7: Appeal


def build_month(world) -> Month:
    S, K, C = AppealState, ClockKind, ClockState
    # A1: grid A, contacted after 1 h, landed after 3 h, resolved after 24 h, rated 5.
    a1 = appeal(world, at(4, 9), state=S.CLOSED)
    clock(a1, K.CONTACT, C.MET)
    clock(a1, K.LAND, C.MET)
    event(a1, a1.created_at + 1 * H, S.CONTACTED)
    event(a1, a1.created_at + 3 * H, S.LANDED)
    event(a1, a1.created_at + 24 * H, S.RESOLVED)
    rating(a1, 5, resolved_at=a1.created_at + 24 * H)
    # A2: 5 March 00:30 local (4 March in UTC), hotline; contact met late (a breach), landing on
    # time; resolved after 10 h, rated 3, contested and reopened, resolved again, rated 4.
    a2 = appeal(world, at(5, 0.5), channel="hotline", state=S.CLOSED)
    clock(a2, K.CONTACT, C.MET_LATE)
    clock(a2, K.LAND, C.MET)
    event(a2, a2.created_at + 3 * H, S.CONTACTED)
    event(a2, a2.created_at + 5 * H, S.LANDED)
    event(a2, a2.created_at + 10 * H, S.RESOLVED)
    rating(a2, 3, resolved_at=a2.created_at + 10 * H)
    rating(a2, None, contested=True, resolved_at=a2.created_at + 10 * H)
    event(a2, a2.created_at + 30 * H, S.REOPENED)
    event(a2, a2.created_at + 40 * H, S.RESOLVED)
    rating(a2, 4, resolved_at=a2.created_at + 40 * H)
    # A3: a duplicate merged into A1; its clocks were cancelled.
    a3 = appeal(world, at(5, 8), state=S.MERGED, merged_into=a1)
    clock(a3, K.CONTACT, C.CANCELLED)
    clock(a3, K.LAND, C.CANCELLED)
    # A4: grid B; transferred, returned (police clocks cancelled, fresh contact clock met, fresh
    # landing clock breached and escalated), transferred again, accepted after 4 h, completed 24 h
    # after that transfer.
    a4 = appeal(world, at(5, 10), grid=world.grid_b, state=S.RESOLVED)
    clock(a4, K.CONTACT, C.CANCELLED)
    clock(a4, K.LAND, C.CANCELLED)
    t1 = Transfer.objects.create(appeal=a4, department=world.department, state=TransferState.RETURNED)
    Transfer.objects.filter(pk=t1.pk).update(
        created_at=a4.created_at + 1 * H, decided_at=a4.created_at + 2 * H
    )
    clock(a4, K.TRANSFER_ACCEPT, C.MET, transfer=t1)
    event(a4, a4.created_at + 1 * H, S.TRANSFERRED)
    event(a4, a4.created_at + 2 * H, S.RETURNED)
    clock(a4, K.CONTACT, C.MET)
    clock(a4, K.LAND, C.BREACHED)
    event(a4, a4.created_at + 8 * H, S.CONTACTED)
    event(a4, a4.created_at + 26 * H, kind=EventKind.ESCALATED)
    t2 = Transfer.objects.create(appeal=a4, department=world.department, state=TransferState.COMPLETED)
    Transfer.objects.filter(pk=t2.pk).update(
        created_at=a4.created_at + 3 * H,
        decided_at=a4.created_at + 7 * H,
        completed_at=a4.created_at + 27 * H,
    )
    clock(a4, K.TRANSFER_ACCEPT, C.MET, transfer=t2)
    clock(a4, K.TRANSFER_OUTCOME, C.MET, transfer=t2)
    event(a4, a4.created_at + 29 * H, S.RESOLVED)
    # A5: waiting for the reporter: contact clock paused (undecided), landed after 2 h (contact too).
    a5 = appeal(world, at(5, 12), state=S.LANDED)
    clock(a5, K.CONTACT, C.PAUSED)
    clock(a5, K.LAND, C.MET)
    event(a5, a5.created_at + 2 * H, S.LANDED)
    # A6: 20 March, contacted after 1.5 h, landed after 30 h (breached, not escalated).
    a6 = appeal(world, at(20, 9), state=S.LANDED)
    clock(a6, K.CONTACT, C.MET)
    clock(a6, K.LAND, C.BREACHED)
    event(a6, a6.created_at + 1.5 * H, S.CONTACTED)
    event(a6, a6.created_at + 30 * H, S.LANDED)
    # A7: 28 February, for the month-on-month comparison.
    a7 = appeal(world, at(28, 9, month=2), state=S.RECEIVED)
    return Month(a1, a2, a3, a4, a5, a6, a7)
