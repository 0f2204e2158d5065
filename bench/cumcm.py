"""CUMCM 2011 problem B from the raw spreadsheet: service areas, 3-minute coverage, workloads, blockade of
District A's 13 exits, and where to add 2-5 platforms — plus the whole city's coverage per district.

Data: ../shared/data/cumcm2011b/appendix2_data.xls (read with xlrd, the dev extra). Map coordinates are
millimetres at 1:100,000, i.e. 1 unit = 100 m; police vehicles drive at 60 km/h (1 km per minute).

Baseline in the same run: the straight-line (Euclidean) nearest-platform assignment, the naive answer a
planner without a road graph would give; the summary reports how many intersections it puts on the wrong
platform and how much it underestimates the worst response time.

Run: .venv/bin/python bench/cumcm.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import require_data, write_result

from lastmeter.grids.algorithms.service_areas import (
    add_platforms,
    blockade_plan,
    road_graph,
    service_areas,
)

UNIT_M = 100.0  # one map millimetre is 100 m
SPEED_KMH = 60.0
TARGET_MIN = 3.0
DISTRICTS = "ABCDEF"


def load(path: Path) -> dict:
    """Nodes (0-based), coordinates in map units, district index, incident rates, edges, platforms, exits."""
    import xlrd

    book = xlrd.open_workbook(str(path))
    nodes = book.sheet_by_index(0)
    rows = [nodes.row_values(r)[:5] for r in range(1, nodes.nrows)]
    rows = [r for r in rows if isinstance(r[0], float)]
    ids = np.array([int(r[0]) for r in rows])
    assert np.array_equal(ids, np.arange(1, ids.size + 1)), "intersections are not numbered 1..n"
    xy = np.array([[r[1], r[2]] for r in rows], dtype=float)
    district = np.array([int(r[3]) - 1 for r in rows])
    rate = np.array([float(r[4]) for r in rows])
    es = book.sheet_by_index(1)
    edges = np.array(
        [
            [int(es.cell_value(r, 0)) - 1, int(es.cell_value(r, 1)) - 1]
            for r in range(1, es.nrows)
            if isinstance(es.cell_value(r, 0), float)
        ]
    )
    ps = book.sheet_by_index(2)
    plat = [
        (int(ps.cell_value(r, 0)) - 1, int(ps.cell_value(r, 2)) - 1)
        for r in range(1, ps.nrows)
        if isinstance(ps.cell_value(r, 2), float)
    ]
    ex = book.sheet_by_index(3)
    city_exits = [int(v) - 1 for v in ex.col_values(1)[1:] if isinstance(v, float)]
    a_exits = [int(v) - 1 for v in ex.col_values(2)[1:] if isinstance(v, float)]
    return {
        "xy": xy,
        "district": district,
        "rate": rate,
        "edges": edges,
        "platform_district": np.array([d for d, _ in plat]),
        "platform_node": np.array([n for _, n in plat]),
        "city_exits": np.array(city_exits),
        "a_exits": np.array(a_exits),
    }


def district_graph(data: dict, d: int):
    """District d's own road graph (edges with both ends in the district), re-indexed 0..m-1."""
    nodes = np.flatnonzero(data["district"] == d)
    local = -np.ones(data["xy"].shape[0], dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    e = data["edges"]
    inside = (local[e[:, 0]] >= 0) & (local[e[:, 1]] >= 0)
    g = road_graph(data["xy"][nodes], local[e[inside]], scale=UNIT_M)
    return nodes, local, g


def euclid_baseline(xy, stations, rate):
    d = np.hypot(*(xy[:, None, :] - xy[stations][None, :, :]).transpose(2, 0, 1)) * UNIT_M
    return np.argmin(d, axis=1), d.min(axis=1) / (SPEED_KMH * 1000 / 60)


def main() -> None:
    (path,) = require_data("cumcm2011b/appendix2_data.xls")
    t0 = time.perf_counter()
    data = load(path)
    num = lambda idx: (np.asarray(idx) + 1).tolist()  # noqa: E731 — report 1-based numbers as the contest does

    # District A on its own road network (the contest's question 1).
    nodes, local, g = district_graph(data, 0)
    plat_a = local[data["platform_node"][data["platform_district"] == 0]]
    rate_a = data["rate"][nodes]
    areas = service_areas(g, plat_a, rate_a, SPEED_KMH, TARGET_MIN)
    base_assign, base_time = euclid_baseline(data["xy"][nodes], plat_a, rate_a)
    wrong = int((base_assign != areas.assignment).sum())
    block = blockade_plan(g, plat_a, local[data["a_exits"]], SPEED_KMH)
    adds = []
    for k in range(2, 6):
        pa = add_platforms(g, plat_a, k, rate_a, speed_kmh=SPEED_KMH, target_min=TARGET_MIN)
        adds.append(
            {
                "k": k,
                "added_intersections": num(nodes[pa.added]),
                "worst_time_min": pa.after.max_time_min,
                "proven_least_worst_time_min": pa.radius_min,
                "beyond_3min": int(pa.after.beyond_target.size),
                "max_workload": float(pa.after.workload.max()),
                "workload_std": float(pa.after.workload.std()),
                "method": pa.method,
            }
        )
    district_a = {
        "intersections": int(nodes.size),
        "platforms": int(plat_a.size),
        "beyond_3min": num(nodes[areas.beyond_target]),
        "beyond_3min_time_min": areas.time_min[areas.beyond_target].round(3).tolist(),
        "worst_time_min": areas.max_time_min,
        "workload_per_platform": dict(
            zip(map(str, range(1, plat_a.size + 1)), areas.workload.round(2).tolist(), strict=True)
        ),
        "nodes_per_platform": areas.nodes_per_station.tolist(),
        "workload_max_min": [float(areas.workload.max()), float(areas.workload.min())],
        "blockade": {
            "exit_to_platform": {
                str(e): int(p)
                for e, p in zip(num(nodes[block.exits]), num(nodes[block.station_of_exit]), strict=True)
            },
            "last_sealed_min": block.last_sealed_min,
            "total_min": block.total_min,
        },
        "add_platforms": adds,
        "baseline_euclidean": {
            "intersections_on_other_platform": wrong,
            "worst_time_min": float(base_time.max()),
        },
    }

    # The whole city (question 2): each district's platforms on the full road network.
    g_city = road_graph(data["xy"], data["edges"], scale=UNIT_M)
    city = service_areas(g_city, data["platform_node"], data["rate"], SPEED_KMH, TARGET_MIN)
    per_district = {}
    for d in range(len(DISTRICTS)):
        in_d = data["district"] == d
        beyond = np.intersect1d(np.flatnonzero(in_d), city.beyond_target)
        pw = city.workload[data["platform_district"] == d]
        per_district[DISTRICTS[d]] = {
            "intersections": int(in_d.sum()),
            "platforms": int((data["platform_district"] == d).sum()),
            "beyond_3min": int(beyond.size),
            "worst_time_min": float(city.time_min[in_d].max()),
            "incident_rate": float(data["rate"][in_d].sum()),
            "platform_workload_max_min": [float(pw.max()), float(pw.min())],
        }
    city_block = blockade_plan(g_city, data["platform_node"], data["city_exits"], SPEED_KMH)
    elapsed = time.perf_counter() - t0

    best5 = adds[-1]
    summary = (
        f"cumcm: A {len(district_a['beyond_3min'])}/{nodes.size} intersections >3 min "
        f"(worst {areas.max_time_min:.2f} min; Euclidean baseline puts {wrong} on another platform, "
        f"worst {base_time.max():.2f} min); A workload {areas.workload.max():.1f}..{areas.workload.min():.1f}; "
        f"A blockade last exit at {block.last_sealed_min:.4f} min; +5 platforms {best5['added_intersections']}"
        f" worst {best5['worst_time_min']:.2f} min; city {city.beyond_target.size}/{data['xy'].shape[0]} >3 min,"
        f" city blockade {city_block.last_sealed_min:.2f} min; {elapsed:.1f}s"
    )
    payload = {
        "district_A": district_a,
        "city": {
            "intersections": int(data["xy"].shape[0]),
            "platforms": int(data["platform_node"].size),
            "beyond_3min": int(city.beyond_target.size),
            "per_district": per_district,
            "blockade_17_exits": {
                "last_sealed_min": city_block.last_sealed_min,
                "total_min": city_block.total_min,
            },
        },
        "seconds": elapsed,
    }
    _print_report(district_a, per_district)
    write_result("cumcm", payload, summary)


def _print_report(a: dict, per_district: dict) -> None:
    print(f"District A: {a['intersections']} intersections, {a['platforms']} platforms")
    print(f"  beyond 3 min: {a['beyond_3min']} at {a['beyond_3min_time_min']} min")
    print(f"  workload per platform (incidents/day): {a['workload_per_platform']}")
    b = a["blockade"]
    print(
        f"  blockade: last exit sealed at {b['last_sealed_min']:.4f} min; exit->platform {b['exit_to_platform']}"
    )
    for row in a["add_platforms"]:
        print(
            f"  add {row['k']}: at {row['added_intersections']} -> worst {row['worst_time_min']:.3f} min "
            f"(proven least {row['proven_least_worst_time_min']:.3f}), {row['beyond_3min']} beyond 3 min, "
            f"max workload {row['max_workload']:.1f}, std {row['workload_std']:.2f}"
        )
    for name, row in per_district.items():
        print(f"  district {name}: {row}")


if __name__ == "__main__":
    main()
