"""The small load of the fault test: residents on every chat platform, an officer's phone, and a
command centre's websocket, all talking to a running cluster over HTTP as the real ones do.

- Chat deliveries are retried until a 200 answer, as the platforms do (they retry for hours): a
  refused connection during a web restart or a 5xx is not a lost message. Some deliveries are sent
  again although answered (a platform that missed our answer), some reply to the resident's earlier
  message (a follow-up), some are chatter.
- The phone posts its position every half second and counts what was refused.
- The websocket client reconnects with back-off whenever its socket closes, like live.js, and
  records every event with its alarm id and whether it came as a catch-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from lastmeter.testing.chat import CHATTER, FOLLOW_UPS, PLATFORMS, ChatTraffic, Delivery, appeal_text


@dataclass
class Sent:
    """One logical chat message and what became of its deliveries."""

    delivery: Delivery
    kind: str  # new, follow_up, chatter
    acked: bool = False
    attempts: int = 0
    redelivered: int = 0


@dataclass
class ChatLoad:
    base_url: str
    traffic: ChatTraffic
    rate_per_s: float = 5.0
    senders: int = 3
    seed: int = 15
    messages: list[Sent] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> ChatLoad:
        for number in range(self.senders):
            thread = threading.Thread(
                target=self._run, args=(number,), name=f"chat-load-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, grace_s: float = 60.0) -> None:
        """Stop sending new messages; deliveries in flight are retried for up to ``grace_s``."""
        self._stop.set()
        for thread in self._threads:
            thread.join(grace_s)

    def _pick(self, rng: random.Random, mine: list[Sent]) -> tuple[str, Sent | None]:
        roll = rng.random()
        acked_new = [m for m in mine if m.kind == "new" and m.acked]
        if roll < 0.15 and acked_new:
            return "follow_up", rng.choice(acked_new)
        if roll < 0.25 and mine:
            return "redeliver", rng.choice([m for m in mine if m.acked] or mine)
        if roll < 0.35:
            return "chatter", None
        return "new", None

    def _run(self, number: int) -> None:
        rng = random.Random(self.seed * 100 + number)
        mine: list[Sent] = []
        followed: set[str] = set()
        pause = self.senders / self.rate_per_s
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            for n in itertools.count():
                if self._stop.is_set():
                    return
                platform = PLATFORMS[(number + n) % len(PLATFORMS)]
                resident = self.traffic.resident(platform, number * 1000 + n % 7, chat=number)
                kind, earlier = self._pick(rng, [m for m in mine if m.delivery.platform == platform])
                if kind == "redeliver" and earlier is not None:
                    earlier.redelivered += 1
                    self._post(client, earlier)
                elif (
                    kind == "follow_up"
                    and earlier is not None
                    and earlier.delivery.message_id not in followed
                ):
                    # One follow-up per message: two identical "added to appeal" answers in one chat
                    # would be indistinguishable from a message posted twice.
                    followed.add(earlier.delivery.message_id)
                    author = self.traffic.resident(platform, number * 1000 + (n - 1) % 7, chat=number)
                    text = f"{rng.choice(FOLLOW_UPS)}（{earlier.delivery.message_id}）"
                    delivery = self.traffic.message(
                        platform, author, text, reply_to=earlier.delivery.message_id
                    )
                    self._send(client, Sent(delivery, "follow_up"), mine)
                elif kind == "chatter":
                    delivery = self.traffic.message(platform, resident, rng.choice(CHATTER))
                    self._send(client, Sent(delivery, "chatter"), mine)
                else:
                    text = appeal_text(rng.randrange(10**6))
                    self._send(client, Sent(self.traffic.message(platform, resident, text), "new"), mine)
                self._stop.wait(pause)

    def _send(self, client: httpx.Client, sent: Sent, mine: list[Sent]) -> None:
        with self._lock:
            self.messages.append(sent)
        mine.append(sent)
        self._post(client, sent)

    def _post(self, client: httpx.Client, sent: Sent) -> None:
        """Deliver until answered 200 — after stop() too, for a minute (the platform's retry)."""
        deadline = None
        while True:
            sent.attempts += 1
            try:
                d = sent.delivery
                r = client.post(d.path, content=d.body, headers=d.headers)
                if r.status_code == 200:
                    sent.acked = True
                    return
                self.errors[f"HTTP {r.status_code}"] += 1
            except httpx.HTTPError as exc:
                self.errors[type(exc).__name__] += 1
            if self._stop.is_set():
                deadline = deadline or time.monotonic() + 60
                if time.monotonic() > deadline:
                    return
            time.sleep(0.5)


@dataclass
class PositionLoad:
    """An officer's phone reporting its position (Bearer token, the unit's own endpoint)."""

    base_url: str
    token: str
    unit_id: int
    lat: float
    lon: float
    every_s: float = 0.5
    answers: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> PositionLoad:
        self._thread = threading.Thread(target=self._run, name="positions", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            for n in itertools.count():
                if self._stop.wait(self.every_s):
                    return
                body = {"lat": self.lat + (n % 20) * 1e-5, "lon": self.lon, "accuracy_m": 8}
                try:
                    r = client.post(f"/api/v1/units/{self.unit_id}/positions", json=body, headers=headers)
                    self.answers[str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    self.answers[type(exc).__name__] += 1


@dataclass
class LiveListener:
    """A command centre's websocket that reconnects with back-off (0.5 s doubling to 2 s)."""

    ws_url: str
    origin: str
    cookie: str
    hellos: int = 0
    events: list[tuple[str, int | None, bool]] = field(default_factory=list)  # event, id, catch-up
    closes: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> LiveListener:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="live", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)

    def saw(self, event: str, object_id: int) -> list[bool]:
        """For each time ``event`` about ``object_id`` arrived: whether it came as a catch-up."""
        return [catch_up for e, i, catch_up in self.events if e == event and i == object_id]

    async def _run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.typing import Origin

        delay = 0.5
        while not self._stop.is_set():
            try:
                async with connect(
                    self.ws_url,
                    origin=Origin(self.origin),
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                ) as ws:
                    while not self._stop.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(), 0.5)
                        except TimeoutError:
                            continue
                        msg = json.loads(raw)
                        if msg.get("event") == "hello":
                            self.hellos += 1
                            delay = 0.5
                            continue
                        payload = msg.get("payload") or {}
                        object_id = payload.get("id") if isinstance(payload, dict) else None
                        self.events.append((msg.get("event", ""), object_id, bool(msg.get("catch_up"))))
            except Exception as exc:  # closed by the server, refused, handshake 500: reconnect
                self.closes[type(exc).__name__] += 1
            with contextlib.suppress(Exception):
                await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
