"""Each measure against the hand-computed month of ``fixture.build_month`` (docs/MEASURES.md)."""

from __future__ import annotations

from datetime import date

import pytest

from lastmeter.stats import measures
from lastmeter.stats.measures import Slice
from lastmeter.stats.rollups import rebuild
from lastmeter.stats.tests.fixture import build_month

MARCH = Slice(start=date(2024, 3, 1), end=date(2024, 3, 31))


@pytest.fixture
def month(world):
    m = build_month(world)
    rebuild()
    return m


def test_it_counts_and_rates_the_appeals_of_march(world, month):
    t = measures.appeals_table(MARCH, None, None).totals
    assert t["received"] == 6  # A1–A6; A7 is in February
    # Contact: A1 met, A2 met late (breached), A4 cancelled then met, A6 met; A3 cancelled and
    # A5 paused are undecided and left out.
    assert (t["contacted_on_time"], t["contact_decided"], t["contact_on_time_rate"]) == (3, 4, 0.75)
    # Landing: A1, A2, A5 met; A4, A6 breached; A3 cancelled.
    assert (t["landed_on_time"], t["land_decided"], t["landed_within_24h_rate"]) == (3, 5, 0.6)
    assert t["on_time_rate"] == {
        "contact": 0.75,
        "land": 0.6,
        "transfer_accept": 1.0,
        "transfer_outcome": 1.0,
        "complaint_reply": None,  # no such clock: undefined, not 0
    }
    assert t["breaches"] == 3 and t["escalations"] == 1
    assert t["resolved"] == 3  # A1, A2 (twice, counted once), A4
    assert t["reopened"] == 1 and t["reopen_rate"] == round(1 / 3, 4)
    assert t["merged"] == 1
    assert (t["transferred"], t["transfers"], t["transfers_returned"], t["returned_rate"]) == (1, 2, 1, 0.5)


def test_it_measures_satisfaction_per_resolution(world, month):
    t = measures.satisfaction_table(MARCH, None, None).totals
    # Ratings 5, 3, 4 over 4 resolutions (A1, A2 twice, A4); one contest.
    assert t == {
        "resolutions": 4,
        "ratings": 3,
        "mean_score": 4.0,
        "share_4_or_5": round(2 / 3, 4),
        "response_rate": 0.75,
        "contests": 1,
    }


def test_it_counts_an_appeal_on_its_local_day(world, month):
    series = measures.appeals_table(Slice(start=date(2024, 3, 4), end=date(2024, 3, 5)), "day", None).series
    # A2 arrived at 00:30 on 5 March in Shanghai (16:30 on 4 March UTC): it is a 5 March appeal.
    assert {row["period"]: row["measures"]["received"] for row in series} == {
        date(2024, 3, 4): 1,
        date(2024, 3, 5): 4,
    }


def test_it_slices_by_grid_and_channel_and_period(world, month):
    by_grid = measures.appeals_table(MARCH, "month", "grid").series
    assert {(r["period"], r["label"]): r["measures"]["received"] for r in by_grid} == {
        (date(2024, 3, 1), "A网格"): 5,
        (date(2024, 3, 1), "B网格"): 1,
    }
    by_channel = measures.appeals_table(MARCH, None, "channel").series
    assert {r["key"]: r["measures"]["received"] for r in by_channel} == {"web": 5, "hotline": 1}
    weekly = measures.appeals_table(MARCH, "week", None).series
    # Weeks start on Monday: 4 March (A1–A5) and 18 March (A6).
    assert {r["period"]: r["measures"]["received"] for r in weekly} == {
        date(2024, 3, 4): 5,
        date(2024, 3, 18): 1,
    }


def test_it_computes_median_and_p90_times_from_receipt(world, month):
    (row,) = measures.appeal_times(MARCH, None)
    # Contact: 1, 1.5, 2 (A5 landed: contact), 3, 8 h → median 2, p90 3 + 0.6 × 5 = 6.
    assert (row["contact_n"], row["contact_p50_h"], row["contact_p90_h"]) == (5, 2.0, 6.0)
    # Landing: 2, 3, 5, 30 h → median 4, p90 5 + 0.7 × 25 = 22.5.
    assert (row["land_n"], row["land_p50_h"], row["land_p90_h"]) == (4, 4.0, 22.5)
    # Resolution (the first one): 10, 24, 29 h → median 24, p90 24 + 0.8 × 5 = 28.
    assert (row["resolve_n"], row["resolve_p50_h"], row["resolve_p90_h"]) == (3, 24.0, 28.0)


def test_it_measures_departments_by_their_transfers(world, month):
    (row,) = measures.transfer_table(MARCH)
    assert row["label"] == "城管执法局"
    assert (row["transfers"], row["returned"], row["returned_rate"]) == (2, 1, 0.5)
    # Only the accepted transfer counts for acceptance (4 h) and outcome (24 h).
    assert (row["acceptance_p50_h"], row["outcome_p50_h"]) == (4.0, 24.0)
    assert (row["accept_on_time_rate"], row["outcome_on_time_rate"]) == (1.0, 1.0)


def test_it_compares_with_the_previous_period_and_a_year_earlier(world, month):
    earlier = MARCH.shifted("mom")
    assert (earlier.start, earlier.end) == (date(2024, 1, 30), date(2024, 2, 29))
    before = measures.appeals_table(earlier, None, None).totals
    now = measures.appeals_table(MARCH, None, None).totals
    assert before["received"] == 1
    assert measures.change(now, before)["received"] == 5.0
    leap = Slice(start=date(2024, 2, 29), end=date(2024, 2, 29)).shifted("yoy")
    assert (leap.start, leap.end) == (date(2023, 2, 28), date(2023, 2, 28))


def test_it_counts_by_hour_and_weekday_in_local_time(world, month):
    cells = measures.hour_weekday(MARCH)
    assert {"weekday": 2, "hour": 0, "received": 1} in cells  # A2: Tuesday 00:30 local
    assert sum(c["received"] for c in cells) == 6


def test_it_limits_figures_to_the_viewers_grids(world, month):
    own = Slice(start=MARCH.start, end=MARCH.end, grid_ids=frozenset({world.grid_a.pk}))
    assert measures.appeals_table(own, None, None).totals["received"] == 5
    assert measures.appeal_times(own, None)[0]["contact_n"] == 4


def test_it_answers_none_for_rates_of_nothing():
    assert measures.ratio(0, 0) is None
    assert measures.percentile([], 0.5) is None
    assert measures.percentile([7.0], 0.9) == 7.0
