"""When a recurring broadcast fires next: times of day on every day or on working days.

Pure: the caller passes ``is_working_day`` (China's calendar from lib.clocks in production).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOOKAHEAD_DAYS = 60  # China's longest run of days off (Spring Festival) is 9; 60 is ample


def parse_times(values: Sequence[str]) -> list[time]:
    """HH:MM strings → sorted distinct times; ValueError naming the bad value."""
    out: set[time] = set()
    for raw in values:
        try:
            hh, mm = str(raw).strip().split(":")
            out.add(time(int(hh), int(mm)))
        except ValueError:
            raise ValueError(raw) from None
    return sorted(out)


def next_occurrence(
    after: datetime,
    times: Sequence[time],
    tz: ZoneInfo,
    *,
    working_days_only: bool,
    is_working_day: Callable[[date], bool],
    until: date | None = None,
) -> datetime | None:
    """The first firing strictly after ``after`` (aware), or None when the rule has none left."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    if not times:
        return None
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(LOOKAHEAD_DAYS):
        if until is not None and day > until:
            return None
        if not working_days_only or is_working_day(day):
            for t in times:
                candidate = datetime.combine(day, t, tzinfo=tz)
                if candidate > local:
                    return candidate
        day += timedelta(days=1)
    return None
