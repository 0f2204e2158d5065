"""Benchmark: nearest-unit dispatch by road travel time on city-scale road graphs.

Graphs (../shared/data/osm_large, see SOURCE.txt there): Luxembourg (DIMACS10, 114,599 nodes) and Moscow
(ngraph binary, 411,992 nodes); both undirected and untagged, so every edge is driven at the assumed
40 km/h (lastmeter.roads.algorithms.loaders.ASSUMED_SPEED_KMH).

For each graph: load time from the .npz cache (and index build), then fleets of 100 / 1,000 / 5,000 units
at random nodes, K = 5:
- latency per query, route included (``Fleet.nearest(lat, lon)``: snap + search + routes), p50/p99, with
  and without crow-flies explanations; wall clock (perf_counter) and this thread's CPU time (the machine
  is shared, so CPU time shows the cost without preemption by other processes);
- cost of a position update (``Fleet.upsert``: snap + relink);
- correctness: travel times identical to scipy's full Dijkstra (reverse graph from the incident node) on
  1,000 random queries (units and incidents exactly on nodes);
- baselines measured in the same run: scipy full Dijkstra per query, networkx full Dijkstra on a subset,
  and the same early-stopping search in pure Python (heapq) on a subset.

Run from the project root: ``.venv/bin/python bench/dispatch.py [--quick]``.
Writes bench/results/dispatch.json and prints one summary line.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import time

import numpy as np
from _common import RESULTS_DIR, percentiles, require_data, write_result

from lastmeter.dispatching.algorithms.nearest import Fleet
from lastmeter.roads.algorithms.graph import RoadGraph
from lastmeter.roads.algorithms.loaders import load_dimacs10, load_ngraph_bin
from lastmeter.roads.algorithms.network import RoadNetwork, warm_up

GRAPHS = {
    "luxembourg": ("osm_large/luxembourg.osm.graph", lambda p: load_dimacs10(p)),
    "moscow": ("osm_large/moscow-roads.co.bin", lambda p: load_ngraph_bin(p)),
}
TARGETS_MS = {"moscow": {5000: 2.0, 100: 20.0}}  # p99 per query with route, from the issue


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 4)


def pct_ms(samples) -> dict[str, float]:
    return {k: round(v * 1000.0, 4) for k, v in percentiles(samples, (50, 90, 99)).items()} | {
        "max": round(max(samples) * 1000.0, 4)
    }


def load_cached(name: str, rel: str, loader) -> tuple[RoadGraph, dict]:
    """Parse the source once into bench/results/cache/<name>.npz; time loading that cache."""
    (src,) = require_data(rel)
    cache = RESULTS_DIR / "cache" / f"{name}.npz"
    cache.parent.mkdir(parents=True, exist_ok=True)
    info: dict = {}
    if not cache.exists() or cache.stat().st_mtime < src.stat().st_mtime:
        t = time.perf_counter()
        graph = loader(src)
        info["parse_source_s"] = round(time.perf_counter() - t, 3)
        graph.save_npz(cache)
    t = time.perf_counter()
    graph = RoadGraph.load_npz(cache)
    info["npz_load_s"] = round(time.perf_counter() - t, 3)
    info["npz_bytes"] = cache.stat().st_size
    return graph, info


def reverse_matrix(graph: RoadGraph):
    import scipy.sparse as sp

    n = graph.n_nodes
    fwd = sp.csr_matrix((graph.seconds.astype(np.float64), graph.indices, graph.indptr), shape=(n, n))
    return fwd.T.tocsr()


def python_early_stop(rindptr, rindices, rsec, target_of, source: int, k: int):
    """The same algorithm in pure Python: reverse Dijkstra from the incident until k units are settled,
    then the route of each (parent walk).  Baseline only."""
    dist = {source: 0.0}
    parent = {source: -1}
    heap = [(0.0, source)]
    done = set()
    found = []
    while heap and len(found) < k:
        d, v = heapq.heappop(heap)
        if v in done:
            continue
        done.add(v)
        for u in target_of.get(v, ()):
            found.append((d, u, v))
            if len(found) >= k:
                break
        for j in range(rindptr[v], rindptr[v + 1]):
            w = rindices[j]
            nd = d + rsec[j]
            if nd < dist.get(w, float("inf")):
                dist[w] = nd
                parent[w] = v
                heapq.heappush(heap, (nd, w))
    routes = []
    for _, _, v in found[:k]:
        path = [v]
        while parent[path[-1]] >= 0:
            path.append(parent[path[-1]])
        routes.append(path)
    return found[:k], routes


def bench_graph(name: str, rel: str, loader, args, rng: np.random.Generator) -> dict:
    from scipy.sparse.csgraph import dijkstra

    graph, load_info = load_cached(name, rel, loader)
    t = time.perf_counter()
    net = RoadNetwork(graph)
    load_info["index_build_s"] = round(time.perf_counter() - t, 3)  # reverse CSR, chain contraction, grid
    state = net.state
    out: dict = {
        "nodes": graph.n_nodes,
        "directed_edges": graph.n_edges,
        "core_nodes": state.core.n_core,
        "core_edges": int(state.core.rindices.size),
        "speed_assumption": graph.meta.get("speeds"),
        "load": load_info,
        "fleets": {},
    }
    print(
        f"[{name}] {graph.n_nodes:,} nodes, {graph.n_edges:,} directed edges, core {state.core.n_core:,} nodes; "
        f"npz load {load_info['npz_load_s']} s, index {load_info['index_build_s']} s",
        flush=True,
    )
    snapper = state.snapper
    has_road = np.flatnonzero(snapper._node_seg() >= 0)
    fleets: dict[int, tuple[Fleet, np.ndarray]] = {}
    for n_units in args.fleets:
        nodes = rng.choice(has_road, size=n_units, replace=False)
        fleet = Fleet(net)
        for i, v in enumerate(nodes.tolist()):
            fleet.upsert(
                i, float(graph.lat[v]), float(graph.lon[v]), agency="police", snap=snapper.snap_to_node(v)
            )
        fleets[n_units] = (fleet, nodes)

    # ---------------------------------------------------------------- latency (route included)
    queries = rng.choice(has_road, size=args.queries).tolist()
    for n_units, (fleet, _) in fleets.items():
        res: dict = {}
        for explain in (True, False):
            wall, cpu, settled = [], [], []
            for v in queries[:20]:  # warm caches / branch predictors, not measured
                fleet.nearest(float(graph.lat[v]), float(graph.lon[v]), args.k, explain=explain)
            gc.disable()
            for v in queries:
                lat, lon = float(graph.lat[v]), float(graph.lon[v])
                t0, c0 = time.perf_counter(), time.thread_time()
                rec = fleet.nearest(lat, lon, args.k, explain=explain)
                c1, t1 = time.thread_time(), time.perf_counter()
                wall.append(t1 - t0)
                cpu.append(c1 - c0)
                settled.append(rec.settled_nodes)
            gc.enable()
            res["with_explanations" if explain else "without_explanations"] = {
                "wall_ms": pct_ms(wall),
                "cpu_ms": pct_ms(cpu),
                "settled_core_nodes": {k: round(v, 1) for k, v in percentiles(settled, (50, 99)).items()},
            }
        # position updates: move units to random positions near roads (10 m jitter), snap + relink
        wall = []
        movers = rng.integers(0, n_units, size=args.updates)
        spots = rng.choice(has_road, size=args.updates)
        jitter = rng.normal(0, 10 / 111_000, size=(args.updates, 2))
        for i in range(args.updates):
            lat = float(graph.lat[spots[i]] + jitter[i, 0])
            lon = float(graph.lon[spots[i]] + jitter[i, 1])
            t0 = time.perf_counter()
            fleet.upsert(int(movers[i]), lat, lon)
            wall.append(time.perf_counter() - t0)
        res["position_update_us"] = {k: round(v * 1e6, 2) for k, v in percentiles(wall, (50, 99)).items()}
        # put units back on their nodes for the correctness check
        for i, v in enumerate(fleets[n_units][1].tolist()):
            fleet.upsert(i, float(graph.lat[v]), float(graph.lon[v]), snap=snapper.snap_to_node(v))
        out["fleets"][n_units] = res
        r = res["with_explanations"]
        print(
            f"[{name}] {n_units:>5} units: p50 {r['wall_ms']['p50']:.3f} ms, p99 {r['wall_ms']['p99']:.3f} ms wall "
            f"(cpu p99 {r['cpu_ms']['p99']:.3f} ms); update p50 {res['position_update_us']['p50']:.1f} µs",
            flush=True,
        )

    # ---------------------------------------------------------------- correctness + scipy baseline
    rev = reverse_matrix(graph)
    checks = rng.choice(has_road, size=args.checks).tolist()
    mismatches = {n: 0 for n in fleets}
    scipy_s = []
    ours_s = {n: [] for n in fleets}
    for v in checks:
        t0 = time.perf_counter()
        dist = dijkstra(rev, indices=v)  # dist[x] = travel time x -> v
        for n_units, (_, nodes) in fleets.items():
            np.partition(dist[nodes], min(args.k, n_units) - 1)
        scipy_s.append(time.perf_counter() - t0)
        inc = snapper.snap_to_node(v)
        for n_units, (fleet, nodes) in fleets.items():
            t0 = time.perf_counter()
            rec = fleet.nearest_to_snap(inc, args.k, explain=False)
            ours_s[n_units].append(time.perf_counter() - t0)
            ref = np.sort(dist[nodes])[: args.k]
            ref = ref[np.isfinite(ref)]
            got = np.array([u.seconds for u in rec.units])
            if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-9, atol=1e-6):
                mismatches[n_units] += 1
    scipy_p50 = float(np.median(scipy_s))
    out["correctness"] = {
        "queries": len(checks),
        "reference": "scipy.sparse.csgraph.dijkstra (full, reverse graph from the incident node)",
        "mismatches": {str(n): m for n, m in mismatches.items()},
        "identical": all(m == 0 for m in mismatches.values()),
    }
    out["baselines"] = {
        "scipy_full_dijkstra_ms": pct_ms(scipy_s),
        "ratio_scipy_over_ours_p50": {
            str(n): round(scipy_p50 / float(np.median(s)), 1) for n, s in ours_s.items()
        },
    }
    print(
        f"[{name}] correctness: {len(checks)} queries, mismatches {mismatches}; "
        f"scipy full Dijkstra p50 {ms(scipy_p50)} ms",
        flush=True,
    )

    # ---------------------------------------------------------------- pure-Python early stop (same algorithm)
    rindptr, rindices, rsec, _ = graph.reverse
    rindptr_l, rindices_l, rsec_l = rindptr.tolist(), rindices.tolist(), rsec.astype(np.float64).tolist()
    py: dict = {}
    for n_units, (_, nodes) in fleets.items():
        target_of: dict[int, list[int]] = {}
        for i, v in enumerate(nodes.tolist()):
            target_of.setdefault(v, []).append(i)
        times = []
        for v in queries[: args.python_queries]:
            t0 = time.perf_counter()
            python_early_stop(rindptr_l, rindices_l, rsec_l, target_of, v, args.k)
            times.append(time.perf_counter() - t0)
        ours = out["fleets"][n_units]["without_explanations"]["wall_ms"]["p50"]
        py[str(n_units)] = {
            "queries": len(times),
            "wall_ms": pct_ms(times),
            "ratio_over_ours_p50": round(ms(float(np.median(times))) / ours, 1),
        }
    out["baselines"]["python_heapq_early_stop"] = py
    del rindptr_l, rindices_l, rsec_l

    # ---------------------------------------------------------------- networkx (subset: slow)
    if args.networkx > 0:
        import networkx as nx

        t0 = time.perf_counter()
        g_rev = nx.DiGraph()
        g_rev.add_weighted_edges_from(
            zip(
                graph.indices.tolist(), graph.tail.tolist(), graph.seconds.astype(float).tolist(), strict=True
            )
        )
        build = time.perf_counter() - t0
        _, nodes = fleets[min(fleets)]
        times = []
        for v in queries[: args.networkx]:
            t0 = time.perf_counter()
            d = nx.single_source_dijkstra_path_length(g_rev, v)
            sorted(d.get(int(u), float("inf")) for u in nodes)[: args.k]
            times.append(time.perf_counter() - t0)
        del g_rev
        gc.collect()
        nx_p50 = float(np.median(times))
        out["baselines"]["networkx_full_dijkstra"] = {
            "queries": len(times),
            "graph_build_s": round(build, 2),
            "wall_ms": pct_ms(times),
            "ratio_over_ours_p50": {
                str(n): round(nx_p50 * 1000 / r["without_explanations"]["wall_ms"]["p50"], 1)
                for n, r in out["fleets"].items()
            },
        }
        print(f"[{name}] networkx full Dijkstra p50 {ms(nx_p50)} ms ({len(times)} queries)", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small smoke run (fewer queries, Luxembourg only)"
    )
    parser.add_argument("--graphs", default=None, help="comma list: luxembourg,moscow")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    args.k = 5
    args.fleets = [100, 1000, 5000]
    if args.quick:
        args.queries, args.updates, args.checks, args.python_queries, args.networkx = 200, 500, 30, 10, 2
        names = (args.graphs or "luxembourg").split(",")
    else:
        args.queries, args.updates, args.checks, args.python_queries, args.networkx = 3000, 3000, 1000, 100, 5
        names = (args.graphs or "luxembourg,moscow").split(",")
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    warm_up()
    warm_s = time.perf_counter() - t
    results: dict = {}
    for name in names:
        rel, loader = GRAPHS[name]
        results[name] = bench_graph(name, rel, loader, args, rng)
        gc.collect()

    verdicts = {}
    for name, by_units in TARGETS_MS.items():
        if name not in results:
            continue
        for n_units, target in by_units.items():
            p99 = results[name]["fleets"][n_units]["with_explanations"]["wall_ms"]["p99"]
            cpu99 = results[name]["fleets"][n_units]["with_explanations"]["cpu_ms"]["p99"]
            verdicts[f"{name}_{n_units}_units"] = {
                "target_p99_ms": target,
                "p99_wall_ms": p99,
                "p99_cpu_ms": cpu99,
                "met_wall": p99 <= target,
                "met_cpu": cpu99 <= target,
            }
    parts = []
    for name, r in results.items():
        f = r["fleets"]
        ratio = r["baselines"]["ratio_scipy_over_ours_p50"]
        parts.append(
            f"{name} {r['nodes']:,} nodes: p99 wall/CPU {f[5000]['with_explanations']['wall_ms']['p99']:.2f}/"
            f"{f[5000]['with_explanations']['cpu_ms']['p99']:.2f} ms @5000 units, "
            f"{f[100]['with_explanations']['wall_ms']['p99']:.2f}/{f[100]['with_explanations']['cpu_ms']['p99']:.2f}"
            f" ms @100 (route+explanations); "
            f"update p50 {f[5000]['position_update_us']['p50']:.0f} µs; "
            f"{'identical' if r['correctness']['identical'] else 'MISMATCH'} to scipy on "
            f"{r['correctness']['queries']} queries; {ratio['5000']}×/{ratio['100']}× faster than scipy full "
            f"Dijkstra; npz load {r['load']['npz_load_s']} s"
        )
    summary = "dispatch: " + " | ".join(parts)
    if verdicts:
        # On a shared machine the wall-clock tail is mostly time spent preempted by other processes;
        # the per-thread CPU time is the cost of the query itself.  Both are reported.
        cpu_ok = all(v["met_cpu"] for v in verdicts.values())
        wall_ok = all(v["met_wall"] for v in verdicts.values())
        load = os.getloadavg()[0]
        summary += (
            f" | targets p99 (2 ms @5000, 20 ms @100 on Moscow): CPU time {'MET' if cpu_ok else 'NOT MET'}, "
            f"wall clock {'MET' if wall_ok else 'NOT MET'} (load average {load:.1f} on {os.cpu_count()} CPUs)"
        )
    payload = {
        "quick": args.quick,
        "k": args.k,
        "load_average": os.getloadavg(),
        "kernel_warm_up_s": round(warm_s, 3),
        "targets": verdicts,
        "graphs": results,
    }
    write_result("dispatch", payload, summary)
    ok = all(r["correctness"]["identical"] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
