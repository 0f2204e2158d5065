"""The chat platforms' send APIs, played on loopback: where a cluster's workers deliver replies.

One HTTP server answers the routes lastmeter's reply senders call (``intake/channels/*/sender.py``)
— Telegram's sendMessage, DingTalk's sessionWebhook, access token and group message, Feishu's
tenant token and message reply, WeCom's token, robot webhook, appchat and message send — and keeps
count of what each platform *posted*: a message is posted when its request arrives (as on the real
platform, which does not know whether its answer reaches us). Feishu drops a second reply with the
same ``uuid``, as Feishu documents; the others post every request, so a resend is a second post.

Faults, for the fault test and by hand: ``fail(platform, seconds)`` answers HTTP 500 (nothing
posted) for that long; ``hold(platform, seconds)`` posts, then waits that long before answering
(a worker is then "mid-delivery"). Run in a thread (``FakePlatforms().start()``) or as a process
(``python -m lastmeter.testing.platforms --port 18999``) with the same switches over HTTP:
``POST /__fake/fail`` and ``/__fake/hold`` with ``{"platform": …, "seconds": …}``, ``GET
/__fake/stats``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from lastmeter.ops.tcpproxy import free_port


def platform_of(path: str) -> str:
    if path.startswith("/bot"):
        return "telegram"
    if path.startswith(("/robot/", "/v1.0/")):
        return "dingtalk"
    if path.startswith("/open-apis/"):
        return "feishu"
    if path.startswith("/cgi-bin/"):
        return "wecom"
    return ""


def _text_of(body: dict[str, Any]) -> str:
    text = body.get("text")
    if isinstance(text, dict):
        return str(text.get("content", ""))
    if isinstance(text, str):
        return text
    return str(body.get("content") or body.get("msgParam") or "")


def feishu_identity(outbox_key: str) -> str:
    """The identity of the Feishu reply of one outbox row (its ``uuid``, see feishu/sender.py)."""
    return "feishu:uuid:" + hashlib.sha256(outbox_key.encode()).hexdigest()[:50]


def identity(platform: str, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> str | None:
    """What makes a posted message one message: the Feishu ``uuid`` (Feishu's own dedupe key), else
    where it went and what it said. None for token requests (nothing is posted)."""
    if path.endswith(("/accessToken", "/tenant_access_token/internal", "/gettoken")):
        return None
    if platform == "feishu" and body.get("uuid"):
        return f"feishu:uuid:{body['uuid']}"
    reply = body.get("reply_parameters") or {}
    where = [
        path,
        str(query.get("session", query.get("key", [""]))[0]),
        str(
            body.get("chat_id")
            or body.get("chatid")
            or body.get("touser")
            or body.get("openConversationId")
            or ""
        ),
        str(reply.get("message_id", "") if isinstance(reply, dict) else ""),
    ]
    digest = hashlib.sha256(("|".join(where) + "|" + _text_of(body)).encode()).hexdigest()[:24]
    return f"{platform}:{digest}"


def answer_for(platform: str, path: str, posted_number: int) -> dict[str, Any]:
    if platform == "telegram":
        return {"ok": True, "result": {"message_id": posted_number}}
    if path.endswith("/accessToken"):
        return {"accessToken": "fake-ding-token", "expireIn": 7200}
    if path.endswith("/groupMessages/send"):
        return {"processQueryKey": f"q{posted_number}"}
    if platform == "dingtalk":
        return {"errcode": 0, "errmsg": "ok"}
    if path.endswith("/tenant_access_token/internal"):
        return {"code": 0, "tenant_access_token": "t-fake", "expire": 7200}
    if platform == "feishu":
        return {"code": 0, "msg": "success", "data": {"message_id": f"om_reply{posted_number}"}}
    if path.endswith("/gettoken"):
        return {"errcode": 0, "errmsg": "ok", "access_token": "fake-wecom-token", "expires_in": 7200}
    return {"errcode": 0, "errmsg": "ok"}


class FakePlatforms:
    """The fake send APIs of every platform on ``127.0.0.1:port``; ``base`` is the API base to
    configure (``testing.chat.platform_env(base)``)."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self.posted: Counter[str] = Counter()  # identity → times posted (what people see)
        self.requests_by_identity: Counter[str] = Counter()  # identity → requests (resends too)
        self.posted_by_platform: Counter[str] = Counter()
        self.refused_by_platform: Counter[str] = Counter()  # HTTP 500 while failing
        self.requests_by_platform: Counter[str] = Counter()
        self.held_now = 0
        self.held: list[str] = []  # identities of the requests whose answer was held
        self._fail_until: dict[str, float] = {}
        self._hold: dict[str, tuple[float, float]] = {}  # platform → (seconds, until)
        self._server: ThreadingHTTPServer | None = None

    # --- switches -------------------------------------------------------------------------------

    def fail(self, platform: str, seconds: float) -> None:
        with self._lock:
            self._fail_until[platform] = time.monotonic() + seconds

    def hold(self, platform: str, seconds: float, *, for_s: float = 3600.0) -> None:
        """Hold each answer to ``platform`` for ``seconds`` (after posting), during the next ``for_s``."""
        with self._lock:
            self._hold[platform] = (seconds, time.monotonic() + for_s)

    def release(self, platform: str) -> None:
        with self._lock:
            self._hold.pop(platform, None)

    def failing(self, platform: str) -> bool:
        return self._fail_until.get(platform, 0.0) > time.monotonic()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "posted": dict(self.posted_by_platform),
                "refused": dict(self.refused_by_platform),
                "requests": dict(self.requests_by_platform),
                "distinct_posted": len(self.posted),
                "posted_twice_or_more": sum(1 for n in self.posted.values() if n > 1),
                "sent_again_but_posted_once": sum(
                    1 for k, n in self.requests_by_identity.items() if n > 1 and self.posted[k] == 1
                ),
                "held_now": self.held_now,
            }

    # --- one request ----------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        url = urlparse(raw_path)
        query = parse_qs(url.query)
        if url.path.startswith("/__fake/"):
            return self._control(method, url.path, body)
        platform = platform_of(url.path)
        if not platform:
            return 404, {"error": f"no fake route {url.path}"}
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return 400, {"error": "not JSON"}
        data = data if isinstance(data, dict) else {}
        with self._lock:
            self.requests_by_platform[platform] += 1
            if self.failing(platform):
                self.refused_by_platform[platform] += 1
                return 500, {"ok": False, "errcode": 500, "code": 500, "description": "Internal Server Error"}
            key = identity(platform, url.path, query, data)
            if key is not None:
                self.requests_by_identity[key] += 1
                # Feishu drops a second reply with the same uuid; every other platform posts again.
                if not (key.startswith("feishu:uuid:") and self.posted[key]):
                    self.posted[key] += 1
                    self.posted_by_platform[platform] += 1
            number = sum(self.posted_by_platform.values())
            seconds, until = self._hold.get(platform, (0.0, 0.0))
            holding = key is not None and seconds > 0 and until > time.monotonic()
            if holding:
                self.held_now += 1
                self.held.append(key or "")
        if holding:
            time.sleep(seconds)
            with self._lock:
                self.held_now -= 1
        return 200, answer_for(platform, url.path, number)

    def _control(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if path == "/__fake/stats":
            return 200, self.stats()
        try:
            args = json.loads(body or b"{}")
            platform, seconds = str(args["platform"]), float(args["seconds"])
        except (ValueError, KeyError, TypeError):
            return 400, {"error": 'send {"platform": …, "seconds": …}'}
        if path == "/__fake/fail":
            self.fail(platform, seconds)
        elif path == "/__fake/hold":
            self.hold(platform, seconds, for_s=float(args.get("for_s", 3600)))
        else:
            return 404, {"error": "unknown switch"}
        return 200, {"ok": True}

    # --- serving --------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, answer = fake.handle(
                    self.command, self.path, self.rfile.read(length) if length else b""
                )
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender died while we held its answer: the fault test's point

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> FakePlatforms:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-platforms", daemon=True).start()
        return self

    def serve_forever(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePlatforms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The chat platforms' send APIs, faked on loopback.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    fake = FakePlatforms(args.port)
    print(f"fake platforms on {fake.base}", flush=True)
    fake.serve_forever()


if __name__ == "__main__":
    main()
