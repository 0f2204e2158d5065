"""Grid partitioning benchmark on real workloads (Barcelona's 2017 traffic accidents mapped onto cells).

(a) Small instances (6x6 / 5x7 windows of the real cell lattice, K = 3-4): the heuristic's gap to the MILP's
    proven optimum (same objective, same balance band). Targets: median <= 0.5 %, worst <= 2 %.
(b) The whole 50x50 lattice (2,500 units, skewed real workloads), K = 20, band +-2 %: max workload
    deviation, contiguity, compactness and time. Targets: deviation <= 2 %, 100 % contiguous, <= 5 s.
(c) PySAL spopt's regionalisation methods on the same units, in the same run (the baseline): Ward and
    Skater on the 2,500 units; RegionKMeans, AZP and MaxP (slow) on a 20x20 window, where ours runs too.
    spopt does not balance workload (MaxP only enforces a floor): the comparison shows what a general
    regionaliser gives a police station, measured with the same metrics.

Workload per cell (``combine_workload`` shares): accidents 0.4, vehicles involved 0.2 (a traffic proxy for
"drivers"), victims 0.2 (severity, for order-maintenance difficulty), and 0.2 spread evenly (road mileage is
not in this data; the even share keeps quiet cells from weighing nothing).

Run: .venv/bin/python bench/grids.py [--quick]   (--quick skips the minutes-long spopt runs)
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import require_data, write_result

from lastmeter.planning.algorithms import combine_workload, lattice_units, partition
from lastmeter.planning.algorithms import metrics as M
from lastmeter.planning.algorithms.partition import InfeasibleBalance

SIDE = 50
K_BIG = 20
TOL_BIG = 0.02


def barcelona_cells(path: Path, side: int = SIDE) -> tuple[np.ndarray, float]:
    """Workload of each cell of a side x side lattice over the accidents' extent; returns (workload, cell_m)."""
    lon, lat, veh, vic = [], [], [], []
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            try:
                x, y = float(row["Longitude"]), float(row["Latitude"])
            except (TypeError, ValueError):
                continue
            if not (1.9 < x < 2.4 and 41.2 < y < 41.6):
                continue  # a few rows carry no or wrong coordinates
            lon.append(x)
            lat.append(y)
            veh.append(float(row["Vehiclesinvolved"] or 0))
            vic.append(float(row["Victims"] or 0))
    lon, lat = np.array(lon), np.array(lat)
    # Local equirectangular projection: metres are plenty accurate over a city.
    x = lon * 111_320.0 * np.cos(np.radians(lat.mean()))
    y = lat * 110_540.0
    x0, x1 = np.quantile(x, [0.001, 0.999])
    y0, y1 = np.quantile(y, [0.001, 0.999])
    cell_m = max(x1 - x0, y1 - y0) / side
    ci = np.clip(((x - x0) / cell_m).astype(int), 0, side - 1)
    ri = np.clip(((y - y0) / cell_m).astype(int), 0, side - 1)
    cell = ri * side + ci
    n = side * side
    w = combine_workload(
        {
            "accidents": np.bincount(cell, minlength=n).astype(float),
            "drivers": np.bincount(cell, weights=np.array(veh), minlength=n),
            "difficulty": np.bincount(cell, weights=np.array(vic), minlength=n),
            "mileage": np.ones(n),
        },
        {"accidents": 0.4, "drivers": 0.2, "difficulty": 0.2, "mileage": 0.2},
    )
    return w, float(cell_m)


def window(w: np.ndarray, r0: int, c0: int, rows: int, cols: int, cell_m: float):
    grid = w.reshape(SIDE, SIDE)[r0 : r0 + rows, c0 : c0 + cols]
    return lattice_units(rows, cols, grid.ravel().copy(), cell=cell_m)


def part_a(w: np.ndarray, cell_m: float) -> dict:
    rng = np.random.default_rng(2017)
    busy = np.argsort(w)[::-1][:400]  # windows around busy cells, where the workload is most skewed
    rows = []
    specs = [(6, 6, 3), (6, 6, 4), (5, 7, 3), (5, 7, 4)] * 3
    for rr, cc, k in specs:
        centre = int(rng.choice(busy))
        r0 = int(np.clip(centre // SIDE - rr // 2, 0, SIDE - rr))
        c0 = int(np.clip(centre % SIDE - cc // 2, 0, SIDE - cc))
        units = window(w, r0, c0, rr, cc, cell_m)
        for tol in (0.05, 0.10, 0.20):
            try:
                exact = partition(units, k, tol=tol, method="milp", time_limit=120)
            except InfeasibleBalance:
                continue
            break
        else:
            continue
        t = time.perf_counter()
        heur = partition(units, k, tol=tol, method="heuristic")
        t_heur = time.perf_counter() - t
        in_band = heur.max_deviation <= tol + 1e-9
        bound = exact.lower_bound if exact.lower_bound is not None else exact.cost
        gap = (heur.cost - bound) / bound if in_band else None
        rows.append(
            {
                "window": [r0, c0, rr, cc],
                "k": k,
                "tol": tol,
                "milp_status": exact.status,
                "milp_gap": exact.gap,
                "milp_s": exact.runtime_s,
                "optimum": exact.cost,
                "heuristic_cost": heur.cost,
                "heuristic_in_band": in_band,
                "heuristic_s": t_heur,
                "gap": gap,
                "heuristic_contiguous": heur.contiguous,
            }
        )
        print(f"  (a) {rows[-1]}", flush=True)
    gaps = [r["gap"] for r in rows if r["gap"] is not None]
    return {
        "instances": rows,
        "n": len(rows),
        "heuristic_in_band": sum(r["heuristic_in_band"] for r in rows),
        "gap_median_pct": 100 * statistics.median(gaps) if gaps else None,
        "gap_worst_pct": 100 * max(gaps) if gaps else None,
        "all_proven_optimal": all(r["milp_status"] == "optimal" for r in rows),
    }


def _measure(units, labels: np.ndarray, seconds: float) -> dict:
    lab = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    k = int(lab.max()) + 1
    gw = M.grid_workload(units, lab, k)
    target = units.workload.sum() / k
    contiguous = M.contiguous_grids(units, lab, k)
    return {
        "regions": k,
        "seconds": seconds,
        "max_deviation_pct": float(100 * np.abs(gw - target).max() / target),
        "contiguous_pct": float(100 * contiguous.mean()),
        "mean_compactness": float(M.compactness(units, lab, k).mean()),
        "cost": M.partition_cost(units, lab, k)[0],
    }


def part_b(w: np.ndarray, cell_m: float, seeds=(0, 1, 2)) -> dict:
    units = lattice_units(SIDE, SIDE, w, cell=cell_m)
    runs = []
    for seed in seeds:
        t = time.perf_counter()
        r = partition(units, K_BIG, tol=TOL_BIG, method="heuristic", seed=seed, restarts=2, kicks=0)
        secs = time.perf_counter() - t
        runs.append({"seed": seed, **_measure(units, r.assignment, secs), "status": r.status})
        print(f"  (b) {runs[-1]}", flush=True)
    return {
        "units": units.n,
        "k": K_BIG,
        "tol_pct": 100 * TOL_BIG,
        "heaviest_unit_pct_of_target": float(100 * w.max() / (w.sum() / K_BIG)),
        "runs": runs,
        "worst_max_deviation_pct": max(r["max_deviation_pct"] for r in runs),
        "all_contiguous": all(r["contiguous_pct"] == 100.0 for r in runs),
        "worst_seconds": max(r["seconds"] for r in runs),
    }


def part_c(w: np.ndarray, cell_m: float, quick: bool) -> dict:
    warnings.filterwarnings("ignore")
    import libpysal
    import pandas as pd
    import spopt.region as R

    out: dict = {}
    for label, side, k, r0, c0 in (("2500", SIDE, K_BIG, 0, 0), ("400", 20, 8, 15, 15)):
        units = (
            window(w, r0, c0, side, side, cell_m)
            if side != SIDE
            else lattice_units(SIDE, SIDE, w, cell=cell_m)
        )
        W = libpysal.weights.lat2W(side, side, rook=True)  # ids row-major, like lattice_units
        xy = units.centroids
        df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "w": units.workload})
        methods = {"ward": lambda df=df, W=W, k=k: R.WardSpatial(df, W, ["x", "y"], n_clusters=k)}
        if side != SIDE or not quick:
            methods["skater"] = lambda df=df, W=W, k=k, n=units.n: R.Skater(
                df, W, ["x", "y"], n_clusters=k, floor=n // k // 2
            )
        if side != SIDE and not quick:
            methods["region_kmeans"] = lambda xy=xy, W=W, k=k: R.RegionKMeansHeuristic(xy, k, W)
            methods["azp"] = lambda df=df, W=W, k=k: R.AZP(df, W, ["x", "y"], n_clusters=k, random_state=0)
            share = float(units.workload.sum()) / k
            methods["maxp"] = lambda df=df, W=W, t=share: R.MaxPHeuristic(
                df, W, ["x", "y"], "w", 0.9 * t, top_n=2, max_iterations_construction=3, max_iterations_sa=1
            )
        rows = {}
        t = time.perf_counter()
        ours = partition(units, k, tol=TOL_BIG, method="heuristic", restarts=2, kicks=0)
        rows["lastmeter"] = _measure(units, ours.assignment, time.perf_counter() - t)
        for name, make in methods.items():
            t = time.perf_counter()
            model = make()
            model.solve()
            rows[name] = _measure(units, np.asarray(model.labels_), time.perf_counter() - t)
            print(f"  (c) {label} {name}: {rows[name]}", flush=True)
        out[label] = {"units": units.n, "k": k, "methods": rows}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the slow spopt methods")
    args = ap.parse_args()
    (path,) = require_data("incidents/barcelona_accidents_2017.csv")
    w, cell_m = barcelona_cells(path)
    print(
        f"cells: {SIDE}x{SIDE} of {cell_m:.0f} m; heaviest cell = {100 * w.max() * K_BIG:.1f}% of a grid's share"
    )
    a = part_a(w, cell_m)
    b = part_b(w, cell_m)
    c = part_c(w, cell_m, args.quick)
    big = c["2500"]["methods"]
    base = min((v for n, v in big.items() if n != "lastmeter"), key=lambda v: v["max_deviation_pct"])
    ok = (
        a["gap_median_pct"] is not None
        and a["gap_median_pct"] <= 0.5
        and a["gap_worst_pct"] <= 2.0
        and b["worst_max_deviation_pct"] <= 2.0
        and b["all_contiguous"]
        and b["worst_seconds"] <= 5.0
    )
    summary = (
        f"grids: (a) gap median {a['gap_median_pct']:.2f}% worst {a['gap_worst_pct']:.2f}% over {a['n']} "
        f"MILP-solved windows; (b) 2500 units K=20 max dev {b['worst_max_deviation_pct']:.2f}% "
        f"contiguous={b['all_contiguous']} in {b['worst_seconds']:.2f}s; (c) best spopt on 2500 max dev "
        f"{base['max_deviation_pct']:.1f}% -> ratio {base['max_deviation_pct'] / max(b['worst_max_deviation_pct'], 1e-9):.0f}x; "
        f"targets {'MET' if ok else 'MISSED'}"
    )
    write_result("grids", {"small_gap": a, "large": b, "spopt": c, "targets_met": ok}, summary)


if __name__ == "__main__":
    main()
