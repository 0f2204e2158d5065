"""Benchmark: the scaled-out deployment under a realistic mix of load (issue 15 §2).

What runs, all on this machine over loopback: the cluster of deploy/README.md
(``lastmeter.ops.cluster``: N `lastmeter serve` and M `lastmeter worker` processes, PostgreSQL at
127.0.0.1:5432, Redis at 127.0.0.1:6379, nginx or the loopback proxy in front), the chat platforms'
send APIs played by ``lastmeter.testing.platforms`` (where the workers deliver the replies), and
locust as a library, headless (bench/load_mix.py), offering per second:

- ``--inbound-per-s`` inbound items (default 300, the issue's target): 80 % chat webhooks with
  valid signatures on Telegram, DingTalk, Feishu and WeCom (of which 60 % new appeals, 15 %
  follow-ups quoting an earlier message, 15 % chatter, 10 % exact re-deliveries), 10 % posts of the
  resident's web form, 10 % Open311 POST /requests;
- positions of ``--units`` units (2,000) every ``--position-every`` s (10) through the API, each with
  its unit's own token;
- ``--staff`` dispatchers reading the appeal queue and appeal pages (1 page/s each);
- ``--listeners`` command-centre websockets, counting what they hear.

Locust is closed-loop: each user offers one request per second (trackers: their share of units) and
waits for its answer, so when the cluster saturates the offered rate falls and the latency shows it.
Per configuration — ``1x1`` (the baseline: one server, one worker) and ``2x2`` (the cluster) — for
``--duration`` seconds each (60): per endpoint throughput and p50/p95/p99 (locust); end-to-end from
sending a webhook to the appeal's row (the webhook only stores the item and queues its processing;
a worker triages it and writes the appeal, so this is when it reaches the officer's queue) and to
the reporter's acknowledgement leaving the outbox (``sent_at``), read off the database after at most
``--drain`` seconds (60) of letting the workers catch up; and whether the database holds every row (every answered webhook, form and Open311 post stored
once and processed, every position kept). Each configuration starts from a copy of one seeded
template database (the demo jurisdiction, ``--units`` units with tokens, an Open311 key).

Run: ``make bench-load`` or ``.venv/bin/python bench/load.py [--duration 300]``. Writes
bench/results/load.json and prints one summary line. Needs PostgreSQL and Redis (exits non-zero
without them under CI=true).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    PROJECT_ROOT,
    in_ci,
    machine_report,
    machine_snapshot,
    percentiles,
    wait_idle,
    write_result,
)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TEMPLATE_DB = "lastmeter_bench_load_seed"
RUN_DB = "lastmeter_bench_load"
SEED_VERSION = 1
# People's Square, inside the demo's grids: where forms, Open311 requests and units are placed.
POINT = (31.2330, 121.4750)
TARGETS = {"inbound_per_s": 300, "webhook_p99_ms": 200, "positions_per_s": 500}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=60, help="seconds of load per configuration (60)")
    p.add_argument("--inbound-per-s", type=float, default=300, help="inbound items offered per second (300)")
    p.add_argument("--units", type=int, default=2000, help="units reporting positions (2000)")
    p.add_argument("--position-every", type=float, default=10, help="seconds between a unit's positions (10)")
    p.add_argument("--staff", type=int, default=4, help="dispatchers reading pages (4)")
    p.add_argument("--listeners", type=int, default=3, help="command-centre websockets (3)")
    p.add_argument("--drain", type=float, default=60, help="seconds to let the workers catch up (60)")
    p.add_argument("--configs", default="1x1,2x2", help="web×workers per run, baseline first (1x1,2x2)")
    p.add_argument("--proxy", choices=["auto", "nginx", "python"], default="auto")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    p.add_argument("--reseed", action="store_true", help="rebuild the template database")
    args = p.parse_args()
    if args.duration <= 0 or args.duration > 1800 or args.inbound_per_s <= 0 or args.units < 20:
        p.error("--duration in (0, 1800], --inbound-per-s > 0, --units ≥ 20")
    return args


def services_or_exit(redis_url: str) -> None:
    import psycopg
    import redis

    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # no PostgreSQL or Redis: nothing to measure
        print(f"[bench] SERVICES ABSENT: PostgreSQL 127.0.0.1:5432 and Redis needed ({exc})", file=sys.stderr)
        raise SystemExit(1 if in_ci() else 0) from None


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def url_of(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


# --- the seeded template ----------------------------------------------------------------------


def seed_template(args: argparse.Namespace, workdir: Path) -> dict:
    """The demo jurisdiction plus the load's own fixtures, in TEMPLATE_DB; the fixture's secrets
    (tokens, the staff session, the Open311 key) in a JSON beside it. Reused while the same
    number of units was asked for."""
    info_path = PROJECT_ROOT / "var" / "bench-load" / "seed.json"
    if not args.reseed and info_path.exists() and database_exists(TEMPLATE_DB):
        info = json.loads(info_path.read_text())
        if info.get("version") == SEED_VERSION and len(info["units"]) == args.units:
            return info
    admin_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)', f'CREATE DATABASE "{TEMPLATE_DB}"')
    from lastmeter.ops.cluster import LOOPBACK_SECRET_KEY

    # The staff session is signed with the key the cluster's processes use.
    env = {
        **os.environ,
        "DATABASE_URL": url_of(TEMPLATE_DB),
        "LASTMETER_VAR_DIR": str(workdir),
        "LASTMETER_SECRET_KEY": LOOPBACK_SECRET_KEY,
    }
    python = [sys.executable, "-m", "lastmeter.cli"]
    print("[bench] seeding the template: the demo jurisdiction …", flush=True)
    subprocess.run([*python, "demo"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    print(f"[bench] seeding the template: {args.units} units with tokens …", flush=True)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--seed-fixtures", str(args.units)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["version"] = SEED_VERSION
    info_path.parent.mkdir(parents=True, exist_ok=True)
    info_path.write_text(json.dumps(info))
    return info


def seed_fixtures(units: int) -> None:
    """(In the template database.) Units with an officer and a positions-only token each, an
    Open311 key, a dispatcher's session; prints them as one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from lastmeter.accounts.choices import Role, TokenScope
    from lastmeter.accounts.models import Person, RoleAssignment
    from lastmeter.accounts.tokens import issue_token
    from lastmeter.appeals.models import Appeal, Category
    from lastmeter.dispatching.models import Unit
    from lastmeter.open311.models import issue_key
    from lastmeter.testing.servers import session_cookie

    rows = []
    with transaction.atomic():
        for n in range(units):
            person = Person.objects.create(name=f"巡逻民警{n:04d}", phone=f"1380000{n:04d}")
            RoleAssignment.objects.create(person=person, role=Role.COMMUNITY_POLICE)
            unit = Unit.objects.create(
                code=f"LOAD-{n:04d}",
                name=f"巡逻车{n:04d}",
                agency="police",
                unit_type="patrol_car",
                person=person,
                lat=POINT[0],
                lon=POINT[1],
            )
            rows.append({"id": unit.pk, "token": issue_token(person, "tracker", scope=TokenScope.POSITIONS)})
        dispatcher = get_user_model().objects.get(username="dispatcher")
        info = {
            "units": rows,
            "open311_key": issue_key("load benchmark"),
            "staff_cookie": session_cookie(dispatcher),
            "service_codes": list(
                Category.objects.filter(department__isnull=True).values_list("code", flat=True)
            ),
            "appeal_ids": list(Appeal.objects.values_list("id", flat=True)),
        }
    print(json.dumps(info))


# --- one configuration ------------------------------------------------------------------------


def run_config(web: int, workers: int, args: argparse.Namespace, seed: dict, workdir: Path) -> dict:
    from lastmeter.ops.cluster import Cluster, ClusterSpec
    from lastmeter.ops.tcpproxy import free_port
    from lastmeter.testing.chat import platform_env

    admin_sql(
        f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)',
        f'CREATE DATABASE "{RUN_DB}" TEMPLATE "{TEMPLATE_DB}"',
    )
    import redis

    redis.Redis.from_url(args.redis).flushdb()  # the previous run's channel layer and cache
    fake_port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "lastmeter.testing.platforms", "--port", str(fake_port)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{fake_port}"
    spec = ClusterSpec(
        database_url=url_of(RUN_DB),
        redis_url=args.redis,
        web=web,
        workers=workers,
        proxy=args.proxy,
        # Kept after the run (PROJECT/var/bench-load): each process's log is in logs/.
        var_dir=PROJECT_ROOT / "var" / "bench-load" / f"cluster-{web}x{workers}",
        env={**platform_env(api), "LASTMETER_LOG_LEVEL": "WARNING"},
    )
    cluster = Cluster(spec)
    label = f"{web}x{workers}"
    try:
        cluster.run("collectstatic", "--no-input", "--verbosity", "0")
        cluster.start()
        # A deployment meets its peak warm: wait until every web process has loaded the road
        # network and the triage models and compiled the hotspot statistic (about 40 s of CPU each,
        # in background threads), else that compiling is measured as the load's.
        import psutil

        warmed = time.monotonic()
        for process in cluster.web:
            wait_idle(psutil.Process(process.pid))
        print(
            f"[bench] {label}: {cluster.describe().splitlines()[0]}; warm after {time.monotonic() - warmed:.0f} s; "
            f"load for {args.duration:g} s",
            flush=True,
        )
        try:
            unloaded = probe(cluster.base_url, api, seed)
        except Exception as exc:  # a probe that fails says so in the JSON; the load still runs
            unloaded = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        snap = machine_snapshot()
        cpu_before = cluster_cpu(cluster)
        load = run_locust(cluster.base_url, api, args, seed, workdir / f"load-{label}.json")
        machine = machine_report(snap, machine_snapshot())
        machine["cluster_cpu_s"] = {
            k: round(v - cpu_before.get(k, 0.0), 1) for k, v in cluster_cpu(cluster).items()
        }
        drained = drain(args.drain, load["started_at"])
        print(f"[bench] {label}: outbox drained: {drained}", flush=True)
        platforms = json.loads(
            subprocess.run(
                ["curl", "-s", f"{api}/__fake/stats"], capture_output=True, text=True, check=False
            ).stdout
            or "{}"
        )
    finally:
        cluster.stop()
        fake.terminate()
        fake.wait(10)
    db = read_database(load)
    return {
        "web_processes": web,
        "workers": workers,
        "proxy": cluster.proxy_kind,
        "seconds": load["seconds"],
        "users": load["users"],
        "unloaded_ms": unloaded,
        "endpoints": load["endpoints"],
        "failures": load["failures"],
        "websocket_events_heard": load["ws_events"],
        "machine": machine,
        "drain": drained,
        "platforms": platforms,
        **db,
    }


def probe(host: str, api: str, seed: dict, rounds: int = 10) -> dict:
    """One request at a time, before the load: what each kind of request costs on its own (p50 ms
    of ``rounds``), so the loaded figures can be read against the service time."""
    import httpx

    from lastmeter.testing.chat import PLATFORMS, ChatTraffic, appeal_text

    traffic = ChatTraffic(api, seed=999)
    unit = seed["units"][0]
    out: dict[str, float] = {}
    with httpx.Client(base_url=host, timeout=180) as client:

        def timed(name: str, send) -> None:
            # Untimed first: each web process loads its road network, tokeniser and models lazily
            # (the proxy takes turns, so one round per process).
            for n in range(4):
                send(rounds + n)
            samples = []
            for n in range(rounds):
                t = time.perf_counter()
                r = send(n)
                samples.append(time.perf_counter() - t)
                if r.status_code >= 400:
                    raise RuntimeError(f"{name}: HTTP {r.status_code} {r.text[:200]}")
            out[name] = round(percentiles(samples, (50,))["p50"] * 1000, 1)

        for platform in PLATFORMS:
            resident = traffic.resident(platform, 900_000, chat=900)

            def webhook(n: int, platform=platform, resident=resident):
                d = traffic.message(platform, resident, appeal_text(900_000 + n * 37))
                return client.post(d.path, content=d.body, headers=d.headers)

            timed(f"webhook {platform}", webhook)
        timed(
            "API POST /units/{id}/positions",
            lambda n: client.post(
                f"/api/v1/units/{unit['id']}/positions",
                json={"lat": POINT[0], "lon": POINT[1] + n * 1e-5},
                headers={"Authorization": f"Bearer {unit['token']}"},
            ),
        )
        cookie = {"Cookie": f"sessionid={seed['staff_cookie']}"}
        timed("page /appeals/ (queue)", lambda n: client.get("/appeals/", headers=cookie))
        timed(
            "page /appeals/{id}/",
            lambda n: client.get(
                f"/appeals/{seed['appeal_ids'][n % len(seed['appeal_ids'])]}/", headers=cookie
            ),
        )
    return out


def cluster_cpu(cluster) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each of the cluster's processes. The machine is
    shared: what the cluster got of it, next to what it served, is the figure that carries over."""
    import psutil

    out = {}
    for process in [*cluster.web, *cluster.workers, *([cluster.nginx] if cluster.nginx else [])]:
        try:
            times = psutil.Process(process.pid).cpu_times()
        except (psutil.Error, TypeError):
            continue
        out[process.name] = times.user + times.system
    return out


def run_locust(host: str, api: str, args: argparse.Namespace, seed: dict, out: Path) -> dict:
    share = {"webhooks": 0.8, "web_form": 0.1, "open311": 0.1}
    plan = {
        "host": host,
        "platform_api": api,
        "seed": int(time.time()) % 1000,
        "duration_s": args.duration,
        "rates": {k: args.inbound_per_s * v for k, v in share.items()},
        "units": seed["units"],
        "units_per_tracker": 20,
        "position_every_s": args.position_every,
        "staff": args.staff,
        "listeners": args.listeners,
        "staff_cookie": seed["staff_cookie"],
        "open311_key": seed["open311_key"],
        "service_codes": seed["service_codes"],
        "appeal_ids": seed["appeal_ids"],
        "point": POINT,
        "out": str(out),
    }
    plan_path = out.with_suffix(".plan.json")
    plan_path.write_text(json.dumps(plan))
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "load_mix.py"), str(plan_path)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        check=True,
        timeout=args.duration + 300,
    )
    return json.loads(out.read_text())


# --- reading the database afterwards ------------------------------------------------------------


def _django(db_name: str) -> None:
    if "django" not in sys.modules or not os.environ.get("_LOAD_DJANGO_READY"):
        os.environ["DATABASE_URL"] = url_of(db_name)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")
        import django

        django.setup()
        os.environ["_LOAD_DJANGO_READY"] = "1"


def drain(limit_s: float, since: float) -> dict:
    """Wait (at most ``limit_s``) until the workers have caught up with what the load sent since
    the epoch ``since``: no inbound item left to process (webhooks only store them; the workers
    triage) and nothing left in the outbox to deliver (the seeded demo keeps a few rows it cannot
    deliver, written before ``since``)."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url_of(RUN_DB).replace("postgres://", "postgresql://"), autocommit=True) as conn:
        undelivered = unprocessed = None
        at_start = None
        while True:
            unprocessed = conn.execute(
                "SELECT count(*) FROM intake_inbounditem WHERE status = 'pending' AND received_at >= to_timestamp(%s)",
                (since,),
            ).fetchone()[0]
            undelivered = conn.execute(
                "SELECT count(*) FROM appeals_outboxmessage WHERE state IN ('pending', 'sending')"
                " AND created_at >= to_timestamp(%s)",
                (since,),
            ).fetchone()[0]
            if at_start is None:
                at_start = {"items_unprocessed": unprocessed, "replies_undelivered": undelivered}
            if (undelivered == 0 and unprocessed == 0) or time.monotonic() - started > limit_s:
                break
            time.sleep(1)
    return {
        "seconds": round(time.monotonic() - started, 1),
        "when_the_load_stopped": at_start,
        "items_unprocessed_left": unprocessed,
        "undelivered_left": undelivered,
    }


def read_database(load: dict) -> dict:
    """End-to-end latencies and row checks from the run's database (raw SQL: the run database is
    recreated for each configuration, so a fresh connection each time)."""
    import psycopg

    sent = load["sent"]
    # The first answered send of each message (a re-delivery repeats an answered one).
    answered: dict[str, dict] = {}
    for s in sent:
        if s["ok"] and s["kind"] != "redelivery":
            answered.setdefault(s["key"], s)
    with psycopg.connect(url_of(RUN_DB).replace("postgres://", "postgresql://")) as conn:
        items = {
            key: (status, decision, appeal_id, created, ack_sent, ack_state)
            for key, status, decision, appeal_id, created, ack_sent, ack_state in conn.execute(
                """
                SELECT i.dedupe_key, i.status, i.decision, i.appeal_id,
                       extract(epoch FROM a.created_at), extract(epoch FROM o.sent_at), o.state
                FROM intake_inbounditem i
                LEFT JOIN appeals_appeal a ON a.id = i.appeal_id AND i.decision = 'new_appeal'
                LEFT JOIN appeals_outboxmessage o ON o.key LIKE 'intake:' || i.id || ':%%'
                WHERE i.channel IN ('telegram', 'dingtalk', 'feishu', 'wecom')
                """
            )
        }
        by_channel = dict(
            conn.execute(
                "SELECT channel, count(*) FROM intake_inbounditem WHERE received_at >= to_timestamp(%s)"
                " GROUP BY channel",
                (load["started_at"],),
            ).fetchall()
        )
        pending = conn.execute(
            "SELECT count(*) FROM intake_inbounditem WHERE status <> 'done'"
            " AND channel IN ('telegram', 'dingtalk', 'feishu', 'wecom', 'web', 'open311')"
        ).fetchone()[0]
        positions = dict(
            conn.execute(
                "SELECT unit_id, count(*) FROM dispatching_positionreport GROUP BY unit_id"
            ).fetchall()
        )
        outbox = dict(
            conn.execute(
                "SELECT state, count(*) FROM appeals_outboxmessage WHERE created_at >= to_timestamp(%s)"
                " GROUP BY state",
                (load["started_at"],),
            ).fetchall()
        )
        appeals = conn.execute("SELECT count(*) FROM appeals_appeal").fetchone()[0]
        processed_during_load = conn.execute(
            "SELECT count(*) FROM intake_inbounditem WHERE decided_at BETWEEN to_timestamp(%s) AND to_timestamp(%s)"
            " AND channel IN ('telegram', 'dingtalk', 'feishu', 'wecom', 'web', 'open311')",
            (load["started_at"], load["started_at"] + load["seconds"]),
        ).fetchone()[0]
        without_clocks = conn.execute(
            "SELECT count(*) FROM appeals_appeal a WHERE NOT EXISTS"
            " (SELECT 1 FROM appeals_clock c WHERE c.appeal_id = a.id)"
        ).fetchone()[0]
    to_appeal, to_ack = [], []
    decisions: dict[str, int] = {}
    for key, s in answered.items():
        row = items.get(key)
        if row is None:
            continue
        decisions[row[1] or "?"] = decisions.get(row[1] or "?", 0) + 1
        if s["kind"] != "new":
            continue
        if row[1] == "new_appeal" and row[3] is not None:
            to_appeal.append(float(row[3]) - s["at"])
        if row[4] is not None:  # the answer in the chat: the acknowledgement, or "already reported"
            to_ack.append(float(row[4]) - s["at"])
    missing = [k for k in answered if k not in items]
    endpoints = load["endpoints"]

    def answered_ok(name: str) -> int:
        row = endpoints.get(name) or {}
        return int(row.get("requests", 0)) - int(row.get("failures", 0))

    # Position history is kept per unit up to dispatching's HISTORY_PER_UNIT (1000): far more than
    # a run sends, so every answered report must have its row.
    kept_ok = all(positions.get(int(unit), 0) >= n for unit, n in load["positions_ok"].items())
    return {
        "end_to_end_s": {
            "webhook_to_appeal_row": _stats(to_appeal),
            "webhook_to_ack_sent": _stats(to_ack),
            "new_appeals_answered": sum(1 for s in answered.values() if s["kind"] == "new"),
            "acks_sent": len(to_ack),
        },
        "database": {
            "webhooks_answered_200": len(answered),
            "webhooks_answered_but_not_stored": len(missing),
            "webhook_decisions": decisions,
            "inbound_items_by_channel": by_channel,
            "web_forms_answered": answered_ok("web form (post)"),
            "every_answered_form_stored": by_channel.get("web", 0) >= answered_ok("web form (post)"),
            "open311_answered_201": answered_ok("open311 POST /requests"),
            "every_answered_open311_stored": by_channel.get("open311", 0)
            >= answered_ok("open311 POST /requests"),
            "inbound_items_not_done": pending,
            "appeals_total": appeals,
            "items_processed_during_load": processed_during_load,
            "appeals_without_clocks": without_clocks,
            "outbox_by_state_since_start": outbox,
            "position_rows": sum(positions.values()),
            "positions_answered_200": sum(load["positions_ok"].values()),
            "every_answered_position_kept": kept_ok,
        },
    }


def _stats(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    out = {k: round(v, 3) for k, v in percentiles(xs, (50, 95, 99)).items()}
    return {"n": len(xs), **out, "max": round(max(xs), 3)}


# --- the whole run ----------------------------------------------------------------------------


def summary_row(result: dict) -> dict:
    """The figures the summary line and docs/BENCHMARKS.md quote, for one configuration."""
    eps = result["endpoints"]
    hooks = [v for k, v in eps.items() if k.startswith("webhook ")]
    inbound = [v for k, v in eps.items() if k.startswith(("webhook ", "web form (post)", "open311"))]
    positions = eps.get("API POST /units/{id}/positions", {})
    secs = result["seconds"] or 1
    answered = sum(v["requests"] - v["failures"] for k, v in eps.items() if not k.startswith("websocket"))
    cpu = sum(result["machine"].get("cluster_cpu_s", {}).values())
    return {
        "cluster_cores_used": round(cpu / secs, 2),
        "requests_per_cluster_cpu_s": round(answered / cpu, 1) if cpu else None,
        "inbound_per_s": round(sum(v["requests"] - v["failures"] for v in inbound) / secs, 1),
        "new_appeals_per_s": round(result["end_to_end_s"]["new_appeals_answered"] / secs, 1),
        "webhook_p99_ms_worst_platform": max((v["p99_ms"] or 0 for v in hooks), default=None),
        "positions_per_s": round((positions.get("requests", 0) - positions.get("failures", 0)) / secs, 1),
        "position_p99_ms": positions.get("p99_ms"),
        "failures": sum(v["failures"] for v in eps.values()),
        "processed_per_s": round(result["database"].get("items_processed_during_load", 0) / secs, 1),
    }


def markdown(path: Path) -> str:
    """The tables of docs/BENCHMARKS.md from a result file (``bench/load.py --markdown``)."""
    doc = json.loads(path.read_text())
    labels = list(doc["runs"])
    lines = [
        "| endpoint | "
        + " | ".join(f"{label}: req/s | p50 | p95 | p99 ms | failed" for label in labels)
        + " |",
        "|---|" + "---:|" * (5 * len(labels)),
    ]
    names = sorted({n for r in doc["runs"].values() for n in r["endpoints"]})
    for name in names:
        cells = []
        for label in labels:
            e = doc["runs"][label]["endpoints"].get(name)
            cells += (
                [str(e["per_s"]), str(e["p50_ms"]), str(e["p95_ms"]), str(e["p99_ms"]), str(e["failures"])]
                if e
                else [""] * 5
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| figure | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    rows = [
        ("inbound answered /s", lambda r, s: s["inbound_per_s"]),
        ("new-appeal webhooks answered /s", lambda r, s: s["new_appeals_per_s"]),
        ("webhook p99 ms (worst platform)", lambda r, s: s["webhook_p99_ms_worst_platform"]),
        ("positions answered /s", lambda r, s: s["positions_per_s"]),
        ("requests failed", lambda r, s: s["failures"]),
        ("webhook → appeal row p50 / p99 s", lambda r, s: _pair(r["end_to_end_s"]["webhook_to_appeal_row"])),
        ("webhook → reply sent p50 / p99 s", lambda r, s: _pair(r["end_to_end_s"]["webhook_to_ack_sent"])),
        ("items processed by the workers /s (during the load)", lambda r, s: s.get("processed_per_s")),
        (
            "items / replies waiting when the load stopped",
            lambda r, s: (
                "{items_unprocessed} / {replies_undelivered}".format(**r["drain"]["when_the_load_stopped"])
                if r["drain"].get("when_the_load_stopped")
                else "–"
            ),
        ),
        ("drain: seconds until the workers caught up", lambda r, s: r["drain"]["seconds"]),
        (
            "items still unprocessed after the drain",
            lambda r, s: r["drain"].get("items_unprocessed_left", "–"),
        ),
        ("replies still undelivered after the drain", lambda r, s: r["drain"]["undelivered_left"]),
        (
            "answered but not stored (webhooks)",
            lambda r, s: r["database"]["webhooks_answered_but_not_stored"],
        ),
        ("items not processed", lambda r, s: r["database"]["inbound_items_not_done"]),
        ("appeals without clocks", lambda r, s: r["database"]["appeals_without_clocks"]),
        (
            "every answered form / Open311 / position stored",
            lambda r, s: "/".join(
                "yes" if r["database"][k] else "NO"
                for k in (
                    "every_answered_form_stored",
                    "every_answered_open311_stored",
                    "every_answered_position_kept",
                )
            ),
        ),
        ("cores the cluster got (of 2)", lambda r, s: s.get("cluster_cores_used")),
        ("requests per cluster CPU-second", lambda r, s: s.get("requests_per_cluster_cpu_s")),
        ("load average at start", lambda r, s: r["machine"]["loadavg_start"][0]),
    ]
    for title, get in rows:
        lines.append(
            f"| {title} | "
            + " | ".join(str(get(doc["runs"][lb], doc["summary"][lb])) for lb in labels)
            + " |"
        )
    return "\n".join(lines)


def _pair(stats: dict) -> str:
    return f"{stats['p50']} / {stats['p99']}" if stats.get("n") else "–"


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seed-fixtures":
        seed_fixtures(int(sys.argv[2]))
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--markdown":
        print(markdown(PROJECT_ROOT / "bench" / "results" / "load.json"))
        return
    args = parse_args()
    services_or_exit(args.redis)
    configs = []
    for text in args.configs.split(","):
        web, _, workers = text.partition("x")
        configs.append((int(web), int(workers)))
    with tempfile.TemporaryDirectory(prefix="lastmeter-bench-load-") as tmp:
        workdir = Path(tmp)
        seed = seed_template(args, workdir)
        runs = {}
        for web, workers in configs:
            runs[f"{web}x{workers}"] = run_config(web, workers, args, seed, workdir)
            # What is measured so far survives a later configuration's failure.
            partial = PROJECT_ROOT / "var" / "bench-load" / "partial.json"
            partial.write_text(json.dumps(runs, ensure_ascii=False, indent=1, default=float))
    rows = {label: summary_row(r) for label, r in runs.items()}
    base_label, *others = list(rows)
    ratios = {
        label: {
            k: round(rows[label][k] / rows[base_label][k], 2)
            for k in ("inbound_per_s", "positions_per_s")
            if rows[base_label][k]
        }
        for label in others
    }
    payload = {
        "setup": {
            "duration_s": args.duration,
            "offered": {
                "inbound_per_s": args.inbound_per_s,
                "positions_per_s": round(args.units / args.position_every, 1),
                "staff_pages_per_s": args.staff,
                "websocket_listeners": args.listeners,
            },
            "units": args.units,
            "mix": "inbound: 80 % chat webhooks (60 % new, 15 % follow-up, 15 % chatter, 10 % re-delivery; "
            "Telegram, DingTalk, Feishu, WeCom), 10 % web form, 10 % Open311",
            "drain_limit_s": args.drain,
            "database": "postgresql 127.0.0.1:5432 (a copy of one seeded template per configuration)",
            "redis": args.redis,
        },
        "targets": TARGETS,
        "summary": rows,
        "ratios_over_baseline": ratios,
        "runs": runs,
    }
    last = rows[list(rows)[-1]]
    summary = (
        "load: "
        + "; ".join(
            f"{label}: inbound {r['inbound_per_s']}/s (new appeals {r['new_appeals_per_s']}/s), webhook p99 "
            f"{r['webhook_p99_ms_worst_platform']} ms, positions {r['positions_per_s']}/s"
            for label, r in rows.items()
        )
        + f" — targets {TARGETS['inbound_per_s']}/s, p99 ≤ {TARGETS['webhook_p99_ms']} ms, positions "
        f"≥ {TARGETS['positions_per_s']}/s: {'met' if _met(last) else 'not met'} on {list(rows)[-1]}"
    )
    write_result("load", payload, summary)


def _met(row: dict) -> bool:
    return (
        row["inbound_per_s"] >= TARGETS["inbound_per_s"]
        and (row["webhook_p99_ms_worst_platform"] or 1e9) <= TARGETS["webhook_p99_ms"]
        and row["positions_per_s"] >= TARGETS["positions_per_s"]
    )


if __name__ == "__main__":
    main()
