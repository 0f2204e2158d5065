"""Test helpers: real `lastmeter worker` processes over the test database, and an SMS gateway.

A worker runs the `lastmeter worker` command as a deployment does, pointed at the database
pytest-django created (``servers.test_database_url``), so it sees the rows a transactional test
commits. ``SmsGateway`` is a real HTTP server on loopback that plays an SMS provider: it counts
every request per idempotency key and, like a provider that honours the key, delivers a key once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.db import connection

from lastmeter.testing.servers import PROJECT_DIR, test_database_url


def clear_task_queue() -> None:
    """Delete the engine's jobs (PostgreSQL). Its tables are not models Django flushes between
    transactional tests, so jobs that other tests committed would otherwise run in this one."""
    if settings.TASKS_IN_DATABASE:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_jobs")


class WorkerProcess:
    """One `lastmeter worker` process; ``env`` adds to (or overrides) its environment."""

    def __init__(
        self, name: str, *, env: dict[str, str] | None = None, args: list[str] | None = None
    ) -> None:
        self.name = name
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lastmeter.settings",
            "DATABASE_URL": test_database_url(),
            "LASTMETER_DEMO_SIMULATION": "0",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.args = args or []
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(settings.VAR_DIR) / "test-workers" / f"{name}.log"

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lastmeter.cli", "worker", *self.args],
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye — a crash, an OOM kill, a pulled plug."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class SmsGateway:
    """An HTTP SMS gateway on 127.0.0.1 for ``HttpJsonSmsBackend``: answers 200 after
    ``delay_s`` (a real provider takes a while, so a killed worker dies mid-request), counts
    every request per ``Idempotency-Key`` and delivers each key once."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.requests: Counter[str] = Counter()
        self.delivered: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> SmsGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                key = self.headers.get("Idempotency-Key") or body.get("key", "")
                time.sleep(gateway.delay_s)
                with gateway._lock:
                    gateway.requests[key] += 1
                    if gateway.requests[key] == 1:
                        gateway.delivered.append(key)
                data = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/sms"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def repeats(self) -> dict[str, int]:
        """Keys requested more than once, with their count (resends after a crash)."""
        with self._lock:
            return {key: n for key, n in self.requests.items() if n > 1}
