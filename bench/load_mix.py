"""The traffic of bench/load.py, as locust users (run in a child process: locust patches the
standard library with gevent, which the orchestrator — subprocesses, Django's ORM — must not have).

``python bench/load_mix.py PLAN.json`` runs headless for the plan's duration and writes the plan's
``out`` file: locust's statistics per endpoint, plus the webhook messages sent (their dedupe keys,
kinds and send times) for the end-to-end figures that bench/load.py reads off the database.

The mix (rates from the plan):
- ``ChatResident``: a resident in a neighbourhood group on Telegram, DingTalk, Feishu or WeCom,
  posting signed webhooks in the platform's format (``lastmeter.testing.chat``): new appeals,
  follow-ups quoting an earlier message, chatter, and exact re-deliveries of an answered delivery;
- ``FormResident``: the resident's web form (GET once for the CSRF cookie, then POSTs);
- ``Open311Client``: GeoReport v2 POST /requests.json with an API key;
- ``Tracker``: vehicle trackers, each posting the positions of its share of the units (every
  unit every ``position_every_s``) with the unit's own token;
- ``Staff``: a dispatcher reading the appeal queue and appeal pages;
- ``CommandCentre``: the command centre's websocket (a few), counting the events it hears.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import gevent
from locust import FastHttpUser, User, constant_throughput, events, task
from locust.env import Environment

from lastmeter.testing.chat import CHATTER, FOLLOW_UPS, PLATFORMS, ChatTraffic, Delivery, appeal_text

PLAN: dict = {}
SENT: list[dict] = []  # webhook messages: dedupe key, kind, platform, sent at (epoch s), status
POSITIONS_OK: Counter[int] = Counter()
WS_EVENTS: Counter[str] = Counter()
_counter = itertools.count(1)
_traffic: ChatTraffic | None = None


def traffic() -> ChatTraffic:
    global _traffic
    if _traffic is None:
        _traffic = ChatTraffic(PLAN["platform_api"], seed=PLAN["seed"])
    return _traffic


class ChatResident(FastHttpUser):
    wait_time = constant_throughput(1.0)

    def on_start(self) -> None:
        n = next(_counter)
        self.platform = PLATFORMS[n % len(PLATFORMS)]
        self.resident = traffic().resident(self.platform, n, chat=n % 50)
        self.rng = random.Random(n)
        self.answered: list[Delivery] = []
        self.followed: set[str] = set()

    def _post(self, delivery: Delivery, kind: str, name: str) -> bool:
        sent_at = time.time()
        with self.client.post(
            delivery.path, data=delivery.body, headers=delivery.headers, name=name, catch_response=True
        ) as r:
            ok = r.status_code == 200
            if not ok:
                r.failure(f"HTTP {r.status_code}")
        SENT.append(
            {"key": delivery.dedupe_key, "kind": kind, "platform": self.platform, "at": sent_at, "ok": ok}
        )
        return ok

    @task(60)
    def new_appeal(self) -> None:
        d = traffic().message(self.platform, self.resident, appeal_text(self.rng.randrange(10**7)))
        if self._post(d, "new", f"webhook {self.platform}"):
            self.answered.append(d)

    @task(15)
    def follow_up(self) -> None:
        fresh = [d for d in self.answered if d.message_id not in self.followed]
        if not fresh:
            return self.new_appeal()
        earlier = self.rng.choice(fresh)
        self.followed.add(earlier.message_id)
        text = f"{self.rng.choice(FOLLOW_UPS)}（{earlier.message_id}）"
        d = traffic().message(self.platform, self.resident, text, reply_to=earlier.message_id)
        self._post(d, "follow_up", f"webhook {self.platform}")

    @task(15)
    def chatter(self) -> None:
        d = traffic().message(self.platform, self.resident, self.rng.choice(CHATTER))
        self._post(d, "chatter", f"webhook {self.platform}")

    @task(10)
    def redeliver(self) -> None:
        if not self.answered:
            return self.new_appeal()
        # The platform missed our answer and sends the very same request again.
        self._post(self.rng.choice(self.answered), "redelivery", f"webhook {self.platform} (re-delivery)")


class FormResident(FastHttpUser):
    wait_time = constant_throughput(1.0)

    def on_start(self) -> None:
        page = self.client.get("/intake/report/", name="web form (page)")
        self.rng = random.Random(next(_counter))
        # The CSRF cookie, read from the answer itself: locust's fast client files a cookie in its
        # jar only from a header spelled "Set-Cookie", and uvicorn sends header names in lower case
        # (as HTTP/2 does; browsers accept both).
        self.csrf = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "") or next(
            (
                value.split(";", 1)[0].split("=", 1)[1]
                for name, value in page.headers.items()
                if name.lower() == "set-cookie" and value.startswith("csrftoken=")
            ),
            "",
        )

    @task
    def post_form(self) -> None:
        token = self.csrf
        lat, lon = PLAN["point"]
        form = {
            "csrfmiddlewaretoken": token,
            "nonce": f"load{next(_counter)}x{self.rng.randrange(10**9)}",
            "text": appeal_text(self.rng.randrange(10**7)),
            "lat": f"{lat + self.rng.uniform(-0.003, 0.003):.6f}",
            "lon": f"{lon + self.rng.uniform(-0.003, 0.003):.6f}",
            "name": "王女士",
            "phone": f"139{self.rng.randrange(10**8):08d}",
        }
        with self.client.post(
            "/intake/report/",
            data=form,
            headers={"Referer": self.host + "/intake/report/", "Cookie": f"csrftoken={token}"},
            name="web form (post)",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code not in (200, 302):
                r.failure(f"HTTP {r.status_code}")


class Open311Client(FastHttpUser):
    wait_time = constant_throughput(1.0)

    def on_start(self) -> None:
        self.rng = random.Random(next(_counter))

    @task
    def post_request(self) -> None:
        lat, lon = PLAN["point"]
        body = {
            "api_key": PLAN["open311_key"],
            "service_code": self.rng.choice(PLAN["service_codes"]),
            "lat": f"{lat + self.rng.uniform(-0.003, 0.003):.6f}",
            "long": f"{lon + self.rng.uniform(-0.003, 0.003):.6f}",
            "description": appeal_text(self.rng.randrange(10**7)),
            "first_name": "李",
            "last_name": "明",
            "phone": f"137{self.rng.randrange(10**8):08d}",
        }
        with self.client.post(
            "/open311/v2/requests.json",
            data=body,
            headers={"Idempotency-Key": f"load-{next(_counter)}-{self.rng.randrange(10**9)}"},
            name="open311 POST /requests",
            catch_response=True,
        ) as r:
            if r.status_code != 201:
                r.failure(f"HTTP {r.status_code}")


class Tracker(FastHttpUser):
    """One gateway of vehicle trackers: its slice of the units, each posting every position_every_s."""

    def on_start(self) -> None:
        n = next(_counter)
        units = PLAN["units"]
        per = PLAN["units_per_tracker"]
        first = (n * per) % len(units)
        self.units = [units[(first + i) % len(units)] for i in range(per)]
        self.turn = itertools.cycle(self.units)
        self.rng = random.Random(n)

    def wait_time(self) -> float:
        # Constant pacing (what locust's constant_throughput does): the interval counts from the
        # start of the last report, so a slow answer does not stretch every unit's period.
        interval = PLAN["position_every_s"] / len(self.units)
        now = time.monotonic()
        self.next_at = max(getattr(self, "next_at", now) + interval, now)
        return self.next_at - now

    @task
    def position(self) -> None:
        unit = next(self.turn)
        lat, lon = PLAN["point"]
        body = {
            "lat": lat + self.rng.uniform(-0.01, 0.01),
            "lon": lon + self.rng.uniform(-0.01, 0.01),
            "accuracy_m": 10,
            "heading": self.rng.uniform(0, 360),
        }
        with self.client.post(
            f"/api/v1/units/{unit['id']}/positions",
            json=body,
            headers={"Authorization": f"Bearer {unit['token']}"},
            name="API POST /units/{id}/positions",
            catch_response=True,
        ) as r:
            if r.status_code == 200:
                POSITIONS_OK[unit["id"]] += 1
            else:
                r.failure(f"HTTP {r.status_code}")


class Staff(FastHttpUser):
    wait_time = constant_throughput(1.0)

    def on_start(self) -> None:
        self.client.cookiejar.set_cookie(_cookie("sessionid", PLAN["staff_cookie"], self.host))  # type: ignore[attr-defined]
        self.rng = random.Random(next(_counter))

    @task(1)
    def queue(self) -> None:
        self.client.get("/appeals/", name="page /appeals/ (queue)")

    @task(2)
    def appeal(self) -> None:
        appeal_id = self.rng.choice(PLAN["appeal_ids"])
        self.client.get(f"/appeals/{appeal_id}/", name="page /appeals/{id}/")


def _cookie(name: str, value: str, host: str):
    from http.cookiejar import Cookie
    from urllib.parse import urlparse

    domain = urlparse(host).hostname or "127.0.0.1"
    return Cookie(
        0, name, value, None, False, domain, False, False, "/", True, False, None, False, None, None, {}
    )


class CommandCentre(User):
    """The command centre's websocket: connects once (timed), then counts what it hears."""

    def on_start(self) -> None:
        import websocket  # websocket-client: blocking sockets, which gevent makes cooperative

        url = self.host.replace("http://", "ws://") + "/ws/live/"
        started = time.perf_counter()
        error = None
        try:
            self.ws = websocket.create_connection(
                url, origin=self.host, cookie=f"sessionid={PLAN['staff_cookie']}", timeout=10
            )
            hello = json.loads(self.ws.recv())
            if hello.get("event") != "hello":
                error = RuntimeError(f"expected hello, got {hello.get('event')}")
        except Exception as exc:
            error = exc
            self.ws = None
        events.request.fire(
            request_type="WS",
            name="websocket /ws/live/ (connect)",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    def wait_time(self) -> float:
        return 0.0

    @task
    def listen(self) -> None:
        if self.ws is None:
            gevent.sleep(1)
            return
        self.ws.settimeout(1)
        try:
            message = json.loads(self.ws.recv())
            WS_EVENTS[str(message.get("event"))] += 1
        except Exception:  # a timeout with nothing to hear; a closed socket is counted as such
            if not self.ws.connected:
                WS_EVENTS["(closed)"] += 1
                self.ws = None

    def on_stop(self) -> None:
        if self.ws is not None:
            self.ws.close()


def user_counts(plan: dict) -> dict[type[User], int]:
    """Users of each class for the plan's rates (each chat/form/Open311 user offers 1 request/s)."""
    return {
        ChatResident: max(1, round(plan["rates"]["webhooks"])),
        FormResident: max(1, round(plan["rates"]["web_form"])),
        Open311Client: max(1, round(plan["rates"]["open311"])),
        Tracker: max(1, len(plan["units"]) // plan["units_per_tracker"]),
        Staff: plan["staff"],
        CommandCentre: plan["listeners"],
    }


def stats_of(env: Environment, seconds: float) -> dict[str, dict]:
    out = {}
    for entry in sorted(env.stats.entries.values(), key=lambda e: e.name):
        n = entry.num_requests
        out[entry.name] = {
            "requests": n,
            "failures": entry.num_failures,
            "per_s": round(n / seconds, 1) if seconds else 0.0,
            "p50_ms": entry.get_response_time_percentile(0.5) if n else None,
            "p95_ms": entry.get_response_time_percentile(0.95) if n else None,
            "p99_ms": entry.get_response_time_percentile(0.99) if n else None,
            "max_ms": round(entry.max_response_time, 1) if n else None,
            "mean_ms": round(entry.avg_response_time, 1) if n else None,
        }
    return out


def run(plan: dict) -> dict:
    PLAN.update(plan)
    counts = user_counts(plan)
    classes = list(counts)
    for cls in classes:
        cls.host = plan["host"]
        cls.fixed_count = counts[cls]
    env = Environment(user_classes=classes, events=events)
    runner = env.create_local_runner()
    total = sum(counts.values())
    started_at = time.time()
    runner.start(total, spawn_rate=max(50, total / 5))
    started = time.monotonic()
    gevent.sleep(plan["duration_s"])
    seconds = time.monotonic() - started
    stats = stats_of(env, seconds)
    failures = {f"{e.name}: {e.error}"[:200]: e.occurrences for e in env.stats.errors.values()}
    runner.quit()
    return {
        "seconds": round(seconds, 1),
        "started_at": started_at,
        "users": {cls.__name__: n for cls, n in counts.items()},
        "endpoints": stats,
        "failures": failures,
        "sent": SENT,
        "positions_ok": {str(k): v for k, v in POSITIONS_OK.items()},
        "ws_events": dict(WS_EVENTS),
    }


if __name__ == "__main__":
    plan = json.loads(Path(sys.argv[1]).read_text())
    result = run(plan)
    Path(plan["out"]).write_text(json.dumps(result, ensure_ascii=False))
