"""Durations kept as log-binned histograms, and percentiles read from them.

Why: a median cannot be summed, so the exact median of a year of a jurisdiction's appeals needs
every appeal's duration sorted — some 340,000 values per figure on a million appeals, about a
second per dashboard on PostgreSQL. The rollup keeps, per month, how many durations fell in each
bin of a fixed logarithmic scale; a year's percentile then sums a few thousand counters. The
scale is fine enough that the answer is within 1 % of the exact one (or 30 seconds below one
minute); docs/MEASURES.md states when the figures read it.

Pure: no Django. The bin edges are one shared list of floats so that PostgreSQL's
``width_bucket(value, edges)`` and Python's ``bisect_right(edges, value)`` put every value in the
same bin (the rollup is written by the one and checked by the other).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping

# Bin 0 holds [0, 1 minute); bin k ≥ 1 holds [EDGES[k-1], EDGES[k]); the last bin is open-ended.
FIRST_EDGE_H = 1 / 60
RATIO = 1.02  # each bin 2 % wider than the last: the midpoint is within 1 % of any value in it
LAST_EDGE_H = 24 * 366 * 2  # two years: anything longer shares the last bin
EDGES: tuple[float, ...] = tuple(
    FIRST_EDGE_H * RATIO**k for k in range(int(math.log(LAST_EDGE_H / FIRST_EDGE_H, RATIO)) + 1)
)


def bin_of(hours: float) -> int:
    """The bin of a duration in hours (negative durations count as 0)."""
    return bisect_right(EDGES, hours)


def representative(b: int) -> float:
    """The value (hours) a bin stands for: the geometric middle of its edges (half a minute for
    bin 0, the last edge for the open last bin)."""
    if b <= 0:
        return FIRST_EDGE_H / 2
    if b >= len(EDGES):
        return EDGES[-1]
    return math.sqrt(EDGES[b - 1] * EDGES[b])


def count_bins(values: Iterable[float | None]) -> dict[int, int]:
    """{bin: count} of the values that are not None."""
    out: dict[int, int] = {}
    for v in values:
        if v is not None:
            b = bin_of(v)
            out[b] = out.get(b, 0) + 1
    return out


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0–1) of the durations counted in ``counts``, with the interpolation of
    PostgreSQL's ``percentile_cont`` (between the values at ranks ⌊q·(n−1)⌋ and ⌈q·(n−1)⌉),
    each value read as its bin's representative. None for no values."""
    return percentiles(counts, (q,))[0]


def percentiles(counts: Mapping[int, int], qs: tuple[float, ...]) -> tuple[float | None, ...]:
    """``percentile`` of each q in ``qs``, the bins summed and sorted once (a dashboard asks
    for the median and p90 of some hundred histograms)."""
    bins = sorted((b, n) for b, n in counts.items() if n > 0)
    total = sum(n for _b, n in bins)
    if total == 0:
        return tuple(None for _q in qs)
    out = []
    for q in qs:
        position = q * (total - 1)
        low_rank, high_rank = math.floor(position), math.ceil(position)
        low = high = None
        seen = 0
        for b, n in bins:
            seen += n
            if low is None and seen > low_rank:
                low = representative(b)
            if seen > high_rank:
                high = representative(b)
                break
        assert low is not None and high is not None  # ranks are below total
        out.append(low + (high - low) * (position - low_rank))
    return tuple(out)


def merge(into: dict[int, int], counts: Mapping[int, int]) -> dict[int, int]:
    for b, n in counts.items():
        into[b] = into.get(b, 0) + n
    return into


__all__ = ["EDGES", "bin_of", "count_bins", "merge", "percentile", "percentiles", "representative"]
