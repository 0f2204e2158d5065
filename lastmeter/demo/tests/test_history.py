"""The history generator (`lastmeter demo --history N`): its rhythm, the consistency of what it
writes with the services' rules, the rollup and the measures on it, and its determinism."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from lastmeter.appeals.choices import APPEAL_TRANSITIONS, OPEN_STATES, AppealState, ClockState
from lastmeter.appeals.models import Appeal, AppealEvent, Clock, LandingProof, Rating, Transfer
from lastmeter.demo.history import draw_received
from lastmeter.demo.history_tables import plan_history
from lastmeter.demo.history_writer import generate_history, read_jurisdiction
from lastmeter.management.commands.demo import DEFAULT_HISTORY, DEFAULT_YEARS, history_to_draw
from lastmeter.stats import measures, time_bins
from lastmeter.stats.raw import raw_hours, raw_sums, raw_times, raw_transfers
from lastmeter.stats.tests.test_rollups import assert_rollups_equal_recomputation

SH = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 3, 1, 12, 0, tzinfo=SH)


@pytest.fixture
def history(world):
    """1,500 appeals over the year before 1 March 2026 on the test world's two grids."""
    timings = generate_history(1500, years=1, seed=7, end=END)
    assert set(timings) == {"read", "draw", "write", "rollup"}
    return world


def test_it_draws_the_daily_weekly_and_seasonal_rhythm():
    rng = np.random.default_rng(1)
    t = draw_received(rng, 200_000, date(2023, 1, 1), 3 * 365, SH)
    local = [datetime.fromtimestamp(x, SH) for x in t[::4]]
    hours = Counter(d.hour for d in local)
    weekdays = Counter(d.weekday() for d in local)
    months = Counter(d.month for d in local)
    assert hours[9] > 8 * hours[3]  # the morning peak against the small hours
    assert hours[18] > 5 * hours[4]  # the evening peak too
    assert weekdays[0] > weekdays[6] * 1.15  # Monday busier than Sunday
    assert months[7] > months[2] * 1.5  # summer against the Spring Festival month
    assert np.all(np.diff(t) >= 0) and t.min() >= datetime(2023, 1, 1, tzinfo=SH).timestamp()


@pytest.mark.django_db
def test_it_is_deterministic(world):
    j = read_jurisdiction()
    first = plan_history(j, 800, first_day=date(2025, 3, 1), days=365, end=END.timestamp(), seed=3)
    again = plan_history(j, 800, first_day=date(2025, 3, 1), days=365, end=END.timestamp(), seed=3)
    other = plan_history(j, 800, first_day=date(2025, 3, 1), days=365, end=END.timestamp(), seed=4)
    for table in ("appeals", "clocks", "transfers", "events", "ratings", "landings"):
        a, b = getattr(first, table), getattr(again, table)
        assert a.keys() == b.keys()
        for column in a:
            assert np.array_equal(a[column], b[column], equal_nan=a[column].dtype.kind == "f"), (
                table,
                column,
            )
    assert not np.array_equal(first.appeals["created_at"], other.appeals["created_at"])


def test_it_follows_the_transition_table_on_every_appeal(history):
    appeals = {a.pk: a for a in Appeal.objects.all()}
    assert len(appeals) == 1500
    moves: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for appeal_id, from_state, to_state in (
        AppealEvent.objects.filter(kind="state")
        .order_by("at", "id")
        .values_list("appeal_id", "from_state", "to_state")
    ):
        moves[appeal_id].append((from_state, to_state))
    for pk, appeal in appeals.items():
        state = AppealState.RECEIVED
        for from_state, to_state in moves[pk]:
            assert from_state == state and to_state in APPEAL_TRANSITIONS[state], (pk, moves[pk])
            state = to_state
        assert state == appeal.state
    states = Counter(a.state for a in appeals.values())
    # Every kind of story is there: merged duplicates, transfers, returns, ratings, contests.
    assert states["closed"] and states["resolved"] and states["merged"]
    assert (
        Transfer.objects.filter(state="returned").exists()
        and Transfer.objects.filter(state="completed").exists()
    )
    assert AppealEvent.objects.filter(kind="state", to_state="reopened").exists()
    assert AppealEvent.objects.filter(kind="escalated").exists()


def test_it_keeps_times_and_clocks_consistent(history):
    for a in Appeal.objects.all():
        if a.landed_at is not None:
            assert a.created_at <= a.contacted_at <= a.landed_at
        if a.state in (AppealState.RESOLVED, AppealState.CLOSED) and a.resolved_at:
            assert a.landed_at is None or a.landed_at <= a.resolved_at
        if a.state == AppealState.MERGED:
            assert a.merged_into is not None and a.merged_into.state != AppealState.MERGED
            assert a.merged_into.created_at <= a.created_at
    for c in Clock.objects.select_related("appeal"):
        assert c.started_at < c.due_at and c.appeal.created_at <= c.started_at
        if c.state == ClockState.MET:
            assert c.met_at <= c.due_at and c.breached_at is None
        elif c.state == ClockState.MET_LATE:
            assert c.breached_at == c.due_at <= c.met_at
        elif c.state == ClockState.BREACHED:
            assert c.breached_at == c.due_at <= END and c.met_at is None
            assert c.appeal.state in OPEN_STATES
        elif c.state == ClockState.RUNNING:
            assert c.due_at > END and c.appeal.state in OPEN_STATES
    assert (
        Clock.objects.filter(state="running").count() == Appeal.objects.exclude(next_deadline_at=None).count()
    )
    # One rating per resolution, scores 1–5, and a proof of presence for every landing.
    scored = Rating.objects.filter(contested=False)
    assert scored.count() == scored.values("appeal_id", "resolved_at").distinct().count()
    assert set(scored.values_list("score", flat=True)) <= {1, 2, 3, 4, 5}
    landings = AppealEvent.objects.filter(kind="state", to_state="landed").count()
    assert LandingProof.objects.count() == landings > 0


def _close(binned: dict, raw: dict) -> bool:
    """Counts equal; hours within 1 % (the histograms' promise) or the 3-decimal rounding."""
    if binned.keys() != raw.keys():
        return False
    for key, value in raw.items():
        mine = binned[key]
        if key.endswith("_h") and mine is not None and value is not None:
            if abs(mine - value) > max(0.01 * value, 2e-3):
                return False
        elif mine != value:
            return False
    return True


def test_it_leaves_a_rollup_equal_to_a_recomputation_and_to_the_raw_measures(history, monkeypatch):
    assert_rollups_equal_recomputation(history)
    year = measures.Slice(start=date(2025, 3, 1), end=date(2026, 2, 28))
    from_rollup = {p: s for (p, _k), s in measures.grouped_sums(year, "month", None).items()}
    assert from_rollup == raw_sums(year, "month")
    grid_a = measures.Slice(
        start=date(2025, 6, 1), end=date(2025, 11, 30), grid_ids=frozenset({history.grid_a.pk})
    )
    assert measures.grouped_sums(grid_a, None, None)[(None, None)] == raw_sums(grid_a)[None]

    # Receipts per weekday × hour, time percentiles and the transfer table, read from the
    # rollup's companion tables, equal the same figures computed from the raw rows. Both
    # slices span whole months, so the percentiles come from the monthly histograms (within
    # 1 %); with the histograms switched off the exact path must match to the digit.
    def keyed(rows: list[dict]) -> dict:
        out = {r.pop("key"): r for r in rows}
        for row in out.values():
            row.pop("label")
        return out

    for exact in (False, True):
        if exact:
            monkeypatch.setattr(time_bins, "MIN_WHOLE_MONTHS", 99)
        for sl in (year, grid_a):
            assert time_bins.use_bins(sl.start, sl.end) is not exact
            hours = {(c["weekday"], c["hour"]): c["received"] for c in measures.hour_weekday(sl)}
            assert hours == raw_hours(sl)
            for by in (None, "officer", "community"):
                times, raw = keyed(measures.appeal_times(sl, by)), raw_times(sl, by)
                assert times.keys() == raw.keys()
                for key, row in raw.items():
                    assert (times[key] == row) if exact else _close(times[key], row), (by, key)
            transfers, raw = keyed(measures.transfer_table(sl)), raw_transfers(sl)
            assert transfers.keys() == raw.keys()
            for key, row in raw.items():
                assert (transfers[key] == row) if exact else _close(transfers[key], row), key


def test_it_refuses_a_bad_history_request():
    with pytest.raises(CommandError):
        call_command("demo", history=10, years=0)


def test_it_gives_a_freshly_loaded_demo_a_past_and_an_older_one_none_unless_asked():
    assert history_to_draw(None, None, created=True) == (DEFAULT_HISTORY, DEFAULT_YEARS)
    assert history_to_draw(None, 1.5, created=True) == (DEFAULT_HISTORY, 1.5)
    assert history_to_draw(None, None, created=False) == (0, 0)  # loaded before: its past is there
    assert history_to_draw(0, None, created=True) == (0, 3)  # --history 0: none
    assert history_to_draw(500, None, created=False) == (500, 3)
