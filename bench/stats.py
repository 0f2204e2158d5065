"""Figures on years of history (issue 12 §5): every stats endpoint on 1M appeals, PostgreSQL.

1. Makes sure the dedicated database (``DATABASE_URL``, e.g. ``…/lastmeter_bench``; created if
   missing) holds the demo jurisdiction and ``--n`` appeals over ``--years`` drawn with
   ``--seed`` (`lastmeter demo --history`). The database's comment records what it holds, so a
   rerun with the same N, years and seed reuses it; anything else is dropped and drawn again.
2. Times each URL of ``ENDPOINTS`` in each scope of ``SCOPES`` (``--requests`` requests over
   year-long windows, through Django's test client, logged in as the scope's user), and the
   BASELINE in the same run: the same figures by plain ORM aggregation over the raw tables
   (``stats.raw`` for the rollup's sums, the raw measures for the rest), no rollup.
3. Times each export of ``EXPORTS`` for a year of one grid (target ≤ 2 s).

Writes bench/results/stats.json and prints one line. Target: every dashboard's data ≤ 300 ms at
p95. Run: ``make bench-stats`` or
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/lastmeter_bench .venv/bin/python bench/stats.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_report, machine_snapshot, percentiles, write_result

# --- what is timed: add a dashboard's JSON endpoint or an export here after merging it ----------
# (name, URL path, query parameters, scopes or None for every scope). The path may name the
# scope's target ids: {grid}, {community}, {department} (see TARGETS). A scope the endpoint
# refuses (403) is recorded as refused. The baseline is ``baseline_for(name)``: the endpoint's
# own raw computation for the API's measures, else the whole dashboard's (appeals with YoY,
# times, hours, transfers) from the raw rows.
ENDPOINTS: list[tuple[str, str, dict[str, str], tuple[str, ...] | None]] = [
    ("appeals", "/api/v1/stats/appeals", {"period": "month", "compare": "yoy"}, None),
    ("satisfaction", "/api/v1/stats/satisfaction", {"period": "month", "compare": "yoy"}, None),
    ("hours", "/api/v1/stats/appeals/hours", {}, None),
    ("transfers", "/api/v1/stats/transfers", {}, None),
    ("incidents", "/api/v1/stats/incidents", {}, None),
    # The level dashboards: everything a dashboard page shows, as JSON.
    ("dashboard", "/api/v1/stats/dashboards/leadership", {}, ("leadership",)),
    ("dashboard", "/api/v1/stats/dashboards/community/{community}", {}, ("community",)),
    ("dashboard", "/api/v1/stats/dashboards/grid/{grid}", {}, ("grid",)),
    ("dashboard", "/api/v1/stats/dashboards/department/{department}", {}, ("department",)),
]
# (name, URL path, query parameters): a year of one grid, asked by the "grid" scope; ≤ 2 s.
EXPORTS: list[tuple[str, str, dict[str, str]]] = [
    ("grid year, whole dashboard, XLSX", "/stats/grid/{grid}/export/", {"format": "xlsx"}),
    ("grid year, categories, CSV", "/stats/grid/{grid}/export/", {"format": "csv", "table": "categories"}),
]
# (name, username, query parameters): who asks, for which area (codes of the demo).
SCOPES: list[tuple[str, str, dict[str, str]]] = [
    ("leadership", "leader", {}),
    ("community", "leader", {"community": "renmin-sq"}),
    ("grid", "officer1", {"grid": "nanjing-w-1"}),
    ("department", "liaison", {}),
]
# The targets named in paths: the demo's community and grid of the scopes above, and the
# department of the demo's liaison.
TARGETS = {"community": "renmin-sq", "grid": "nanjing-w-1", "department": "liaison"}
TARGET_MS = 300
EXPORT_TARGET_S = 2.0
GENERATOR = "history-v2"  # bump when the generator's draws change, so old databases are redrawn


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")
    import django

    django.setup()


def sign_in(client, username: str) -> None:
    """Log ``client`` in as ``username``, second factor included when the role needs one (a
    deployment on PostgreSQL requires it: a real TOTP code, as the tests sign in)."""
    from django.contrib.auth import get_user_model

    from lastmeter.accounts.twofactor import must_verify
    from lastmeter.testing.auth import verify_session

    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    if must_verify(user):
        session = client.session
        verify_session(session, user)
        session.save()


# --- the database ---------------------------------------------------------------------------------


def database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def admin_execute(sql: str) -> None:
    """Run ``sql`` on the server's ``postgres`` database (create/drop the bench database)."""
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    with psycopg.connect(
        dbname="postgres", user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"] or 5432,
        autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(sql)


def stored_marker() -> dict | None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
            )
            row = cursor.fetchone()
    except Exception:  # the database does not exist yet
        connection.close()
        return None
    try:
        return json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}


def ensure_history(n: int, years: float, seed: int) -> dict:
    """The marker of a database holding exactly this history, drawing it if needed."""
    from django.core.management import call_command
    from django.db import connection

    from lastmeter.demo.history_writer import generate_history
    from lastmeter.demo.loader import load_demo
    from lastmeter.stats.models import RollupState
    from lastmeter.stats.rollups import ROLLUP, rebuild

    want = {"generator": GENERATOR, "n": n, "years": years, "seed": seed}
    marker = stored_marker()
    if marker is not None and {k: marker.get(k) for k in want} == want:
        print(f"[bench] reusing {database_name()}: {n} appeals over {years:g} years, seed {seed}", flush=True)
        # New rollup tables since the draw: their migration forgets the watermark; rebuild then.
        call_command("migrate", verbosity=0)
        if not RollupState.objects.filter(name=ROLLUP).exists():
            started = time.perf_counter()
            rebuild()
            marker.setdefault("timings", {})["rollup"] = round(time.perf_counter() - started, 2)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"[bench] rollup rebuilt in {marker['timings']['rollup']:.0f} s", flush=True)
        return marker
    name = database_name()
    connection.close()
    if marker is not None:
        admin_execute(f'DROP DATABASE "{name}"')
    admin_execute(f'CREATE DATABASE "{name}"')
    print(f"[bench] drawing {n} appeals over {years:g} years into {name} …", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_demo()
    demo_s = round(time.perf_counter() - started, 1)
    timings = generate_history(
        n,
        years=years,
        seed=seed,
        report=lambda step, s, rows: print(f"[bench]   {step}: {s:.1f} s", flush=True),
    )
    marker = {**want, "demo_s": demo_s, "timings": timings, "drawn": time.strftime("%Y-%m-%d")}
    with connection.cursor() as cursor:
        # Fresh planner statistics: autovacuum may not have looked at the new rows yet.
        cursor.execute("ANALYZE")
        cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [json.dumps(marker)])
    return marker


# --- timing -------------------------------------------------------------------------------------


def windows(requests: int, seed: int) -> list[tuple[date, date]]:
    """Year-long windows ending on varied days of the last year and a half (so that the year
    before, for the YoY comparison, is inside the history too)."""
    from django.utils import timezone

    from lastmeter.stats.rollups import local_day

    today = local_day(timezone.now())
    rng = random.Random(seed)
    out = []
    for _ in range(requests):
        end = today - timedelta(days=rng.randint(1, 540))
        out.append((end - timedelta(days=364), end))
    return out


def timed(fn, runs: list, budget_s: float) -> list[float]:
    """Milliseconds of ``fn(arg)`` for each arg, stopping early (after 3) past the budget."""
    out = []
    started = time.perf_counter()
    for arg in runs:
        t = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - t) * 1000)
        if len(out) >= 3 and time.perf_counter() - started > budget_s:
            break
    return out


def baseline_for(name: str):
    """The raw computation of an endpoint's figures for a checked request (no rollup tables):
    ``stats.raw`` — ORM aggregation over appeals, clocks, events, transfers and ratings."""
    from lastmeter.stats import measures
    from lastmeter.stats.raw import raw_hours, raw_sums, raw_times, raw_transfers

    def sums(req):
        raw_sums(req.slice, req.period)
        if req.compare:
            raw_sums(req.slice.shifted(req.compare), None)

    def appeals(req):
        sums(req)
        raw_times(req.slice, req.by)

    def dashboard(req):
        # What a dashboard shows: a monthly trend with YoY and MoM totals, times (overall and
        # per officer), hour × weekday, the transfer table.
        raw_sums(req.slice, "month")
        raw_sums(req.slice.shifted("yoy"), None)
        raw_sums(req.slice.shifted("mom"), None)
        raw_times(req.slice, None)
        raw_times(req.slice, "officer")
        raw_hours(req.slice)
        raw_transfers(req.slice)

    def department(req):
        # A department's dashboard: its transfers with YoY and MoM, by category.
        for sl in (req.slice, req.slice.shifted("yoy"), req.slice.shifted("mom")):
            raw_transfers(sl)

    table = {
        "department": department,
        "appeals": appeals,
        "satisfaction": sums,
        "hours": lambda req: raw_hours(req.slice),
        "transfers": lambda req: raw_transfers(req.slice),
        "incidents": lambda req: measures.incident_table(req.slice),  # incidents have no rollup
    }
    return table.get(name, dashboard)


def checked_request(username: str, params: dict[str, str], start: date, end: date, transfers: bool):
    from dataclasses import replace

    from lastmeter.accounts.models import Person
    from lastmeter.accounts.selectors import scope_for
    from lastmeter.stats.selectors import check_request, require_appeal_figures, require_transfer_figures

    scope = scope_for(Person.objects.get(user__username=username))
    if transfers:
        grids, departments = require_transfer_figures(scope)
    else:
        grids, departments = require_appeal_figures(scope), None
    req = check_request(
        grids, start=start.isoformat(), end=end.isoformat(), period=params.get("period"), by=params.get("by"),
        compare=params.get("compare"), grid=params.get("grid"), community=params.get("community"),
    )  # fmt: skip
    return replace(req, slice=replace(req.slice, department_ids=departments))


def target_ids() -> dict[str, int]:
    from lastmeter.accounts.models import OrgUnit, RoleAssignment
    from lastmeter.grids.models import Grid

    return {
        "community": OrgUnit.objects.get(code=TARGETS["community"]).pk,
        "grid": Grid.objects.get(code=TARGETS["grid"]).pk,
        "department": RoleAssignment.objects.filter(person__user__username=TARGETS["department"])
        .exclude(department=None)
        .values_list("department_id", flat=True)
        .first(),
    }


def run(args) -> dict:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from lastmeter.lib.errors import NotAllowed

    setup_test_environment()
    ranges = windows(args.requests, args.seed)
    targets = target_ids()
    results = []
    for scope_name, username, scope_params in SCOPES:
        client = Client()
        sign_in(client, username)
        for name, template, params, only in ENDPOINTS:
            if only is not None and scope_name not in only:
                continue
            path = template.format(**targets)
            query = {**params, **scope_params}
            probe = client.get(path, {**query, "from": ranges[0][0], "to": ranges[0][1]})
            row = {"endpoint": name, "scope": scope_name, "path": path, "params": query}
            if probe.status_code != 200:
                results.append({**row, "status": probe.status_code})
                continue

            def ask(r, client=client, path=path, query=query):
                response = client.get(path, {**query, "from": r[0].isoformat(), "to": r[1].isoformat()})
                assert response.status_code == 200, response.content[:300]

            fast = timed(ask, ranges, args.budget)
            try:
                # A department sees transfers only: its dashboard's raw figures are transfers'.
                transfers_only = name == "transfers" or scope_name == "department"
                baseline = baseline_for("department" if scope_name == "department" else name)
                reqs = [checked_request(username, query, a, b, transfers_only) for a, b in ranges]
                slow = timed(baseline, reqs[: args.baseline_requests], args.budget)
            except NotAllowed:
                slow = []
            p = percentiles(fast, (50, 95))
            b = percentiles(slow, (50, 95)) if slow else {}
            row.update(
                requests=len(fast),
                p50_ms=round(p["p50"], 1),
                p95_ms=round(p["p95"], 1),
                baseline_requests=len(slow),
                baseline_p50_ms=round(b["p50"], 1) if b else None,
                baseline_p95_ms=round(b["p95"], 1) if b else None,
                ratio_p50=round(b["p50"] / p["p50"], 2) if b else None,
                meets_target=p["p95"] <= TARGET_MS,
            )
            print(
                f"[bench] {scope_name:10s} {name:12s} p50 {row['p50_ms']:8.1f} ms  p95 {row['p95_ms']:8.1f} ms"
                f"  baseline p50 {row['baseline_p50_ms']} ms  ×{row['ratio_p50']}",
                flush=True,
            )
            results.append(row)
    exports = []
    grid_scope = next(s for s in SCOPES if s[0] == "grid")
    for name, template, params in EXPORTS:
        path = template.format(**targets)
        client = Client()
        sign_in(client, grid_scope[1])
        query = {**params, **grid_scope[2]}

        def export(r, q=query, p=path, c=client):
            response = c.get(p, {**q, "from": r[0].isoformat(), "to": r[1].isoformat()})
            assert response.status_code == 200, response.content[:300]

        ms = timed(export, ranges[:5], args.budget)
        print(
            f"[bench] export {name}: p50 {percentiles(ms, (50,))['p50']:.0f} ms, max {max(ms):.0f} ms",
            flush=True,
        )
        exports.append({"export": name, "path": path, "p50_ms": round(percentiles(ms, (50,))["p50"], 1),
                        "max_ms": round(max(ms), 1), "meets_target": max(ms) <= EXPORT_TARGET_S * 1000})  # fmt: skip
    return {"endpoints": results, "exports": exports}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="appeals of history (default 1,000,000)")
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--requests", type=int, default=30, help="requests per endpoint and scope")
    parser.add_argument(
        "--baseline-requests", type=int, default=5, help="baseline requests per endpoint and scope"
    )
    parser.add_argument("--budget", type=float, default=60, help="seconds per endpoint and scope at most")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("[bench] set DATABASE_URL to a dedicated PostgreSQL database, e.g. "
              "postgres://postgres@127.0.0.1:5432/lastmeter_bench", file=sys.stderr)  # fmt: skip
        raise SystemExit(2)
    setup_django()
    marker = ensure_history(args.n, args.years, args.seed)
    before = machine_snapshot()
    timings = run(args)
    machine = machine_report(before, machine_snapshot())
    rows = [r for r in timings["endpoints"] if "p95_ms" in r]
    worst = max(rows, key=lambda r: r["p95_ms"])
    ratios = sorted(r["ratio_p50"] for r in rows if r["ratio_p50"])
    summary = (
        f"stats: {args.n:,} appeals over {args.years:g} years on PostgreSQL; worst p95 {worst['p95_ms']:.0f} ms "
        f"({worst['scope']} {worst['endpoint']}; target {TARGET_MS}); {sum(r['meets_target'] for r in rows)}/"
        f"{len(rows)} within target; median ×{ratios[len(ratios) // 2] if ratios else 0} faster than raw ORM; "
        f"history drawn and written in {sum(marker.get('timings', {}).values()):.0f} s"
    )
    write_result(
        "stats",
        {
            "database": "postgresql",
            "n": args.n,
            "years": args.years,
            "seed": args.seed,
            "requests": args.requests,
            "target_p95_ms": TARGET_MS,
            "history": marker,
            "machine_load": machine,
            **timings,
        },
        summary,
    )


if __name__ == "__main__":
    main()
