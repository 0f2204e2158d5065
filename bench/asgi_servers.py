"""Benchmark: CPU per request of `lastmeter serve` under daphne and under uvicorn, same application.

One web process of the deployment layout (``lastmeter.ops.cluster``, no worker: the jobs the
requests queue just wait) over a copy of the load benchmark's seeded template on PostgreSQL,
for each server in turn. Each gets the same requests from ``--clients`` concurrent clients: unit
position reports (the hottest endpoint, one token each) and signed Telegram webhooks (new appeals).
What counts is the web process's own CPU time (user + system, from the process) per answered request
— the figure that decides how many requests a core serves on a machine shared with the load
generator —, with the wall-clock throughput and latency beside it.

Run: ``.venv/bin/python bench/asgi_servers.py`` (after bench/load.py has seeded its template).
Writes bench/results/asgi_servers.json and prints one summary line.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import PROJECT_ROOT, percentiles, write_result
from load import POINT, TEMPLATE_DB, admin_sql, database_exists, url_of

RUN_DB = "lastmeter_bench_asgi"
SEED = PROJECT_ROOT / "var" / "bench-load" / "seed.json"


def wait_idle(process, *, quiet_cpu_s: float = 0.05, every_s: float = 2.0, limit_s: float = 240.0) -> None:
    """Wait until the web process has finished warming up (the road network, the triage models and
    the hotspot statistic load in background threads at start): its CPU time grows by less than
    ``quiet_cpu_s`` over ``every_s``. Otherwise the warm-up's CPU is counted against the requests."""
    deadline = time.monotonic() + limit_s
    last = sum(process.cpu_times()[:2])
    while time.monotonic() < deadline:
        time.sleep(every_s)
        now = sum(process.cpu_times()[:2])
        if now - last < quiet_cpu_s:
            return
        last = now


def run_server(server: str, args: argparse.Namespace, seed: dict) -> dict:
    import httpx
    import psutil
    import redis

    from lastmeter.ops.cluster import Cluster, ClusterSpec
    from lastmeter.testing.chat import ChatTraffic, appeal_text, platform_env

    admin_sql(
        f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)',
        f'CREATE DATABASE "{RUN_DB}" TEMPLATE "{TEMPLATE_DB}"',
    )
    redis.Redis.from_url(args.redis).flushdb()
    api = "http://127.0.0.1:9"  # no worker runs: nothing is sent
    cluster = Cluster(
        ClusterSpec(
            database_url=url_of(RUN_DB),
            redis_url=args.redis,
            web=1,
            workers=0,
            proxy="python",
            var_dir=PROJECT_ROOT / "var" / "bench-asgi" / server,
            env={**platform_env(api), "LASTMETER_LOG_LEVEL": "WARNING", "LASTMETER_ASGI_SERVER": server},
        )
    )
    traffic = ChatTraffic(api, seed=11)
    units = seed["units"]
    out: dict[str, dict] = {}
    try:
        cluster.run("collectstatic", "--no-input", "--verbosity", "0")
        cluster.start()
        web = cluster.web[0]
        base = f"http://127.0.0.1:{web.port}"
        process = psutil.Process(web.pid)
        wait_idle(process)

        def position(client: httpx.Client, n: int) -> httpx.Response:
            unit = units[n % len(units)]
            return client.post(
                f"/api/v1/units/{unit['id']}/positions",
                json={"lat": POINT[0], "lon": POINT[1] + (n % 97) * 1e-5},
                headers={"Authorization": f"Bearer {unit['token']}"},
            )

        def webhook(client: httpx.Client, n: int) -> httpx.Response:
            resident = traffic.resident("telegram", 300_000 + n, chat=300 + n % 11)
            d = traffic.message("telegram", resident, appeal_text(400_000 + n * 7))
            return client.post(d.path, content=d.body, headers=d.headers)

        for name, send in (("position", position), ("webhook", webhook)):
            with httpx.Client(base_url=base, timeout=60) as warm:
                for n in range(20):
                    send(warm, 900_000 + n)
            offset = 0 if name == "position" else 1_000_000

            local = threading.local()

            def one(n: int, send=send, offset=offset, local=local) -> tuple[float, int]:
                client = getattr(local, "client", None)
                if client is None:  # one kept-alive connection per client thread, as behind nginx
                    client = local.client = httpx.Client(base_url=base, timeout=60)
                started = time.perf_counter()
                status = send(client, offset + n).status_code
                return time.perf_counter() - started, status

            cpu = process.cpu_times()
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(one, range(args.requests)))
            wall = time.perf_counter() - started
            after = process.cpu_times()
            used = (after.user - cpu.user) + (after.system - cpu.system)
            ok = [t for t, status in results if status == 200]
            q = percentiles(ok, (50, 99)) if ok else {"p50": 0.0, "p99": 0.0}
            out[name] = {
                "requests": len(results),
                "ok": len(ok),
                "cpu_ms_per_request": round(used * 1000 / max(1, len(ok)), 2),
                "per_s": round(len(ok) / wall, 1),
                "p50_ms": round(q["p50"] * 1000, 1),
                "p99_ms": round(q["p99"] * 1000, 1),
            }
            print(f"[bench] {server} {name}: {out[name]}", flush=True)
    finally:
        cluster.stop()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=600, help="requests of each kind per server (600)")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = p.parse_args()
    if not (database_exists(TEMPLATE_DB) and SEED.exists()):
        raise SystemExit(f"no {TEMPLATE_DB}: run bench/load.py once to seed it")
    seed = json.loads(SEED.read_text())
    servers = {server: run_server(server, args, seed) for server in ("daphne", "uvicorn")}
    admin_sql(f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)')
    ratio = {
        kind: round(
            servers["uvicorn"][kind]["cpu_ms_per_request"] / servers["daphne"][kind]["cpu_ms_per_request"], 2
        )
        for kind in servers["daphne"]
    }
    summary = "asgi_servers: CPU ms per request daphne → uvicorn: " + ", ".join(
        f"{kind} {servers['daphne'][kind]['cpu_ms_per_request']} → {servers['uvicorn'][kind]['cpu_ms_per_request']}"
        for kind in servers["daphne"]
    )
    write_result(
        "asgi_servers",
        {
            "setup": {
                "requests": args.requests,
                "clients": args.clients,
                "web_processes": 1,
                "proxy": "none",
            },
            "servers": servers,
            "uvicorn_over_daphne_cpu": ratio,
        },
        summary,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
