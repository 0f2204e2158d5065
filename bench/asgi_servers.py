"""Benchmark: CPU per request of `lastmeter serve` by server and by how Django takes HTTP, same application.

Configurations: daphne and uvicorn with Django's ASGI handler (LASTMETER_HTTP_INTERFACE=asgi, the
layout before 2026-12-07's second session), and uvicorn with the WSGI handler in a thread pool
(a2wsgi, the default since). The first is the baseline of the ratios.

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

from _common import PROJECT_ROOT, percentiles, wait_idle, write_result
from load import POINT, TEMPLATE_DB, admin_sql, database_exists, url_of

RUN_DB = "lastmeter_bench_asgi"
SEED = PROJECT_ROOT / "var" / "bench-load" / "seed.json"


CONFIGS = (("daphne", "asgi"), ("uvicorn", "asgi"), ("uvicorn", "wsgi"))


def run_server(server: str, interface: str, args: argparse.Namespace, seed: dict) -> dict:
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
            var_dir=PROJECT_ROOT / "var" / "bench-asgi" / f"{server}-{interface}",
            env={
                **platform_env(api),
                "LASTMETER_LOG_LEVEL": "WARNING",
                "LASTMETER_ASGI_SERVER": server,
                "LASTMETER_HTTP_INTERFACE": interface,
            },
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

        def healthz(client: httpx.Client, n: int) -> httpx.Response:
            return client.get("/healthz")  # what the stack costs around a view that does little

        for name, send in (("healthz", healthz), ("position", position), ("webhook", webhook)):
            with httpx.Client(base_url=base, timeout=60) as warm:
                for n in range(20):
                    send(warm, 900_000 + n)
            offset = 1_000_000 if name == "webhook" else 0

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
            print(f"[bench] {server}+{interface} {name}: {out[name]}", flush=True)
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
    runs = {
        f"{server}+{interface}": run_server(server, interface, args, seed) for server, interface in CONFIGS
    }
    admin_sql(f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)')
    base = "+".join(CONFIGS[0])
    ratio = {
        name: {
            kind: round(run[kind]["cpu_ms_per_request"] / runs[base][kind]["cpu_ms_per_request"], 2)
            for kind in run
        }
        for name, run in runs.items()
        if name != base
    }
    summary = (
        "asgi_servers: CPU ms per request ("
        + " → ".join(runs)
        + "): "
        + ", ".join(
            f"{kind} " + " → ".join(str(run[kind]["cpu_ms_per_request"]) for run in runs.values())
            for kind in runs[base]
        )
    )
    write_result(
        "asgi_servers",
        {
            "setup": {
                "requests": args.requests,
                "clients": args.clients,
                "web_processes": 1,
                "proxy": "none",
                "baseline": base,
            },
            "servers": runs,
            "cpu_over_baseline": ratio,
        },
        summary,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
