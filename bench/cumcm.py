"""CUMCM 2011 problem B from the raw spreadsheet: service areas, 3-minute coverage, workloads, blockade of
District A's 13 exits, and where to add 2-5 platforms (part 1); the whole city reviewed district by
district with a relocate-and-add proposal, and the optimal containment of a suspect fleeing from
intersection 32 with a 3-minute head start (part 2).

Data: ../shared/data/cumcm2011b/appendix2_data.xls (read with xlrd, the dev extra). Map coordinates are
millimetres at 1:100,000, i.e. 1 unit = 100 m; police vehicles drive at 60 km/h (1 km per minute).

Baselines in the same run: the straight-line (Euclidean) nearest-platform assignment, the naive answer a
planner without a road graph would give (how many intersections it puts on the wrong platform, how much it
underestimates the worst response time); for the city review, adding platforms without relocating any
(how many more it needs); for the containment, sealing the 17 city exits instead of a cordon (when it is
complete, and how many exits the suspect reaches first).

Part 2's assumptions (the statement leaves them open): each district's platforms answer its own
intersections, driving on the whole network; the suspect drives at the police's 60 km/h; every one of the
80 platforms may be sent; a cordon node must be sealed strictly before the suspect could get there.

Run: .venv/bin/python bench/cumcm.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import require_data, write_result

from lastmeter.planning.algorithms.containment import (
    NoContainment,
    containment_plan,
    separates,
    travel_minutes,
)
from lastmeter.planning.algorithms.districts import CityReview, DistrictFigures, review_districts
from lastmeter.planning.algorithms.service_areas import (
    add_platforms,
    blockade_plan,
    road_graph,
    service_areas,
)

UNIT_M = 100.0  # one map millimetre is 100 m
SPEED_KMH = 60.0
TARGET_MIN = 3.0
DISTRICTS = "ABCDEF"
INCIDENT = 32  # the contest's P (1-based)
HEAD_START_MIN = 3.0
MAX_MOVES = 3  # relocations per district in the proposal
MAX_ADD = 20  # enough for every district to reach the 3-minute target


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
    review, review_s = _timed(
        review_districts,
        g_city,
        data["platform_node"],
        data["platform_district"],
        data["district"],
        data["rate"],
        speed_kmh=SPEED_KMH,
        target_min=TARGET_MIN,
        max_moves=MAX_MOVES,
        max_add=MAX_ADD,
    )
    add_only = review_districts(
        g_city,
        data["platform_node"],
        data["platform_district"],
        data["district"],
        data["rate"],
        speed_kmh=SPEED_KMH,
        target_min=TARGET_MIN,
        max_moves=0,
        max_add=MAX_ADD,
    )
    review_json = _review_json(data, review, add_only, num)
    cont_json = _containment(data, g_city, city_block, num)
    elapsed = time.perf_counter() - t0

    best5 = adds[-1]
    rv = review_json["totals"]
    c = cont_json
    summary = (
        f"cumcm: A {len(district_a['beyond_3min'])}/{nodes.size} intersections >3 min "
        f"(worst {areas.max_time_min:.2f} min; Euclidean baseline puts {wrong} on another platform, "
        f"worst {base_time.max():.2f} min); A blockade last exit at {block.last_sealed_min:.4f} min; "
        f"+5 platforms worst {best5['worst_time_min']:.2f} min; city {rv['beyond_before']}/{data['xy'].shape[0]}"
        f" >3 min -> {rv['beyond_after']} with {rv['moved']} moved + {rv['added']} added platforms "
        f"(add-only baseline needs {rv['added_without_moves']}); containment from {INCIDENT}: "
        f"{c['cordon_size']} cordon nodes sealed {c['completion_after_alarm_min']:.2f} min after the alarm "
        f"(cut valid: {c['cut_valid']}; the 17-exit blockade needs {c['baseline_exits']['last_sealed_after_alarm_min']:.2f}"
        f" min, ratio {c['ratio_to_exit_blockade']:.2f}); {elapsed:.1f}s"
    )
    payload = {
        "district_A": district_a,
        "city": {
            "intersections": int(data["xy"].shape[0]),
            "platforms": int(data["platform_node"].size),
            "beyond_3min_nearest_platform_anywhere": int(city.beyond_target.size),
            "per_district_nearest_platform_anywhere": per_district,
            "blockade_17_exits": {
                "last_sealed_min": city_block.last_sealed_min,
                "total_min": city_block.total_min,
            },
            "review": review_json,
            "review_seconds": review_s,
        },
        "containment": cont_json,
        "seconds": elapsed,
    }
    _print_report(district_a, per_district)
    _print_review(review_json)
    _print_containment(cont_json)
    write_result("cumcm", payload, summary)


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def _fig(f: DistrictFigures) -> dict:
    hi, lo = f.workload_max_min
    return {
        "platforms": f.platforms,
        "intersections": f.intersections,
        "incident_rate": round(f.incident_rate, 2),
        "beyond_3min": f.beyond_target,
        "covered_pct": round(f.covered_pct, 1),
        "worst_time_min": round(f.worst_time_min, 3),
        "mean_time_min": round(f.mean_time_min, 3),
        "workload_max": round(hi, 2),
        "workload_min": round(lo, 2),
        "workload_cv": round(f.workload_cv, 3),
        "rate_per_platform": round(f.rate_per_platform, 2),
    }


def _review_json(data: dict, review: CityReview, add_only: CityReview, num) -> dict:
    rows = {}
    for p, base in zip(review.proposals, add_only.proposals, strict=True):
        mine = data["platform_node"][data["platform_district"] == p.district]
        rows[DISTRICTS[p.district]] = {
            "before": _fig(p.before),
            "workload_per_platform": dict(zip(num(mine), p.before.workload.round(2).tolist(), strict=True)),
            "findings": [f.detail for f in review.findings if f.district == p.district],
            "moves": [[a + 1, b + 1] for a, b in p.moves],
            "after_moves": _fig(p.relocated),
            "added": num(p.added),
            "after": _fig(p.after),
            "added_without_moves": int(base.added.size),
        }
    before = sum(p.before.beyond_target for p in review.proposals)
    return {
        "rule": "each district's platforms serve its own intersections (paths over the whole network)",
        "max_moves_per_district": MAX_MOVES,
        "max_add_per_district": MAX_ADD,
        "city_rate_per_platform": round(review.city_rate_per_platform, 3),
        "districts": rows,
        "totals": {
            "beyond_before": int(before),
            "beyond_after": int(sum(p.after.beyond_target for p in review.proposals)),
            "worst_before_min": round(max(p.before.worst_time_min for p in review.proposals), 3),
            "worst_after_min": round(max(p.after.worst_time_min for p in review.proposals), 3),
            "moved": int(sum(len(p.moves) for p in review.proposals)),
            "added": int(sum(p.added.size for p in review.proposals)),
            "added_without_moves": int(sum(p.added.size for p in add_only.proposals)),
            "unreasonable_districts": sorted({DISTRICTS[f.district] for f in review.findings}),
        },
    }


def _containment(data: dict, g, city_block, num) -> dict:
    """The optimal cordon around P, and the exit blockade as the baseline."""
    p_node = INCIDENT - 1
    stations, exits = data["platform_node"], data["city_exits"]
    try:
        plan, secs = _timed(
            containment_plan,
            g,
            p_node,
            stations,
            exits,
            head_start_min=HEAD_START_MIN,
            police_speed_kmh=SPEED_KMH,
            suspect_speed_kmh=SPEED_KMH,
        )
    except NoContainment as exc:
        print(f"[bench] containment impossible: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    # Baseline: seal the 17 exits (the blockade plan above) — complete when, and does the suspect get out first?
    suspect = travel_minutes(g, np.array([p_node]), SPEED_KMH)[0]
    exit_arrival = HEAD_START_MIN + city_block.time_min
    escaped = int((exit_arrival >= suspect[city_block.exits]).sum())
    baseline_complete = HEAD_START_MIN + city_block.last_sealed_min
    return {
        "incident": INCIDENT,
        "head_start_min": HEAD_START_MIN,
        "speeds_kmh": {"police": SPEED_KMH, "suspect": SPEED_KMH},
        "cordon_size": int(plan.cordon.size),
        "platforms_used": int(np.unique(plan.station).size),
        "completion_min": round(plan.completion_min, 4),
        "completion_after_alarm_min": round(plan.completion_min - HEAD_START_MIN, 4),
        "total_police_min": round(plan.total_min, 3),
        "contained_intersections": int(plan.region.size),
        "cut_valid": bool(separates(g, p_node, exits, plan.cordon)),
        "min_slack_min": round(float(plan.slack_min.min()), 4) if plan.cordon.size else None,
        "milps": plan.milps,
        "seconds": round(secs, 3),
        "assignments": [
            {
                "node": int(v) + 1,
                "platform": int(s) + 1,
                "police_min": round(float(t), 3),
                "suspect_min": round(float(u), 3),
            }
            for v, s, t, u in zip(
                plan.cordon, plan.station_node, plan.police_min, plan.suspect_min, strict=True
            )
        ],
        "baseline_exits": {
            "last_sealed_min": round(baseline_complete, 4),
            "last_sealed_after_alarm_min": round(city_block.last_sealed_min, 4),
            "exits_reached_by_suspect_first": escaped,
        },
        "ratio_to_exit_blockade": round(
            (plan.completion_min - HEAD_START_MIN) / city_block.last_sealed_min, 3
        ),
        "region": num(plan.region),
    }


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


def _print_review(r: dict) -> None:
    print(f"City review ({r['rule']}; city: {r['city_rate_per_platform']} incidents/day per platform)")
    head = f"  {'':2}{'plat':>5}{'>3min':>7}{'cover%':>8}{'worst':>7}{'mean':>6}{'wl max':>8}{'wl min':>7}{'cv':>6}{'rate/pl':>8}"
    print(head + "   ->  after: plat >3min worst   cv rate/pl  (moved, added; add-only)")
    for name, row in r["districts"].items():
        b, a = row["before"], row["after"]
        print(
            f"  {name:2}{b['platforms']:>5}{b['beyond_3min']:>7}{b['covered_pct']:>8.1f}{b['worst_time_min']:>7.2f}"
            f"{b['mean_time_min']:>6.2f}{b['workload_max']:>8.1f}{b['workload_min']:>7.1f}{b['workload_cv']:>6.2f}"
            f"{b['rate_per_platform']:>8.2f}   ->  {a['platforms']:>10}{a['beyond_3min']:>6}{a['worst_time_min']:>6.2f}"
            f"{a['workload_cv']:>5.2f}{a['rate_per_platform']:>8.2f}  ({len(row['moves'])}, {len(row['added'])};"
            f" {row['added_without_moves']})"
        )
    for name, row in r["districts"].items():
        print(f"  {name}: {'; '.join(row['findings']) or 'reasonable'}")
        if row["moves"] or row["added"]:
            print(f"     move {row['moves']} then add at {row['added']}")
    t = r["totals"]
    print(
        f"  city: {t['beyond_before']} -> {t['beyond_after']} intersections beyond 3 min, worst "
        f"{t['worst_before_min']:.2f} -> {t['worst_after_min']:.2f} min; {t['moved']} moved, {t['added']} added "
        f"(without moving: {t['added_without_moves']} added); unreasonable: {', '.join(t['unreasonable_districts'])}"
    )


def _print_containment(c: dict) -> None:
    print(
        f"Containment: incident at {c['incident']}, suspect {c['head_start_min']:g} min ahead, both at "
        f"{c['speeds_kmh']['police']:g} km/h"
    )
    print(
        f"  cordon of {c['cordon_size']} intersections, {c['platforms_used']} platforms, complete "
        f"{c['completion_min']:.4f} min after the incident ({c['completion_after_alarm_min']:.4f} after the alarm); "
        f"least slack {c['min_slack_min']} min; {c['contained_intersections']} intersections inside; "
        f"cut valid: {c['cut_valid']}; {c['milps']} MILPs, {c['seconds']}s"
    )
    print(
        "  node<-platform (police/suspect min): "
        + ", ".join(
            f"{a['node']}<-{a['platform']} ({a['police_min']:.2f}/{a['suspect_min']:.2f})"
            for a in c["assignments"]
        )
    )
    b = c["baseline_exits"]
    print(
        f"  baseline, sealing the 17 exits: complete {b['last_sealed_after_alarm_min']:.2f} min after the alarm; "
        f"the suspect reaches {b['exits_reached_by_suspect_first']} of them first"
    )


if __name__ == "__main__":
    main()
