"""Profile one level dashboard's JSON on the stats bench's database, without the whole bench.

Asks ``--calls`` times for one dashboard of ``bench/stats.py`` (same user, target, year-long
windows and sign-in), through Django's test client, and prints per call the wall time, the time
spent in SQL and the number of queries; then the median and p95. ``--sql`` adds each query's
median time (grouped by its text, first columns cut short); ``--cprofile`` the Python side's
heaviest functions. A profiling aid, not a benchmark: no lock, no result file (timed figures
are ``bench/stats.py``'s). Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lastmeter_bench \\
        .venv/bin/python bench/profile_dashboard.py leadership --calls 12 --sql
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

# ``--root DIR`` profiles another checkout's code (an A/B against main in the same conditions).
if "--root" in sys.argv:
    _root = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
    sys.path[:0] = [str(_root / "bench"), str(_root)]
else:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
import stats as bench_stats

PATHS = {
    "leadership": "/api/v1/stats/dashboards/leadership",
    "community": "/api/v1/stats/dashboards/community/{community}",
    "grid": "/api/v1/stats/dashboards/grid/{grid}",
    "department": "/api/v1/stats/dashboards/department/{department}",
}


class QueryClock:
    """Times every query run through Django's connection (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.spent: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.spent.append((sql, (time.perf_counter() - started) * 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("level", choices=sorted(PATHS))
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--seed", type=int, default=20240101, help="the windows' seed (the bench's)")
    parser.add_argument("--sql", action="store_true", help="each query's median time")
    parser.add_argument("--dump", help="write each answer's JSON to this file (to compare two checkouts)")
    parser.add_argument("--root", help="the checkout whose code is profiled (default: this one)")
    parser.add_argument("--cprofile", action="store_true", help="the Python side's heaviest functions")
    args = parser.parse_args()
    bench_stats.setup_django()

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    import lastmeter

    print(f"[profile] lastmeter from {Path(lastmeter.__file__).parent}")
    scope = next(s for s in bench_stats.SCOPES if s[0] == args.level)
    path = PATHS[args.level].format(**bench_stats.target_ids())
    client = Client()
    bench_stats.sign_in(client, scope[1])
    ranges = bench_stats.windows(args.calls, args.seed)

    def ask(r):
        response = client.get(path, {**scope[2], "from": r[0].isoformat(), "to": r[1].isoformat()})
        assert response.status_code == 200, response.content[:300]
        return response

    ask(ranges[0])  # warm: imports, translations, the connection
    walls, sqls, counts = [], [], []
    per_query: dict[str, list[float]] = defaultdict(list)
    profiler = cProfile.Profile() if args.cprofile else None
    answers = []
    for r in ranges:
        clock = QueryClock()
        with connection.execute_wrapper(clock):
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            response = ask(r)
            wall = (time.perf_counter() - started) * 1000
            if profiler:
                profiler.disable()
        answers.append(response.json())
        sql = sum(ms for _q, ms in clock.spent)
        walls.append(wall)
        sqls.append(sql)
        counts.append(len(clock.spent))
        for q, ms in clock.spent:
            per_query[" ".join(q.split())[:160]].append(ms)
        print(f"{r[0]}..{r[1]}  {wall:7.1f} ms  sql {sql:6.1f} ms  {len(clock.spent)} queries")
    p95 = sorted(walls)[max(0, round(0.95 * len(walls)) - 1)]
    print(
        f"{args.level}: median {statistics.median(walls):.1f} ms (p95 ~{p95:.1f}, {len(walls)} calls); "
        f"sql median {statistics.median(sqls):.1f} ms; queries {min(counts)}–{max(counts)}"
    )
    if args.dump:
        Path(args.dump).write_text(json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True))
    if args.sql:
        calls = len(walls)
        for q, times in sorted(per_query.items(), key=lambda kv: -sum(kv[1])):
            print(f"{sum(times) / calls:7.2f} ms/call  ×{len(times) / calls:.0f}  {q}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
