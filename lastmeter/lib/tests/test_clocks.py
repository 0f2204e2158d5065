"""Deadline arithmetic on China's calendar, including adjusted working days (调休)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastmeter.lib.clocks import add_working_days, compute_due, is_working_day, warn_time

SH = ZoneInfo("Asia/Shanghai")


def test_it_counts_calendar_hours():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
    assert compute_due(start, 24, "hours", SH) == datetime(2026, 3, 3, 9, 0, tzinfo=SH)


def test_it_skips_the_national_day_holiday():
    # 2026-09-30 (Wed) + 1 working day: 1–7 Oct is the National Day holiday, so the next
    # working day is 8 October; the deadline is the end of that day.
    start = datetime(2026, 9, 30, 15, 0, tzinfo=SH)
    assert add_working_days(start, 1, SH) == datetime(2026, 10, 9, 0, 0, tzinfo=SH)


def test_it_counts_an_adjusted_saturday_as_a_working_day():
    # Saturday 14 February 2026 is a working day swapped for the Spring Festival.
    assert is_working_day(date(2026, 2, 14))
    assert not is_working_day(date(2026, 2, 17))  # Spring Festival
    start = datetime(2026, 2, 13, 10, 0, tzinfo=SH)  # Friday
    assert add_working_days(start, 1, SH) == datetime(2026, 2, 15, 0, 0, tzinfo=SH)


def test_it_refuses_naive_datetimes_and_unknown_units():
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 1, 1), 1, "hours", SH)  # noqa: DTZ001
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 1, 1, tzinfo=SH), 1, "fortnights", SH)


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=700))
def test_it_always_lands_on_the_end_of_a_working_day(n, offset_days):
    start = datetime(2025, 1, 1, 12, 0, tzinfo=SH) + timedelta(days=offset_days)
    due = add_working_days(start, n, SH)
    last_day = (due - timedelta(seconds=1)).date()
    assert is_working_day(last_day)
    days = [start.date() + timedelta(days=i) for i in range(1, (last_day - start.date()).days + 1)]
    assert sum(is_working_day(d) for d in days) == n


def test_it_places_the_warning_at_the_fraction():
    start = datetime(2026, 3, 2, 0, 0, tzinfo=SH)
    assert warn_time(start, start + timedelta(hours=24), 0.75) == start + timedelta(hours=18)
