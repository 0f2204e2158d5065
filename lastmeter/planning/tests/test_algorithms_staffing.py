"""Workload shares and Hamilton staffing: hand-checked cases and the quota rule on random inputs."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.planning.algorithms import apportion, combine_workload, staff_grids


def test_it_combines_factor_shares_with_normalised_weights():
    w = combine_workload(
        {"drivers": [1, 3], "accidents": [2, 2]},
        {"drivers": 1.0, "accidents": 1.0},
    )
    # drivers shares (0.25, 0.75), accident shares (0.5, 0.5), equal weights -> mean
    assert w == pytest.approx([0.375, 0.625])
    assert w.sum() == pytest.approx(1.0)


def test_it_is_scale_free_per_factor():
    a = combine_workload({"mileage": [100.0, 300.0], "drivers": [1, 1]})
    b = combine_workload({"mileage": [0.1, 0.3], "drivers": [1000, 1000]})
    assert a == pytest.approx(b)


def test_it_spreads_the_weight_of_an_all_zero_factor():
    w = combine_workload({"accidents": [0, 0, 0], "mileage": [1, 1, 2]}, {"accidents": 0.9, "mileage": 0.1})
    assert w == pytest.approx([0.25, 0.25, 0.5])


def test_it_refuses_police_strength_as_a_demand_factor():
    with pytest.raises(ValueError, match="capacity"):
        combine_workload({"accidents": [1, 2], "police_strength": [3, 1]})


def test_it_refuses_negative_factors_and_missing_weights():
    with pytest.raises(ValueError):
        combine_workload({"accidents": [1, -2]})
    with pytest.raises(ValueError, match="no weight"):
        combine_workload({"accidents": [1, 2], "noise": [1, 1]}, {"accidents": 1.0})


def test_it_apportions_a_hand_checked_case():
    # quotas 10 * (0.45, 0.35, 0.2) = 4.5, 3.5, 2.0 -> floors 4, 3, 2 (9); one left, remainders tie at 0.5,
    # the larger workload wins.
    assert apportion(np.array([45, 35, 20]), 10).tolist() == [5, 3, 2]


def test_it_gives_one_officer_per_grid_plus_auxiliaries():
    s = staff_grids(np.array([3.0, 1.0]), 8)
    assert s.officers.tolist() == [1, 1]
    assert s.auxiliaries.tolist() == [6, 2]
    assert s.total.tolist() == [7, 3]


def _hamilton_exact(weights: list[int], seats: int) -> list[int]:
    """Reference: the same method in exact rational arithmetic."""
    total = sum(weights)
    quotas = [Fraction(seats * w, total) for w in weights]
    base = [math.floor(q) for q in quotas]
    left = seats - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - base[i]), -weights[i], i))
    for i in order[:left]:
        base[i] += 1
    return base


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
    st.integers(min_value=0, max_value=500),
)
def test_it_keeps_every_grid_within_one_of_its_fair_share(weights, seats):
    got = apportion(np.array(weights, dtype=float), seats)
    assert int(got.sum()) == seats
    total = sum(weights)
    for a, w in zip(got.tolist(), weights, strict=True):
        quota = Fraction(seats * w, total)
        assert math.floor(quota) <= a <= math.floor(quota) + 1
        assert abs(a - quota) < 1
    assert got.tolist() == _hamilton_exact(weights, seats)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=40
    ).filter(lambda w: sum(w) > 0),
    st.integers(min_value=0, max_value=2000),
)
def test_it_keeps_the_quota_rule_for_real_workloads(weights, seats):
    w = np.array(weights)
    got = apportion(w, seats)
    quota = seats * w / w.sum()
    assert int(got.sum()) == seats
    assert np.all(np.abs(got - quota) < 1 + 1e-9)
