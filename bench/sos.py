"""Benchmark: how fast an officer's SOS reaches the command centre and the officer's group.

The issue's promise: an SOS, with live position, reaches within a second the command centre (with a
sound) and every member of the officer's command groups (with a route to the officer).

Set-up, all real parts: a fresh database (SQLite file by default, ``--postgres`` for the PostgreSQL
at 127.0.0.1:5432), two daphne servers on loopback sharing Redis as the channel layer (the
scale-out deployment; ``--redis`` URL, default ``$REDIS_URL`` or redis://127.0.0.1:6379/14), the
test jurisdiction of lastmeter.testing.world with a command group (the officer, a colleague and the
dispatcher) on an incident the officer is dispatched to.

Each round: the officer's phone POSTs /api/v1/sos to server A; we time, from just before the
request is sent,
- ``command_centre``: arrival of "sos.raised" on the dispatcher's websocket on server B;
- ``colleague``: arrival of "sos.raised" on the colleague's websocket on server B;
- ``colleague_with_route``: the colleague's phone then asks server B for the road route to the
  officer (what phone.js does on the event); time until the route is back.
Then the officer resolves the alarm so the next press raises a new one. ``--idle-sockets`` extra
command-centre sockets stay connected on both servers, so the fan-out is not to one listener only.

Baselines measured in the same run, on the same servers: an authenticated HTTP GET round trip
(/api/v1/sos on server A) and a websocket round trip with no work (ping → pong on server B). The
figures: p50/p90/p99/max per recipient, the ratio of p99 to the 1 s target, and the ratio of the
SOS delivery p50 to the plain HTTP round trip p50 (what the push costs over a bare request).

Run from the project root: ``.venv/bin/python bench/sos.py [--alarms 200] [--postgres]``.
Writes bench/results/sos.json and prints one summary line. Needs Redis (exits non-zero without it
under CI=true; otherwise says so and stops).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import in_ci, percentiles, write_result

TARGET_S = 1.0
# Real street corners of the test jurisdiction (People's Square, Shanghai), on the main road network.
OFFICER_AT = (31.23585, 121.47640)  # 福州路福建中路口
COLLEAGUE_AT = (31.23000, 121.48000)  # 广西北路一带 (grid B)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alarms", type=int, default=200, help="SOS rounds to time (default 200)")
    p.add_argument("--idle-sockets", type=int, default=40, help="extra command-centre sockets (default 40)")
    p.add_argument("--postgres", action="store_true", help="use a fresh database on 127.0.0.1:5432")
    p.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14")
    return p.parse_args()


def redis_or_exit(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:  # any connection failure means: no scale-out set-up to measure
        print(
            f"[bench] REDIS ABSENT: {url} does not answer ({exc}); the two-server set-up needs it",
            file=sys.stderr,
        )
        raise SystemExit(1 if in_ci() else 0) from None


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def configure(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    """Point Django at a fresh database and the shared Redis, before Django is imported."""
    db_url = (
        fresh_postgres("lastmeter_bench_sos") if args.postgres else f"sqlite:///{workdir / 'sos.sqlite3'}"
    )
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": args.redis,
        "LASTMETER_VAR_DIR": str(workdir),
        "DJANGO_SETTINGS_MODULE": "lastmeter.settings",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def build_scene():
    """The test jurisdiction, the officer and a colleague dispatched to one incident, one command group."""
    from lastmeter.accounts.auth import issue_token
    from lastmeter.dispatching.assignments import do_dispatch
    from lastmeter.dispatching.command import do_open_command_group
    from lastmeter.dispatching.models import Incident, Unit
    from lastmeter.testing.servers import session_cookie
    from lastmeter.testing.world import build_world

    world = build_world()
    units = []
    for code, person, where in (
        ("P-1", world.grid_officer, OFFICER_AT),
        ("P-2", world.other_officer, COLLEAGUE_AT),
    ):
        units.append(
            Unit.objects.create(
                code=code,
                name=f"巡逻车{code}",
                agency="police",
                unit_type="patrol_car",
                person=person,
                lat=where[0],
                lon=where[1],
            )
        )
    incident = Incident.objects.create(
        title="九江路有人打架", lat=OFFICER_AT[0], lon=OFFICER_AT[1], address="福州路"
    )
    do_dispatch(incident, [u.pk for u in units], world.scope(world.dispatcher))
    do_open_command_group(incident, world.scope(world.dispatcher))
    return {
        "officer_token": issue_token(world.grid_officer, "phone"),
        "colleague_token": issue_token(world.other_officer, "phone"),
        "dispatcher_cookie": session_cookie(world.dispatcher.user),
        "colleague_cookie": session_cookie(world.other_officer.user),
        "officer_at": OFFICER_AT,
        "colleague_at": COLLEAGUE_AT,
    }


class Listener:
    """One websocket client; records when each (event, alarm id) first arrives."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.arrivals: dict[tuple[str, int], float] = {}
        self.pongs: asyncio.Queue[float] = asyncio.Queue()
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for raw in self.ws:
            now = time.perf_counter()
            msg = json.loads(raw)
            event, payload = msg.get("event"), msg.get("payload") or {}
            if event == "pong":
                self.pongs.put_nowait(now)
            elif isinstance(payload, dict) and "id" in payload:
                self.arrivals.setdefault((event, int(payload["id"])), now)

    async def wait_for(self, event: str, alarm_id: int, timeout_s: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout_s
        while (event, alarm_id) not in self.arrivals:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{event} for alarm {alarm_id} did not arrive in {timeout_s}s")
            await asyncio.sleep(0.0005)
        return self.arrivals[(event, alarm_id)]


async def connect(server, cookie: str) -> Listener:
    from websockets.asyncio.client import connect as ws_connect

    ws = await ws_connect(
        server.ws_url, origin=server.base_url, additional_headers={"Cookie": f"sessionid={cookie}"}
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
    if hello.get("event") != "hello":
        raise RuntimeError(f"expected hello, got {hello}")
    return Listener(ws)


async def measure(a, b, scene: dict, args: argparse.Namespace) -> dict:
    import httpx

    officer = {"Authorization": f"Bearer {scene['officer_token']}"}
    colleague_auth = {"Authorization": f"Bearer {scene['colleague_token']}"}
    board = await connect(b, scene["dispatcher_cookie"])
    colleague = await connect(b, scene["colleague_cookie"])
    idle = [await connect(a if i % 2 else b, scene["dispatcher_cookie"]) for i in range(args.idle_sockets)]
    lat, lon = scene["officer_at"]
    clat, clon = scene["colleague_at"]
    route_query = {"from": f"{clat},{clon}", "to": f"{lat},{lon}"}

    samples: dict[str, list[float]] = {
        "command_centre": [],
        "colleague": [],
        "colleague_with_route": [],
        "sos_post": [],
    }
    baselines: dict[str, list[float]] = {"http_get_round_trip": [], "websocket_round_trip": []}
    async with (
        httpx.AsyncClient(base_url=a.base_url, timeout=10) as on_a,
        httpx.AsyncClient(base_url=b.base_url, timeout=10) as on_b,
    ):
        t = time.perf_counter()
        r = await on_b.get("/api/v1/roads/route", params=route_query, headers=colleague_auth)
        cold_route_s = time.perf_counter() - t  # the server loads the road network on first use
        r.raise_for_status()
        for i in range(args.alarms + 5):  # the first 5 rounds warm connections and caches, untimed
            t0 = time.perf_counter()
            r = await on_a.post("/api/v1/sos", json={"lat": lat, "lon": lon}, headers=officer)
            t_post = time.perf_counter()
            r.raise_for_status()
            alarm_id = int(r.json()["id"])
            t_board = await board.wait_for("sos.raised", alarm_id)
            t_col = await colleague.wait_for("sos.raised", alarm_id)
            route = await on_b.get("/api/v1/roads/route", params=route_query, headers=colleague_auth)
            t_route = time.perf_counter()
            route.raise_for_status()
            if i >= 5:
                samples["sos_post"].append(t_post - t0)
                samples["command_centre"].append(t_board - t0)
                samples["colleague"].append(t_col - t0)
                samples["colleague_with_route"].append(t_route - t0)
            rr = await on_a.post(f"/api/v1/sos/{alarm_id}/resolve", json={"note": "bench"}, headers=officer)
            rr.raise_for_status()
            for listener in (board, colleague):
                await listener.wait_for("sos.resolved", alarm_id)

            # Baselines, interleaved so that both see the same machine state.
            t = time.perf_counter()
            (await on_a.get("/api/v1/sos", headers=officer)).raise_for_status()
            if i >= 5:
                baselines["http_get_round_trip"].append(time.perf_counter() - t)
            t = time.perf_counter()
            await colleague.ws.send(json.dumps({"action": "ping"}))
            t_pong = await asyncio.wait_for(colleague.pongs.get(), 10)
            if i >= 5:
                baselines["websocket_round_trip"].append(t_pong - t)

    for listener in [board, colleague, *idle]:
        await listener.ws.close()
        listener.task.cancel()
    return {"samples": samples, "baselines": baselines, "cold_route_s": cold_route_s}


def ms_stats(xs: list[float]) -> dict[str, float]:
    stats = {k: round(v * 1000, 2) for k, v in percentiles(xs, (50, 90, 99)).items()}
    stats["max"] = round(max(xs) * 1000, 2)
    return stats


def main() -> None:
    args = parse_args()
    redis_or_exit(args.redis)
    with tempfile.TemporaryDirectory(prefix="lastmeter-bench-sos-") as tmp:
        configure(args, Path(tmp))
        scene = build_scene()
        from lastmeter.testing.servers import servers

        with servers(2, env={"REDIS_URL": args.redis}) as (a, b):
            raw = asyncio.run(measure(a, b, scene, args))

    results = {name: ms_stats(xs) for name, xs in raw["samples"].items()}
    baselines = {name: ms_stats(xs) for name, xs in raw["baselines"].items()}
    worst_p99 = max(results[k]["p99"] for k in ("command_centre", "colleague", "colleague_with_route"))
    payload = {
        "setup": {
            "database": "postgresql" if args.postgres else "sqlite",
            "channel_layer": "redis (two daphne servers)",
            "alarms": args.alarms,
            "idle_command_centre_sockets": args.idle_sockets,
            "target_ms": TARGET_S * 1000,
        },
        "latency_ms": results,
        "baseline_ms": baselines,
        "cold_first_route_ms": round(raw["cold_route_s"] * 1000, 1),
        "ratios": {
            "worst_p99_over_target": round(worst_p99 / (TARGET_S * 1000), 4),
            "command_centre_p50_over_http_p50": round(
                results["command_centre"]["p50"] / baselines["http_get_round_trip"]["p50"], 2
            ),
            "colleague_p50_over_websocket_rtt_p50": round(
                results["colleague"]["p50"] / baselines["websocket_round_trip"]["p50"], 2
            ),
        },
        "target_met": worst_p99 <= TARGET_S * 1000,
    }
    summary = (
        f"sos: {args.alarms} alarms A→B via Redis ({payload['setup']['database']}); p99 ms: command centre "
        f"{results['command_centre']['p99']}, colleague {results['colleague']['p99']}, colleague+route "
        f"{results['colleague_with_route']['p99']} (target {TARGET_S * 1000:.0f}; worst/target "
        f"{payload['ratios']['worst_p99_over_target']}); baseline HTTP GET p50 {baselines['http_get_round_trip']['p50']}"
        f" ms, ws RTT p50 {baselines['websocket_round_trip']['p50']} ms"
    )
    write_result("sos", payload, summary)


if __name__ == "__main__":
    main()
