"""The log-binned duration histograms: bins, percentiles within 1 % of the exact ones, and the
long-range figures that read them agreeing with the exact computation."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest
import time_machine

from lastmeter.demo.history_writer import generate_history
from lastmeter.stats import measures, time_bins
from lastmeter.stats.algorithms.histogram import EDGES, bin_of, count_bins, percentile, representative
from lastmeter.stats.measures import Slice
from lastmeter.stats.time_bins import month_end, split_range, use_bins


def test_it_puts_each_duration_in_the_bin_between_its_edges():
    assert bin_of(0) == 0 and bin_of(-1) == 0 and bin_of(0.5 / 60) == 0  # under a minute
    assert bin_of(EDGES[0]) == 1  # a bin holds its lower edge
    for b in (1, 50, 300, len(EDGES) - 1):
        assert EDGES[b - 1] <= representative(b) < EDGES[b]
        assert bin_of(representative(b)) == b
    assert bin_of(10**6) == len(EDGES)  # longer than two years: the open last bin


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_reads_percentiles_within_one_percent_of_the_exact_ones(seed):
    rng = random.Random(seed)
    values = [rng.lognormvariate(0.5, 1.4) for _ in range(rng.randint(500, 20000))]
    counts = count_bins(values)
    for q in (0.1, 0.5, 0.9, 0.99):
        exact = float(np.percentile(values, q * 100))  # linear interpolation, as percentile_cont
        assert abs(percentile(counts, q) - exact) <= 0.01 * exact


def test_it_answers_small_and_empty_histograms():
    assert percentile({}, 0.5) is None
    assert percentile({bin_of(2.0): 1}, 0.9) == pytest.approx(2.0, rel=0.01)
    # Two values: the median lies halfway between them, as percentile_cont says.
    assert percentile(count_bins([1.0, 3.0]), 0.5) == pytest.approx(2.0, rel=0.01)
    assert percentile(count_bins([0.0, 0.0, 0.0]), 0.5) == 0.5 / 60  # under a minute: half a minute


def test_it_splits_a_range_into_months_and_edge_days_that_add_up_to_it():
    # 15–31 January is more than half of January: the month less 1–14 January; 1–10 April is
    # less than half of April: its own days.
    months, edges = split_range(date(2024, 1, 15), date(2024, 4, 10))
    assert months == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert edges == [(date(2024, 1, 1), date(2024, 1, 14), -1), (date(2024, 4, 1), date(2024, 4, 10), 1)]
    assert split_range(date(2024, 3, 1), date(2024, 3, 31)) == ([date(2024, 3, 1)], [])
    assert split_range(date(2024, 3, 2), date(2024, 3, 30)) == (
        [],
        [(date(2024, 3, 2), date(2024, 3, 30), 1)],
    )
    assert not use_bins(date(2024, 3, 1), date(2024, 3, 31))  # one month: exact
    assert not use_bins(date(2024, 1, 10), date(2024, 3, 5))  # one whole month (February)
    assert use_bins(date(2023, 12, 20), date(2024, 2, 29))  # January and February whole
    # Every day of many ranges is counted exactly once.
    rng = random.Random(5)
    for _ in range(300):
        start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
        end = start + timedelta(days=rng.randint(0, 500))
        months, edges = split_range(start, end)
        weight: dict[date, int] = {}
        for m in months:
            for d in range((month_end(m) - m).days + 1):
                day = m + timedelta(days=d)
                weight[day] = weight.get(day, 0) + 1
        for first, last, sign in edges:
            for d in range((last - first).days + 1):
                day = first + timedelta(days=d)
                weight[day] = weight.get(day, 0) + sign
        inside = {start + timedelta(days=d) for d in range((end - start).days + 1)}
        assert {d for d, w in weight.items() if w} == inside and set(weight.values()) <= {0, 1}


@pytest.mark.django_db
def test_it_gives_long_ranges_the_exact_figures_within_one_percent(world, monkeypatch):
    with time_machine.travel("2026-03-01 20:00 +0800", tick=False):
        generate_history(1500, years=0.5, seed=7)  # written, then the rollup rebuilt
    sl = Slice(start=date(2025, 9, 10), end=date(2026, 2, 20))
    assert use_bins(sl.start, sl.end)
    binned = measures.appeal_times(sl, None)[0]
    grids = {r["key"]: r for r in measures.appeal_times(sl, "grid")}
    officers = measures.appeal_times(sl, "officer")
    transfers = measures.transfer_table(sl, by=None)
    monkeypatch.setattr(time_bins, "MIN_WHOLE_MONTHS", 99)  # the exact path on the same slice
    exact = measures.appeal_times(sl, None)[0]
    exact_grids = {r["key"]: r for r in measures.appeal_times(sl, "grid")}
    exact_officers = measures.appeal_times(sl, "officer")
    exact_transfers = measures.transfer_table(sl, by=None)

    def close(a, b):
        return (a is None and b is None) or abs(a - b) <= max(0.01 * b, 1e-3)

    assert binned["contact_n"] == exact["contact_n"] > 100
    for k in ("contact_p50_h", "contact_p90_h", "land_p50_h", "land_p90_h", "resolve_p50_h", "resolve_p90_h"):
        assert close(binned[k], exact[k]), (k, binned[k], exact[k])
        for key, row in exact_grids.items():
            assert close(grids[key][k], row[k]), (key, k)
    assert [r["key"] for r in officers] == [r["key"] for r in exact_officers]
    assert len(transfers) == len(exact_transfers) == 1 and transfers[0]["transfers"] > 0
    for k in ("acceptance_p50_h", "acceptance_p90_h", "outcome_p50_h", "outcome_p90_h"):
        assert close(transfers[0][k], exact_transfers[0][k]), k
