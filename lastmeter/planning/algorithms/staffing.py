"""Staffing grids: one responsible officer per grid plus N auxiliaries apportioned by workload.

Auxiliaries are apportioned with the largest-remainder (Hamilton) method: grid ``g``'s fair share (quota)
is ``q_g = N * W_g / sum(W)``; every grid first gets ``floor(q_g)``, and the auxiliaries left over go one
each to the grids with the largest fractional remainders. Hence every grid gets ``floor(q_g)`` or
``floor(q_g) + 1`` — always within 1 of its fair share — and the total is exactly N. (Divisor methods such
as D'Hondt can break this "quota rule"; Hamilton cannot.) Ties in remainders go to the larger workload,
then to the lower grid index, so the result is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Staffing:
    """Per-grid staffing. ``quota`` is the fair share of auxiliaries (a real number)."""

    officers: np.ndarray  # (k,) int, always 1
    auxiliaries: np.ndarray  # (k,) int, sums to N
    quota: np.ndarray  # (k,) float

    @property
    def total(self) -> np.ndarray:
        return self.officers + self.auxiliaries


def apportion(weights: np.ndarray, seats: int) -> np.ndarray:
    """Largest-remainder apportionment of ``seats`` to ``weights``.

    Preconditions: ``weights`` finite, ``>= 0``, positive sum; ``seats >= 0``. Returns an int64 array that
    sums to ``seats`` with ``floor(q) <= a <= floor(q) + 1`` for ``q = seats * w / sum(w)``.
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if seats < 0:
        raise ValueError("seats must be >= 0")
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be finite, >= 0, with a positive sum")
    quota = seats * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    left = seats - int(base.sum())
    # Rounding in `quota` can push sum(floor) to seats+-1 only in degenerate float cases; clamp keeps the
    # invariant sum == seats while the remainder order still decides who gets the extra seats.
    # Rounded so that remainders equal in exact arithmetic tie (then the larger workload wins), instead of
    # being ordered by float noise.
    remainder = np.round(quota - base, 9)
    order = np.lexsort((np.arange(w.size), -w, -remainder))
    if left > 0:
        base[order[:left]] += 1
    elif left < 0:
        take = [i for i in order[::-1] if base[i] > 0][:-left]
        base[take] -= 1
    return base


def staff_grids(grid_workload: np.ndarray, auxiliaries: int) -> Staffing:
    """One responsible officer per grid plus ``auxiliaries`` apportioned by grid workload (Hamilton)."""
    w = np.asarray(grid_workload, dtype=np.float64).reshape(-1)
    aux = apportion(w, auxiliaries)
    return Staffing(
        officers=np.ones(w.size, dtype=np.int64),
        auxiliaries=aux,
        quota=auxiliaries * w / w.sum(),
    )
