"""Gi* hotspots (pure): hand-checkable lattices, emerging trends, and the real SF/Barcelona samples."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lastmeter.stats.algorithms.gistar import (
    DIMINISHING,
    HOT,
    INTENSIFYING,
    NEW,
    PERSISTENT,
    Bounds,
    Lattice,
    LatticeError,
    bounds_of,
    emerging,
    gi_star,
)

DATA = Path(__file__).parent / "data"
BOX = Bounds(39.90, 116.30, 39.93, 116.34)  # about 3.3 km × 3.4 km


def _cluster(
    lat: float, lon: float, n: int, spread: float, rng: np.random.Generator
) -> list[tuple[float, float]]:
    return [(lat + d1, lon + d2) for d1, d2 in rng.normal(0, spread, (n, 2))]


def test_it_builds_a_metric_lattice_whose_cells_are_the_asked_size() -> None:
    lat = Lattice(BOX, 250)
    assert (lat.rows, lat.cols) == (14, 14)
    ring = lat.ring(0, 0)
    assert ring[0] == ring[-1] and len(ring) == 5
    # 250 m of latitude is about 0.00225°
    assert ring[2][1] - ring[0][1] == pytest.approx(0.00225, abs=0.00003)
    assert lat.index(np.array([39.9001, 50.0]), np.array([116.3001, 116.3])).tolist() == [0, -1]


def test_it_refuses_a_lattice_of_absurd_size_or_no_points() -> None:
    with pytest.raises(LatticeError):
        Lattice(BOX, 1)
    with pytest.raises(LatticeError):
        Lattice(BOX, 0)
    with pytest.raises(LatticeError):
        bounds_of([], [])


def test_it_finds_one_planted_cluster_hot_and_nothing_in_uniform_noise() -> None:
    rng = np.random.default_rng(1)
    noise = [(rng.uniform(BOX.south, BOX.north), rng.uniform(BOX.west, BOX.east)) for _ in range(300)]
    pts = noise + _cluster(39.915, 116.32, 150, 0.0015, rng)
    res = gi_star([p[0] for p in pts], [p[1] for p in pts], cell_m=250, bounds=BOX, seed=7)
    hot = res.significant(HOT)
    assert hot, "the planted cluster is found"
    lattice = Lattice(BOX, 250)
    centre = int(lattice.index(np.array([39.915]), np.array([116.32]))[0])
    assert divmod(centre, res.cols) in {(c.row, c.col) for c in hot}
    for c in hot:  # every hot cell is near the cluster (within 3 cells)
        assert abs(c.row - centre // res.cols) <= 3 and abs(c.col - centre % res.cols) <= 3
    plain = gi_star([p[0] for p in noise], [p[1] for p in noise], cell_m=250, bounds=BOX, seed=7)
    assert plain.significant(HOT) == [], "FDR keeps uniform noise free of hot spots"
    assert 0 < res.fdr_p <= 0.05


def test_it_is_deterministic_with_a_fixed_seed_and_calm_without_points() -> None:
    rng = np.random.default_rng(3)
    pts = _cluster(39.91, 116.31, 80, 0.002, rng)
    a = gi_star([p[0] for p in pts], [p[1] for p in pts], cell_m=250, bounds=BOX, seed=5)
    b = gi_star([p[0] for p in pts], [p[1] for p in pts], cell_m=250, bounds=BOX, seed=5)
    assert [(c.p, c.significant) for c in a.cells] == [(c.p, c.significant) for c in b.cells]
    empty = gi_star([], [], cell_m=250, bounds=BOX)
    assert empty.points == 0 and empty.significant() == []


def test_it_classifies_emerging_hotspots_against_the_previous_period() -> None:
    rng = np.random.default_rng(11)
    bg = [(rng.uniform(BOX.south, BOX.north), rng.uniform(BOX.west, BOX.east)) for _ in range(200)]
    west, east = (39.915, 116.305), (39.915, 116.335)
    before = bg + _cluster(*west, 120, 0.001, rng)
    after = bg + _cluster(*east, 120, 0.001, rng)
    r0 = gi_star([p[0] for p in before], [p[1] for p in before], bounds=BOX, seed=1)
    r1 = gi_star([p[0] for p in after], [p[1] for p in after], bounds=BOX, seed=1)
    trend = emerging(r1, r0)
    lattice = Lattice(BOX, 250)
    wkey = "{}:{}".format(
        *divmod(int(lattice.index(np.array([west[0]]), np.array([west[1]]))[0]), lattice.cols)
    )
    ekey = "{}:{}".format(
        *divmod(int(lattice.index(np.array([east[0]]), np.array([east[1]]))[0]), lattice.cols)
    )
    assert trend[ekey] == NEW
    assert trend[wkey] == DIMINISHING
    same = emerging(r0, r0)
    assert set(same.values()) == {PERSISTENT}
    stronger = before + _cluster(*west, 200, 0.001, rng)
    r2 = gi_star([p[0] for p in stronger], [p[1] for p in stronger], bounds=BOX, seed=1)
    assert emerging(r2, r0)[wkey] == INTENSIFYING
    with pytest.raises(LatticeError):
        emerging(gi_star([39.91], [116.31], bounds=BOX, cell_m=500), r0)


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _hot_labels(
    rows: list[dict[str, str]], label: str, cell_m: float, seed: int
) -> tuple[list[str], Counter[str], int]:
    lats = [float(r["Latitude"]) for r in rows]
    lons = [float(r["Longitude"]) for r in rows]
    res = gi_star(lats, lons, cell_m=cell_m, seed=seed, rings=False)
    hot = sorted(res.significant(HOT), key=lambda c: -c.z)
    idx = Lattice(bounds_of(lats, lons), cell_m).index(np.array(lats), np.array(lons))
    hot_idx = {c.row * res.cols + c.col for c in hot}
    return (
        [c.key for c in hot],
        Counter(r[label] for r, i in zip(rows, idx, strict=True) if i in hot_idx),
        len(res.significant()),
    )


def test_it_finds_the_tenderloin_soma_mission_cluster_in_san_francisco_incidents() -> None:
    """2,000 SF police incidents of December 2018 (PDDL), 500 m cells, seed 20181201.

    The expected cells were computed once with this seed and checked on a map: the hottest cells
    lie over the Tenderloin / Civic Center / 6th Street corridor; the hot region spreads into SoMa,
    the Financial District and the Mission. Fixed seed: deterministic.
    """
    keys, hoods, significant = _hot_labels(
        _read("sf_incidents_2018-12_sample.csv"), "Analysis Neighborhood", 500, 20181201
    )
    assert len(keys) == 49
    assert keys[:10] == [
        "16:17",
        "17:17",
        "16:18",
        "15:17",
        "17:18",
        "16:16",
        "15:16",
        "15:18",
        "17:19",
        "18:17",
    ]
    assert significant == 49 + 177  # the rest are cold cells (empty water, parks, the far west)
    top = [name for name, _ in hoods.most_common(3)]
    assert top[0] == "Tenderloin"
    assert set(top) <= {"Tenderloin", "South of Market", "Mission"}
    assert not {"Sunset/Parkside", "Outer Richmond", "Lakeshore"} & set(hoods)


def test_it_finds_the_eixample_in_barcelona_accidents() -> None:
    """1,500 Barcelona accidents of 2017 (Ajuntament de Barcelona, CC BY 4.0), 500 m cells, seed 2017."""
    keys, districts, _ = _hot_labels(_read("barcelona_accidents_2017_sample.csv"), "DistrictName", 500, 2017)
    assert len(keys) == 84
    assert keys[:10] == [
        "14:12",
        "14:11",
        "13:11",
        "15:12",
        "13:12",
        "13:10",
        "15:13",
        "14:10",
        "15:11",
        "14:13",
    ]
    name, n = districts.most_common(1)[0]
    assert name == "Eixample" and n > sum(districts.values()) / 2
    assert "Nou Barris" not in districts
