"""Which hours of the day a post needs staff, and which staffed hours nobody covers. Plain data
in and out, no Django."""

from __future__ import annotations


def busy_windows(counts: list[float], *, share: float = 0.5, minimum: float = 2.0) -> list[tuple[int, int]]:
    """Runs of hours (start, end exclusive) whose count is at least ``share`` of the busiest
    hour's and at least ``minimum``: the hours a post is worth staffing. ``counts`` has 24 items."""
    if len(counts) != 24:
        raise ValueError("counts must have 24 hourly values")
    peak = max(counts)
    if peak <= 0:
        return []
    threshold = max(minimum, share * peak)
    windows: list[tuple[int, int]] = []
    start: int | None = None
    for hour, value in enumerate([*counts, 0.0]):
        busy = hour < 24 and value >= threshold
        if busy and start is None:
            start = hour
        elif not busy and start is not None:
            windows.append((start, hour))
            start = None
    return windows


def uncovered_hours(staffed: tuple[int, int], covered: list[tuple[float, float]]) -> list[int]:
    """The hours of the staffed window ``(start, end)`` not wholly inside one of the ``covered``
    spans (hours of the same day, floats; a shift may end mid-hour). Spans that touch or overlap
    count together: 08:00–08:30 and 08:30–09:00 cover 8 o'clock."""
    merged: list[list[float]] = []
    for lo, hi in sorted(covered):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [
        hour
        for hour in range(staffed[0], staffed[1])
        if not any(lo <= hour and hour + 1 <= hi for lo, hi in merged)
    ]
