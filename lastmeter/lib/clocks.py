"""Deadline arithmetic: calendar hours/days and working days on China's official calendar.

Working days come from the `holidays` package (China: public holidays plus the adjusted
weekend working days, 调休), not from a hand-written list. A deadline of N working days ends at
local midnight after the N-th working day counted from the day after the start, which is how
"within N working days of receipt" is read in Chinese administrative practice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

HOURS = "hours"
CALENDAR_DAYS = "calendar_days"
WORKING_DAYS = "working_days"


@lru_cache(maxsize=8)
def _china_calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=[year - 1, year, year + 1])


def is_working_day(day: date) -> bool:
    return bool(_china_calendar(day.year).is_working_day(day))


def add_working_days(start: datetime, n: int, tz: ZoneInfo) -> datetime:
    """End (local midnight) of the n-th working day after the local date of `start`."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if n < 1:
        raise ValueError("a working-day deadline needs at least one day")
    day = start.astimezone(tz).date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def compute_due(start: datetime, amount: int, unit: str, tz: ZoneInfo) -> datetime:
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if unit == HOURS:
        return start + timedelta(hours=amount)
    if unit == CALENDAR_DAYS:
        return start + timedelta(days=amount)
    if unit == WORKING_DAYS:
        return add_working_days(start, amount, tz)
    raise ValueError(f"unknown clock unit {unit!r}")


def warn_time(start: datetime, due: datetime, fraction: float) -> datetime:
    """The moment `fraction` of the span start..due has elapsed."""
    if not 0.0 < fraction < 1.0:
        raise ValueError("warning fraction must be between 0 and 1")
    return start + (due - start) * fraction
