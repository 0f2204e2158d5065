"""The rollup equals a recomputation from the raw rows after a random sequence of changes made
through the real services (create, acknowledge, contact, land, resolve, rate, contest, reopen,
pause/resume, assign, transfer, accept, return, complete, merge, close, the sweeper's breaches),
with the incremental ``refresh`` run at random moments in between — on an empty world and on
top of generated history — and the PostgreSQL path (one INSERT … SELECT) equals the Python one."""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.http import Http404

from lastmeter.appeals import feedback, services, transfers
from lastmeter.appeals.choices import AppealState, ClockState, EventKind, TransferState
from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.models import Appeal, Transfer
from lastmeter.demo.history_writer import generate_history
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.transitions import TransitionError
from lastmeter.stats.models import (
    AREA_KEY_FIELDS,
    CLOCK_COLUMNS,
    HOUR_FIELDS,
    KEY_FIELDS,
    SUM_FIELDS,
    AppealDay,
    AppealDayArea,
    AppealMonthArea,
    AppealMonthOfficer,
    AppealTime,
    AppealWeekArea,
    TimeBin,
    TimeBinDay,
    TimeBinFold,
    TransferMonth,
    TransferSpan,
)
from lastmeter.stats.rollups import (
    compute_area_rows,
    compute_rows,
    compute_times,
    compute_transfer_spans,
    insert_area_sql,
    insert_rows_sql,
    insert_times_sql,
    insert_transfer_spans_sql,
    local_day,
    local_tz,
    refresh,
)
from lastmeter.stats.time_bins import APPEAL_SERIES, compute_bins, compute_day_bins, months_of, rebuild_bins
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B


def recomputed(world) -> dict[tuple, dict[str, int]]:
    """The rollup worked out appeal by appeal from the raw rows, independently of ``rollups``."""
    out: dict[tuple, dict[str, int]] = {}
    for a in Appeal.objects.select_related("grid"):
        key = (
            local_day(a.created_at),
            a.grid_id,
            a.grid.community_id if a.grid else None,
            a.category_id,
            a.channel,
            a.assignee_id,
        )
        s = out.setdefault(key, dict.fromkeys(SUM_FIELDS, 0))
        s["received"] += 1
        clocks = list(a.clocks.all())
        for c in clocks:
            col = CLOCK_COLUMNS[c.kind]
            s[f"{col}_met"] += c.state == ClockState.MET
            s[f"{col}_breached"] += c.state in (ClockState.BREACHED, ClockState.MET_LATE)
        for kind in ("contact", "land"):
            states = [c.state for c in clocks if c.kind == kind]
            met = states.count(ClockState.MET)
            late = sum(st in (ClockState.BREACHED, ClockState.MET_LATE) for st in states)
            s[f"{kind}_decided"] += bool(met or late)
            s[f"{kind}_ontime"] += bool(met and not late)
        events = list(a.events.all())
        s["escalations"] += sum(e.kind == EventKind.ESCALATED for e in events)
        resolutions = sum(e.kind == EventKind.STATE and e.to_state == AppealState.RESOLVED for e in events)
        s["resolutions"] += resolutions
        s["resolved"] += resolutions > 0
        s["reopened"] += any(e.kind == EventKind.STATE and e.to_state == AppealState.REOPENED for e in events)
        s["merged"] += a.state == AppealState.MERGED
        ts = list(a.transfers.all())
        s["transferred"] += bool(ts)
        s["transfers"] += len(ts)
        s["transfers_returned"] += sum(t.state == TransferState.RETURNED for t in ts)
        for r in a.ratings.all():
            if r.contested:
                s["contests"] += 1
            elif r.score is not None:
                s["ratings"] += 1
                s["score_sum"] += r.score
                s["score_ge4"] += r.score >= 4
    return out


def recomputed_times() -> dict[int, tuple]:
    """Each appeal's hours to its first contact (or landing), landing and resolution, from its
    events, independently of ``rollups``."""
    out = {}
    for a in Appeal.objects.select_related("grid"):
        firsts: dict[str, float] = {}
        for e in a.events.filter(kind="state").order_by("at"):
            for step, states in (
                ("contact", ("contacted", "landed")),
                ("land", ("landed",)),
                ("resolve", ("resolved",)),
            ):
                if e.to_state in states and step not in firsts:
                    firsts[step] = round((e.at - a.created_at).total_seconds() / 3600, 6)
        key = (local_day(a.created_at), a.grid_id, a.grid.community_id if a.grid else None, a.category_id)
        out[a.pk] = (*key, a.channel, a.assignee_id, *(firsts.get(s) for s in ("contact", "land", "resolve")))
    return out


def rolled_up_times() -> dict[int, tuple]:
    fields = ("day", "grid_id", "community_id", "category_id", "channel", "assignee_id")
    return {
        row["appeal_id"]: (
            *(row[f] for f in fields),
            *(
                None if row[f"{s}_h"] is None else round(row[f"{s}_h"], 6)
                for s in ("contact", "land", "resolve")
            ),
        )
        for row in AppealTime.objects.values("appeal_id", *fields, "contact_h", "land_h", "resolve_h")
    }


def rolled_up() -> dict[tuple, dict[str, int]]:
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUM_FIELDS, 0))
    for row in AppealDay.objects.values(*KEY_FIELDS, *SUM_FIELDS):
        s = out[tuple(row[k] for k in KEY_FIELDS)]
        for n in SUM_FIELDS:
            s[n] += row[n]
    return dict(out)


def area_recomputed(day_rows: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """The fold by area of a recomputed daily rollup, with receipts per local hour."""
    out: dict[tuple, dict[str, int]] = {}
    for key, sums in day_rows.items():
        area = out.setdefault(key[:4], dict.fromkeys((*SUM_FIELDS, *HOUR_FIELDS), 0))
        for n in SUM_FIELDS:
            area[n] += sums[n]
    for a in Appeal.objects.select_related("grid"):
        at = a.created_at.astimezone(local_tz())
        out[(at.date(), a.grid_id, a.grid.community_id if a.grid else None, a.category_id)][
            HOUR_FIELDS[at.hour]
        ] += 1
    return out


def area_rolled_up() -> dict[tuple, dict[str, int]]:
    rows = AppealDayArea.objects.values(*AREA_KEY_FIELDS, *SUM_FIELDS, *HOUR_FIELDS)
    out = {tuple(r[k] for k in AREA_KEY_FIELDS): {n: r[n] for n in (*SUM_FIELDS, *HOUR_FIELDS)} for r in rows}
    assert len(out) == len(rows)  # one row per day and area
    return out


def month_area_rolled_up() -> dict[tuple, dict[str, int]]:
    rows = AppealMonthArea.objects.values("month", "grid_id", "community_id", "category_id", *SUM_FIELDS)
    out = {
        (r["month"], r["grid_id"], r["community_id"], r["category_id"]): {n: r[n] for n in SUM_FIELDS}
        for r in rows
    }
    assert len(out) == len(rows)  # one row per month and area
    return out


def month_area_folded(area: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """The day rows by area added up by calendar month, in Python."""
    out: dict[tuple, dict[str, int]] = {}
    for (day, *place), sums in area.items():
        total = out.setdefault((day.replace(day=1), *place), dict.fromkeys(SUM_FIELDS, 0))
        for n in SUM_FIELDS:
            total[n] += sums[n]
    return out


def month_officer_rolled_up() -> dict[tuple, dict[str, int]]:
    keys = ("month", "grid_id", "community_id", "assignee_id")
    rows = AppealMonthOfficer.objects.values(*keys, *SUM_FIELDS)
    out = {tuple(r[k] for k in keys): {n: r[n] for n in SUM_FIELDS} for r in rows}
    assert len(out) == len(rows)  # one row per month, grid and officer
    return out


def month_officer_folded(day_rows: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """The recomputed daily rollup added up by calendar month, grid and officer, in Python."""
    out: dict[tuple, dict[str, int]] = {}
    for key, sums in day_rows.items():
        row = dict(zip(KEY_FIELDS, key, strict=True))
        folded = (row["day"].replace(day=1), row["grid_id"], row["community_id"], row["assignee_id"])
        total = out.setdefault(folded, dict.fromkeys(SUM_FIELDS, 0))
        for n in SUM_FIELDS:
            total[n] += sums[n]
    return out


def week_area_rolled_up() -> dict[tuple, dict[str, int]]:
    keys = ("week", "grid_id", "community_id", "category_id")
    rows = AppealWeekArea.objects.values(*keys, *SUM_FIELDS)
    out = {tuple(r[k] for k in keys): {n: r[n] for n in SUM_FIELDS} for r in rows}
    assert len(out) == len(rows)  # one row per week and area
    return out


def week_area_folded(area: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """The day rows by area added up by ISO week (from its Monday), in Python."""
    out: dict[tuple, dict[str, int]] = {}
    for (day, *place), sums in area.items():
        total = out.setdefault((day - timedelta(days=day.weekday()), *place), dict.fromkeys(SUM_FIELDS, 0))
        for n in SUM_FIELDS:
            total[n] += sums[n]
    return out


def transfer_months_rolled_up() -> dict[tuple, tuple[int, ...]]:
    keys = ("month", "department_id", "grid_id", "community_id", "category_id")
    counts = ("transfers", "returned", "accept_met", "accept_late", "outcome_met", "outcome_late")
    rows = TransferMonth.objects.values(*keys, *counts)
    out = {tuple(r[k] for k in keys): tuple(r[c] for c in counts) for r in rows}
    assert len(out) == len(rows)
    return out


def transfer_months_counted() -> dict[tuple, tuple[int, ...]]:
    """The spans counted by month of their day, department and area, in Python."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for t in TransferSpan.objects.all():
        total = out[(t.day.replace(day=1), t.department_id, t.grid_id, t.community_id, t.category_id)]
        for i, v in enumerate(
            (1, int(t.returned), t.accept_met, t.accept_late, t.outcome_met, t.outcome_late)
        ):
            total[i] += v
    return {k: tuple(v) for k, v in out.items()}


TRANSFER_SPAN_FIELDS = (
    "appeal_day", "day", "department_id", "grid_id", "community_id", "category_id", "returned",
    "accept_s", "outcome_s", "accept_met", "accept_late", "outcome_met", "outcome_late",
)  # fmt: skip


def transfer_spans_recomputed() -> dict[int, tuple]:
    """Per transfer, worked out from the transfer, its appeal and its clocks."""
    out = {}
    for t in Transfer.objects.select_related("appeal", "appeal__grid"):
        a = t.appeal
        clocks = list(t.clocks.all())

        def count(kind: str, states: tuple, clocks=clocks) -> int:
            return sum(c.kind == kind and c.state in states for c in clocks)

        late = (ClockState.BREACHED, ClockState.MET_LATE)
        accepted = t.state in (TransferState.ACCEPTED, TransferState.COMPLETED)
        completed = t.state == TransferState.COMPLETED
        out[t.pk] = (
            local_day(a.created_at), local_day(t.created_at), t.department_id, a.grid_id,
            a.grid.community_id if a.grid else None, a.category_id, t.state == TransferState.RETURNED,
            (t.decided_at - t.created_at).total_seconds() if accepted and t.decided_at else None,
            (t.completed_at - t.created_at).total_seconds() if completed and t.completed_at else None,
            count("transfer_accept", (ClockState.MET,)), count("transfer_accept", late),
            count("transfer_outcome", (ClockState.MET,)), count("transfer_outcome", late),
        )  # fmt: skip
    return out


def transfer_spans_rolled_up() -> dict[int, tuple]:
    return {
        r[0]: tuple(r[1:]) for r in TransferSpan.objects.values_list("transfer_id", *TRANSFER_SPAN_FIELDS)
    }


def assert_rollups_equal_recomputation(world) -> None:
    expected = recomputed(world)
    assert rolled_up() == expected
    area = area_rolled_up()
    assert area == area_recomputed(expected)
    assert month_area_rolled_up() == month_area_folded(area)
    assert month_officer_rolled_up() == month_officer_folded(expected)
    assert week_area_rolled_up() == week_area_folded(area)
    times = recomputed_times()
    assert sum(1 for t in times.values() if t[-1] is not None) > 0  # some appeals were resolved
    assert rolled_up_times() == times
    assert transfer_spans_rolled_up() == transfer_spans_recomputed()
    assert transfer_months_rolled_up() == transfer_months_counted()
    assert bins_rolled_up() == bins_recounted()


BIN_FIELDS = (
    "series",
    "month",
    "whole",
    "grid_id",
    "community_id",
    "assignee_id",
    "department_id",
    "category_id",
    "bin",
)


def bins_rolled_up() -> dict[tuple, int]:
    """The monthly histograms, their fold (keyed "fold", …) and the jurisdiction's daily
    ones (keyed "day", series, day, bin)."""
    monthly = {tuple(getattr(b, f) for f in BIN_FIELDS): b.n for b in TimeBin.objects.all()}
    grids = {
        ("fold", b.series, b.month, b.whole, b.grid_id, b.community_id, b.department_id, b.bin): b.n
        for b in TimeBinFold.objects.all()
    }
    return monthly | grids | {("day", b.series, b.day, b.bin): b.n for b in TimeBinDay.objects.all()}


def bins_recounted() -> dict[tuple, int]:
    """The histograms counted afresh, in Python, from the per-row tables (themselves held equal
    to a recomputation from the raw rows above)."""
    days = {
        *AppealTime.objects.values_list("day", flat=True),
        *TransferSpan.objects.values_list("day", flat=True),
    }
    recount = {tuple(getattr(b, f) for f in BIN_FIELDS): b.n for b in compute_bins(months_of(days))}
    assert sum(recount.values()) > 0
    daily = {("day", b.series, b.day, b.bin): b.n for b in compute_day_bins(months_of(days))}
    # Each day's histograms add up to its month's whole-jurisdiction histograms.
    folded: dict[tuple, int] = defaultdict(int)
    for (_day, series, day, b), n in daily.items():
        folded[(series, day.replace(day=1), b)] += n
    whole = {(k[0], k[1], k[-1]): n for k, n in recount.items() if k[2] and k[0] in APPEAL_SERIES}
    assert folded == whole
    # The appeal histograms per area summed over the officers, the transfer ones per department
    # summed over the categories: the fold.
    folds: dict[tuple, int] = defaultdict(int)
    for (series, month, is_whole, grid, community, _officer, dept, _cat, b), n in recount.items():
        if not is_whole and series in APPEAL_SERIES:
            folds[("fold", series, month, False, grid, community, None, b)] += n
        elif is_whole and series not in APPEAL_SERIES:
            folds[("fold", series, month, False, None, None, dept, b)] += n
        else:  # the jurisdiction's appeal histograms, as they are
            folds[("fold", series, month, True, None, None, None, b)] += n
    assert {k[1] for k in folds} == {"contact", "land", "resolve", "accept", "outcome"}
    return recount | dict(folds) | daily


S = AppealState
NEXT: dict[str, list[str]] = {
    S.RECEIVED: ["ack", "ack", "transfer", "merge", "close"],
    S.ACKNOWLEDGED: ["contact", "land", "pause"],
    S.CONTACTED: ["land", "pause", "resume"],
    S.LANDED: ["resolve"],
    S.RESOLVED: ["rate", "rate", "contest"],
    S.CLOSED: ["reopen"],
    S.TRANSFERRED: ["accept", "return"],
    S.ACCEPTED: ["complete", "return"],
    S.RETURNED: ["ack", "transfer"],
    S.REOPENED: ["land", "resolve"],
}


def random_step(world, rng: random.Random, appeals: list[int]) -> None:
    dispatcher = world.scope(world.dispatcher)
    liaison = world.scope(world.liaison)
    action = rng.choice(
        ["create"] * 2
        + ["ack", "contact", "land", "resolve", "rate", "contest", "reopen", "pause", "resume"]
        + ["transfer", "accept", "return", "complete", "merge", "close", "sweep", "assign"]
    )
    pk = rng.choice(appeals[-6:]) if appeals else None
    if pk is not None and rng.random() < 0.6:
        # Mostly the natural next step, so that appeals get resolved, rated, reopened …
        state = Appeal.objects.get(pk=pk).state
        action = rng.choice(NEXT.get(state, [action]))
    if action == "create" or pk is None:
        point = rng.choice([POINT_IN_A, POINT_IN_B])
        category = rng.choice([world.police_category, world.police_category, world.department_category])
        a = services.do_create_appeal(
            services.NewAppeal(
                channel=rng.choice(["web", "hotline"]),
                text="随机诉求",
                reporter_phone="13912345678",
                lat=point[0],
                lon=point[1],
                category=category,
            )
        )
        appeals.append(a.pk)
        return
    a = Appeal.objects.get(pk=pk)
    if action == "ack":
        services.do_acknowledge(dispatcher, pk)
    elif action == "contact":
        services.do_contact(dispatcher, pk)
    elif action == "land":
        services.do_land(world.scope(world.leader), pk, lat=a.lat, lon=a.lon)
    elif action == "resolve":
        services.do_resolve(dispatcher, pk, resolution="已处理")
    elif action in ("rate", "contest"):
        code = feedback.issue_feedback_code(a.tracking_token).code
        if action == "rate":
            services.do_rate(a.tracking_token, code=code, score=rng.randint(1, 5))
        else:
            services.do_contest(a.tracking_token, code=code, reason="没解决")
    elif action == "reopen":
        services.do_reopen(dispatcher, pk, reason="再次反映")
    elif action == "pause":
        services.do_pause(dispatcher, pk, reason="联系不上")
    elif action == "resume":
        services.do_resume(dispatcher, pk)
    elif action == "transfer":
        transfers.do_transfer(dispatcher, pk, department=world.department)
    elif action == "accept":
        transfers.do_accept_transfer(liaison, pk)
    elif action == "return":
        transfers.do_return_transfer(liaison, pk, reason="不属于本部门")
    elif action == "complete":
        transfers.do_complete_transfer(liaison, pk, outcome="已处理")
    elif action == "merge":
        services.do_merge(dispatcher, pk, into_id=rng.choice(appeals))
    elif action == "close":
        services.do_close(dispatcher, pk, reason="无效")
    elif action == "assign":
        # The assignee is part of the rollup's key: the appeal moves to another row of its day.
        services.do_assign(dispatcher, pk, person=rng.choice([world.grid_officer, world.grid_member]))
    else:
        sweep()


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_it_keeps_the_rollup_equal_to_a_recomputation(world, settings, seed):
    settings.LASTMETER_FEEDBACK_CODE_INTERVAL_S = 0
    settings.LASTMETER_FEEDBACK_CODES_PER_DAY = 1000
    settings.LASTMETER_MAX_CONTESTS = 1000
    rng = random.Random(seed)
    appeals: list[int] = []
    refreshed = 0
    with time_machine.travel("2026-03-01 20:00 +0800", tick=False) as clock:
        for _ in range(90):
            # A step the appeal's state does not allow is refused and writes nothing.
            with contextlib.suppress(ServiceError, TransitionError, Http404):
                random_step(world, rng, appeals)
            clock.shift(rng.randint(0, 8 * 3600))
            if rng.random() < 0.15:
                refresh()
                refreshed += 1
        refresh()
    expected = recomputed(world)
    assert refreshed > 3 and len({k[0] for k in expected}) > 3  # several refreshes over several days
    assert sum(s["resolutions"] for s in expected.values()) > 0
    assert_rollups_equal_recomputation(world)


def test_it_keeps_the_rollup_equal_on_top_of_generated_history(world, settings):
    settings.LASTMETER_FEEDBACK_CODE_INTERVAL_S = 0
    settings.LASTMETER_FEEDBACK_CODES_PER_DAY = 1000
    settings.LASTMETER_MAX_CONTESTS = 1000
    rng = random.Random(11)
    with time_machine.travel("2026-03-01 20:00 +0800", tick=False) as clock:
        generate_history(400, years=0.2, seed=11)  # written with COPY/INSERT, then rebuilt
        # Some of the history's still-open appeals are changed by the services too.
        appeals = list(
            Appeal.objects.exclude(state__in=[AppealState.CLOSED, AppealState.MERGED])
            .order_by("-created_at")
            .values_list("pk", flat=True)[:6]
        )
        for step in range(60):
            with contextlib.suppress(ServiceError, TransitionError, Http404):
                random_step(world, rng, appeals)
            clock.shift(rng.randint(0, 6 * 3600))
            if step % 7 == 0:
                refresh()
        refresh()
    assert_rollups_equal_recomputation(world)


def test_it_computes_the_same_rows_in_sql_as_in_python(world):
    if connection.vendor != "postgresql":
        pytest.skip("the SQL path of the rollup runs on PostgreSQL only")
    with time_machine.travel("2026-03-01 20:00 +0800", tick=False):
        generate_history(1200, years=1, seed=5, rebuild_rollup=False)
    first = local_day(Appeal.objects.earliest("created_at").created_at)
    last = local_day(Appeal.objects.latest("created_at").created_at)
    in_python = {
        tuple(getattr(r, k) for k in KEY_FIELDS): {n: getattr(r, n) for n in SUM_FIELDS}
        for r in compute_rows(first, last)
    }
    assert insert_rows_sql(first, last) == len(in_python)
    assert rolled_up() == in_python
    area = {
        tuple(getattr(r, k) for k in AREA_KEY_FIELDS): {n: getattr(r, n) for n in (*SUM_FIELDS, *HOUR_FIELDS)}
        for r in compute_area_rows(first, last)
    }
    insert_area_sql(first, last)
    assert area_rolled_up() == area
    times = {
        r.appeal_id: (r.day, r.grid_id, r.community_id, r.category_id, r.channel, r.assignee_id,
                      *(None if h is None else round(h, 6) for h in (r.contact_h, r.land_h, r.resolve_h)))
        for r in compute_times(first, last)
    }  # fmt: skip
    insert_times_sql(first, last)
    assert rolled_up_times() == times == recomputed_times()
    transfer_spans = {
        r.transfer_id: tuple(getattr(r, f) for f in TRANSFER_SPAN_FIELDS)
        for r in compute_transfer_spans(first, last)
    }
    insert_transfer_spans_sql(first, last)
    assert transfer_spans_rolled_up() == transfer_spans == transfer_spans_recomputed()
    # The histograms: width_bucket in SQL puts every duration in the bin bisect finds in Python.
    months = months_of(first + timedelta(days=d) for d in range((last - first).days + 1))
    rebuild_bins(months)
    assert bins_rolled_up() == bins_recounted()
    assert TimeBin.objects.filter(series="accept").exists() and TimeBin.objects.filter(whole=False).exists()


def test_it_rebuilds_only_the_days_that_changed(world, new_appeal):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as clock:
        first = new_appeal()
        clock.shift(3600)
        assert refresh()["stats_days"] == -1  # first run: all history
        clock.shift(86400)
        new_appeal()
        assert refresh() == {"stats_days": 1, "stats_rows": 1}
        clock.shift(3600)
        services.do_acknowledge(world.scope(world.dispatcher), first.pk)
        services.do_contact(world.scope(world.dispatcher), first.pk)
        # The overlap re-reads the last minutes: yesterday's appeal (changed now) and today's.
        assert refresh()["stats_days"] == 2
        clock.shift(3600)
        assert refresh()["stats_days"] == 1  # the overlap reads the last refresh's moment again
        clock.shift(3600)
        assert refresh() == {"stats_days": 0, "stats_rows": 0}
    row = AppealDay.objects.get(day="2026-03-02")
    # Contacted a day after a 2-hour clock: met late, which counts as a breach.
    assert (row.contact_met, row.contact_breached, row.contact_decided, row.contact_ontime) == (0, 1, 1, 0)
