"""Grid partitioning: tiny hand-checked lattices, and the MILP against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.planning.algorithms import InfeasibleBalance, lattice_units, make_units, partition
from lastmeter.planning.algorithms import metrics as M


def test_it_splits_a_2x4_strip_into_two_squares():
    units = lattice_units(2, 4)
    r = partition(units, 2, tol=0.0, method="milp")
    assert r.status == "optimal" and r.gap == 0.0
    grids = r.assignment.reshape(2, 4)
    # each 2x2 square is one grid: cost 2 per square (three cells at distance^2 1, 1 and 2 from the centre)
    assert len(set(grids[:, :2].ravel())) == 1 and len(set(grids[:, 2:].ravel())) == 1
    assert r.cost == pytest.approx(8.0)
    assert r.grid_workload.tolist() == [4.0, 4.0] and r.max_deviation == 0.0
    assert r.contiguous


def test_it_reports_compactness_one_for_nothing_better_than_a_disc():
    units = lattice_units(10, 10)
    c = M.compactness(units, np.zeros(100, dtype=np.int64), 1)
    assert 0.9 < c[0] <= 1.0  # a square is nearly a disc
    strip = lattice_units(1, 20)
    assert M.compactness(strip, np.zeros(20, dtype=np.int64), 1)[0] < 0.3


def test_it_keeps_grids_contiguous_when_workload_sits_far_apart():
    # A 1x5 path whose two heavy ends could balance a disconnected {0, 4} grid: contiguity forbids it.
    units = lattice_units(1, 5, np.array([5.0, 1.0, 1.0, 1.0, 5.0]))
    r = partition(units, 2, tol=0.5, method="milp")
    assert r.contiguous
    assert sorted(r.grid_workload.tolist()) == [6.0, 7.0]


def test_it_proves_infeasibility_when_the_band_is_too_tight():
    units = lattice_units(1, 3, np.array([1.0, 5.0, 1.0]))
    with pytest.raises(InfeasibleBalance):
        partition(units, 2, tol=0.1, method="milp")


def test_it_refuses_a_disconnected_jurisdiction_and_bad_k():
    adj = sp.coo_array(([1], ([0], [1])), shape=(3, 3))
    units = make_units(adj, np.zeros((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="separate parts"):
        partition(units, 2)
    with pytest.raises(ValueError, match="k must be"):
        partition(lattice_units(2, 2), 5)


def test_it_balances_and_keeps_contiguity_on_a_larger_lattice():
    rng = np.random.default_rng(7)
    units = lattice_units(20, 20, rng.lognormal(0, 1, 400))
    r = partition(units, 8, tol=0.05, method="heuristic")
    assert r.contiguous
    assert r.max_deviation <= 0.05
    assert r.status == "feasible"
    assert np.bincount(r.assignment, minlength=8).min() > 0


def test_it_reports_the_heuristic_gap_against_the_milp_on_small_instances():
    rng = np.random.default_rng(3)
    units = lattice_units(3, 4, rng.integers(1, 5, 12).astype(float))
    r = partition(units, 2, tol=0.2, method="heuristic", reference=True)
    assert r.gap_source == "milp_reference"
    assert r.gap is not None and r.gap >= 0.0
    assert r.lower_bound is not None and r.cost >= r.lower_bound - 1e-9


def _brute_force(units, k, tol):
    """Least p-median cost over every contiguous in-band assignment (None if there is none)."""
    n = units.n
    target = units.workload.sum() / k
    best = None
    for labels in itertools.product(range(k), repeat=n - 1):
        a = np.array((0, *labels))
        if len(set(a.tolist())) != k or any(
            a.tolist().index(g) > a.tolist().index(g + 1) for g in range(k - 1)
        ):
            continue  # empty grid, or not the canonical labelling of this partition
        w = np.bincount(a, weights=units.workload, minlength=k)
        if np.any(np.abs(w - target) > tol * target + 1e-9):
            continue
        if not M.contiguous_grids(units, a, k).all():
            continue
        cost = M.partition_cost(units, a, k)[0]
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=12, deadline=None)
@given(
    shape=st.sampled_from([(2, 3), (2, 4), (3, 3), (1, 7)]),
    k=st.integers(min_value=2, max_value=3),
    tol=st.sampled_from([0.1, 0.3, 0.6]),
    data=st.data(),
)
def test_it_matches_brute_force_on_tiny_lattices(shape, k, tol, data):
    n = shape[0] * shape[1]
    w = data.draw(st.lists(st.integers(min_value=1, max_value=9), min_size=n, max_size=n))
    units = lattice_units(*shape, np.array(w, dtype=float))
    expected = _brute_force(units, k, tol)
    if expected is None:
        with pytest.raises(InfeasibleBalance):
            partition(units, k, tol=tol, method="milp", time_limit=30)
        return
    r = partition(units, k, tol=tol, method="milp", time_limit=30)
    assert r.status == "optimal"
    assert r.cost == pytest.approx(expected, abs=1e-6)
    assert r.contiguous and r.max_deviation <= tol + 1e-9
    h = partition(units, k, tol=tol, method="heuristic", restarts=2, kicks=5)
    assert h.contiguous
    if h.status == "feasible":
        assert h.cost >= expected - 1e-6


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(min_value=2, max_value=12),
    cols=st.integers(min_value=2, max_value=12),
    k=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
)
def test_it_always_returns_k_nonempty_contiguous_grids(rows, cols, k, seed):
    rng = np.random.default_rng(seed)
    units = lattice_units(rows, cols, rng.lognormal(0, 1.2, rows * cols), queen=bool(seed % 2))
    k = min(k, rows * cols)
    r = partition(units, k, tol=0.1, method="heuristic", restarts=1, kicks=0)
    assert r.contiguous
    assert np.bincount(r.assignment, minlength=k).min() > 0
    assert r.grid_workload.sum() == pytest.approx(units.workload.sum())
