"""A long range's sums read from the monthly fold plus or minus its edge days equal the sums of
its day rows, for every trend period the fold serves, breakdown and filter (the fold is exact,
unlike the duration histograms that share its split of the range)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db.models import DateField, F, Sum
from django.db.models.functions import Trunc

from lastmeter.demo.history_writer import generate_history
from lastmeter.grids.models import Grid
from lastmeter.stats import measures, month_fold
from lastmeter.stats.models import (
    SUM_FIELDS,
    AppealDay,
    AppealDayArea,
    AppealMonthArea,
    AppealMonthOfficer,
    AppealWeekArea,
    TransferMonth,
)
from lastmeter.stats.time_bins import split_range

# Ranges over the history drawn below (2025-03 .. 2026-03): a part month at the head that is
# read as its month minus the days before (big part), one read as its own days (small part),
# both at once, and whole months only.
RANGES = [
    (date(2025, 4, 5), date(2026, 1, 28)),
    (date(2025, 4, 25), date(2026, 1, 3)),
    (date(2025, 6, 1), date(2025, 11, 30)),
    (date(2025, 3, 20), date(2026, 2, 10)),
]


@pytest.fixture
def history(world):
    with time_machine.travel("2026-03-01 20:00 +0800", tick=False):
        generate_history(1500, years=1, seed=21)
    assert AppealMonthArea.objects.count() > 0 and TransferMonth.objects.count() > 0
    assert AppealMonthOfficer.objects.exclude(assignee_id=None).exists()
    assert AppealWeekArea.objects.count() > 0


def day_path(sl, period, by, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(month_fold, "serves", lambda *_a: False)
        return measures.grouped_sums(sl, period, by)


@pytest.mark.parametrize("start,end", RANGES)
def test_it_sums_a_long_range_from_months_and_edge_days_exactly(history, start, end, monkeypatch):
    grids = list(Grid.objects.values_list("pk", flat=True))
    slices = [
        measures.Slice(start, end),
        measures.Slice(start, end, grid_ids=frozenset(grids[:1])),
    ]
    compared = 0
    for sl in slices:
        for period in (None, "month", "quarter", "year"):
            for by in (None, "grid", "category"):
                assert month_fold.serves(sl.start, sl.end, period)
                from_months = measures.grouped_sums(sl, period, by)
                from_days = day_path(sl, period, by, monkeypatch)
                assert from_months == from_days, (sl, period, by)
                compared += sum(s["received"] for s in from_days.values())
    assert compared > 0


@pytest.mark.parametrize("start,end", RANGES)
def test_it_sums_a_long_range_by_officer_from_the_officer_fold_exactly(history, start, end, monkeypatch):
    grids = list(Grid.objects.values_list("pk", flat=True))
    officer = AppealMonthOfficer.objects.exclude(assignee_id=None).values_list("assignee_id", flat=True)[0]
    slices = [
        measures.Slice(start, end),
        measures.Slice(start, end, grid_ids=frozenset(grids[:1])),
        measures.Slice(start, end, officer_id=officer),
    ]
    compared = 0
    for sl in slices:
        for period in (None, "month", "quarter"):
            for by in ("officer", None, "grid"):
                if by != "officer" and sl.officer_id is None:
                    continue  # read from the fold by area (the test above)
                assert measures.by_officer(sl, by) and not measures.by_area(sl, by)
                from_months = measures.grouped_sums(sl, period, by)
                from_days = day_path(sl, period, by, monkeypatch)
                assert from_months == from_days, (sl, period, by)
                compared += sum(s["received"] for s in from_days.values())
    assert compared > 0


@pytest.mark.parametrize(
    "start,end",
    [
        *RANGES,
        (date(2025, 4, 7), date(2025, 6, 29)),  # whole weeks only: Monday to Sunday
        (date(2025, 4, 6), date(2025, 4, 21)),  # a Sunday, a whole week, then a Monday
    ],
)
def test_it_sums_a_weekly_trend_from_whole_weeks_and_edge_days_exactly(history, start, end, monkeypatch):
    grids = list(Grid.objects.values_list("pk", flat=True))
    slices = [
        measures.Slice(start, end),
        measures.Slice(start, end, grid_ids=frozenset(grids[:1])),
        measures.Slice(start, end, community_id=Grid.objects.get(pk=grids[0]).community_id),
    ]
    compared = 0
    for sl in slices:
        for by in (None, "grid", "category"):
            assert month_fold.week_serves(sl.start, sl.end, "week")
            from_weeks = measures.grouped_sums(sl, "week", by)
            with monkeypatch.context() as m:
                m.setattr(month_fold, "week_serves", lambda *_a: False)
                from_days = measures.grouped_sums(sl, "week", by)
            assert from_weeks == from_days, (sl, by)
            assert [p for p, _k in from_weeks] == sorted(p for p, _k in from_weeks)  # periods in order
            compared += sum(s["received"] for s in from_days.values())
    assert compared > 0
    assert not month_fold.week_serves(date(2025, 4, 9), date(2025, 4, 24), "week")  # one whole week


@pytest.mark.parametrize("start,end", RANGES)
def test_it_counts_a_long_range_of_transfers_from_months_and_edge_days_exactly(
    history, start, end, monkeypatch
):
    departments = frozenset(TransferMonth.objects.values_list("department_id", flat=True)[:1])
    slices = [measures.Slice(start, end), measures.Slice(start, end, department_ids=departments)]
    compared = 0
    for sl in slices:
        for by in ("department", "category", None):
            from_months = measures.transfer_table(sl, by)
            with monkeypatch.context() as m:
                m.setattr(month_fold, "serves", lambda *_a: False)
                from_spans = measures.transfer_table(sl, by)
            assert from_months == from_spans, (sl, by)
            compared += sum(row["transfers"] for row in from_spans)
    assert compared > 0


def orm_sums(sl, period, by):
    """The grouped sums as the ORM aggregates them over the day rows: the reference that the
    plain SQL of ``stats.rollup_sql`` (day rows and folds alike) must equal."""
    model = AppealDayArea if measures.by_area(sl, by) else AppealDay
    qs = model.objects.filter(
        day__gte=sl.start, day__lte=sl.end, **measures.slice_lookups(sl, "community_id")
    )
    keys = []
    if period:
        qs = qs.annotate(p=F("day") if period == "day" else Trunc("day", period, output_field=DateField()))
        keys.append("p")
    if by:
        qs = qs.annotate(k=F(measures.DIMENSIONS[by]))
        keys.append("k")
    sums = {f"s_{n}": Sum(n) for n in SUM_FIELDS}
    if not keys:
        total = qs.aggregate(**sums)
        return {(None, None): {n: total[f"s_{n}"] for n in SUM_FIELDS}} if total["s_received"] else {}
    return {
        (r.get("p"), r.get("k")): {n: r[f"s_{n}"] for n in SUM_FIELDS}
        for r in qs.values(*keys).annotate(**sums)
    }


@pytest.mark.parametrize("start,end", [RANGES[0], RANGES[3], (date(2025, 5, 3), date(2025, 5, 20))])
def test_its_plain_sql_sums_equal_the_orms_aggregation(history, start, end):
    grid = Grid.objects.order_by("pk").first()
    officer = AppealMonthOfficer.objects.exclude(assignee_id=None).values_list("assignee_id", flat=True)[0]
    slices = [
        measures.Slice(start, end),
        measures.Slice(start, end, grid_ids=frozenset({grid.pk})),
        measures.Slice(start, end, community_id=grid.community_id),
        measures.Slice(start, end, officer_id=officer),
        measures.Slice(start, end, channel="hotline"),
        measures.Slice(start, end, grid_ids=frozenset()),  # no grid at all: nothing
    ]
    compared = 0
    for sl in slices:
        for period in (None, "day", "week", "month", "quarter"):
            for by in (None, "grid", "category", "officer", "channel"):
                if period == "day" and sl.days > 62:
                    continue
                expected = orm_sums(sl, period, by)
                assert measures.grouped_sums(sl, period, by) == expected, (sl, period, by)
                compared += sum(s["received"] for s in expected.values())
    assert compared > 0


def test_it_reads_the_jurisdictions_times_of_several_ranges_together_as_one_by_one(history):
    slices = [measures.Slice(start, end) for start, end in RANGES]
    slices.append(slices[0])  # the same days twice
    together = measures.appeal_times_of(slices)
    assert together == [measures.appeal_times(sl, None) for sl in slices]
    assert all(rows and rows[0]["land_n"] > 0 for rows in together)
    grid = Grid.objects.order_by("pk").first()
    areas = [measures.Slice(RANGES[0][0], RANGES[0][1], grid_ids=frozenset({grid.pk})), slices[1]]
    assert measures.appeal_times_of(areas) == [measures.appeal_times(sl, None) for sl in areas]


def test_it_covers_edges_added_and_taken_away():
    signs = {sign for start, end in RANGES for *_days, sign in split_range(start, end)[1]}
    assert signs == {1, -1}


def test_it_leaves_short_ranges_and_weekly_trends_to_the_day_rows():
    assert not month_fold.serves(date(2025, 4, 5), date(2025, 4, 28), None)  # no whole month
    assert not month_fold.serves(date(2025, 4, 5), date(2026, 1, 28), "week")
    assert not month_fold.serves(date(2025, 4, 5), date(2026, 1, 28), "day")
