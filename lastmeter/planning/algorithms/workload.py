"""Combine a basic unit's workload factors into one workload figure.

Factors (one value per unit, all >= 0):
- ``drivers`` — registered drivers or resident population served by the unit,
- ``mileage`` — road length in the unit,
- ``accidents`` — accidents (or alarms/incidents) in a reference period,
- ``difficulty`` — order-maintenance difficulty (schools, markets, night venues, construction...), any
  non-negative index,
- and any further demand factor the station wants (keys are free; the four above are the usual ones).

Normalisation: each factor is divided by its jurisdiction total, so it becomes the unit's *share* of that
demand (shares of one factor sum to 1). Shares are scale-free (drivers in thousands and mileage in metres
weigh the same), keep the factor's skew (an accident hotspot stays a hotspot, unlike rank or min-max
scaling, which an outlier flattens) and never go negative (unlike z-scores). The workload is the weighted
sum of shares, with the weights normalised to sum to 1; so the workloads of all units sum to 1, and a grid's
workload is its share of the jurisdiction's total demand.

Police strength is deliberately NOT a workload factor: it is the *capacity* side. One responsible officer
per grid fixes the number of grids K (= officers available for grid duty), and the auxiliaries are
apportioned to grids in proportion to workload (``staffing.staff_grids``). Subtracting police strength from
demand would make a well-staffed area look idle and pull its officers away — the opposite of what a station
wants. Passing a ``police_strength`` factor is therefore refused with an explanation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

DEFAULT_WEIGHTS: dict[str, float] = {"drivers": 0.25, "mileage": 0.25, "accidents": 0.3, "difficulty": 0.2}

_CAPACITY_NAMES = {"police_strength", "police", "officers", "police_force"}


def combine_workload(
    factors: Mapping[str, np.ndarray], weights: Mapping[str, float] | None = None
) -> np.ndarray:
    """Weighted sum of the factors' shares; returns an ``(n,)`` array summing to 1.

    Preconditions: every factor has the same length ``n``, finite values ``>= 0``; ``weights`` (default
    ``DEFAULT_WEIGHTS`` restricted to the given factors) has a non-negative weight for every factor, with a
    positive total. A factor whose total is 0 (e.g. no accidents recorded yet) contributes nothing and its
    weight is spread over the others. Raises ``ValueError`` otherwise.
    """
    if not factors:
        raise ValueError("no workload factors given")
    bad = _CAPACITY_NAMES.intersection(factors)
    if bad:
        raise ValueError(
            f"{sorted(bad)} is capacity, not demand: use it to choose the number of grids and in staffing"
        )
    if weights is None:
        weights = {k: DEFAULT_WEIGHTS.get(k, 1.0) for k in factors}
    missing = set(factors) - set(weights)
    if missing:
        raise ValueError(f"no weight for factor(s) {sorted(missing)}")
    arrays = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in factors.items()}
    n = {a.shape[0] for a in arrays.values()}
    if len(n) != 1:
        raise ValueError("all factors must have the same length")
    total = np.zeros(n.pop())
    weight_used = 0.0
    for name, arr in arrays.items():
        w = float(weights[name])
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"weight of {name!r} must be finite and >= 0")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(f"factor {name!r} must be finite and >= 0")
        s = arr.sum()
        if s <= 0 or w == 0:
            continue
        total += w * (arr / s)
        weight_used += w
    if weight_used <= 0:
        raise ValueError("every factor with a positive weight is all zero: nothing to balance")
    return total / weight_used
