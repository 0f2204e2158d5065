"""Test helpers: real ASGI servers (uvicorn subprocesses on loopback) over the test database.

Used by the two-server test (realtime/tests) and the browser tests (web/tests). A server runs
`uvicorn lastmeter.asgi:application` with the same settings as the tests, pointed at the database
pytest-django created, so rows a test commits (``transactional_db``) are what the server sees.

Preconditions: the test database exists (call after pytest-django's ``django_db_setup``), and the
test commits its data (a transaction-wrapped ``db`` test would be invisible to the server).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection

from lastmeter.accounts.twofactor import must_verify
from lastmeter.testing.auth import verify_session

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_url() -> str:
    """DATABASE_URL of the database this test process uses (the test database once set up)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = str(Path(db["NAME"]).resolve())
        return f"sqlite:///{name}"
    if db["ENGINE"].endswith("postgresql"):
        auth = quote(db["USER"] or "")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"])
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or "5432"
        return f"postgres://{auth}@{host}:{port}/{quote(db['NAME'])}"
    raise RuntimeError(f"no DATABASE_URL for engine {db['ENGINE']}")


def session_cookie(user) -> str:
    """Log `user` in without a form: a committed session row, returned as the cookie's value; the
    session has passed the second factor when the user needs one."""
    from importlib import import_module

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if must_verify(user):
        verify_session(session, user)  # a real TOTP code, as the sign-in page would check
    session.save()
    return str(session.session_key)


class AsgiServer:
    """One uvicorn process (the server `lastmeter serve` runs) serving lastmeter on 127.0.0.1:<port>;
    a context manager.

    `env` adds to (or overrides) the environment; the database defaults to the test database.
    Static files are served through the finders (LASTMETER_DEBUG=1) so no collectstatic is needed.
    """

    def __init__(self, *, env: dict[str, str] | None = None, ready_timeout_s: float = 60.0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/live/"
        self.ready_timeout_s = ready_timeout_s
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lastmeter.settings",
            "DATABASE_URL": test_database_url(),
            "LASTMETER_DEBUG": "1",
            "LASTMETER_INPROCESS_WORKER": "0",
            # Two-factor sign-in enforced, as in a deployment and in every test (lastmeter/conftest.py);
            # session_cookie() passes it for the users who need it.
            "LASTMETER_REQUIRE_2FA": "1",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    def start(self) -> AsgiServer:
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> None:
        """Start the process without waiting for it to answer."""
        log_dir = Path(settings.VAR_DIR) / "test-servers"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--lifespan",
                "off",
                "--no-access-log",
                "lastmeter.asgi:application",
            ],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"the ASGI server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/accounts/login/", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"the ASGI server on port {self.port} not ready in {self.ready_timeout_s}s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> AsgiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


OTHER_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
WORKING = " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')"


def _wait_for_no_other_sessions(query: str, *, timeout_s: float, settle_polls: int) -> bool:
    """Poll `query` (a count of other sessions) until it is 0 `settle_polls` times in a row;
    False on timeout. PostgreSQL only: on SQLite there are no sessions to see (returns True)."""
    if connection.vendor != "postgresql":
        return True
    deadline = time.monotonic() + timeout_s
    zero_polls = 0
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(query)
            (count,) = cursor.fetchone()
        zero_polls = zero_polls + 1 if count == 0 else 0
        if zero_polls >= settle_polls:
            return True
        time.sleep(0.1)
    return False


def wait_for_database_quiet(*, timeout_s: float = 15.0, settle_polls: int = 3) -> None:
    """Wait until no other session is working in the test database (PostgreSQL only).

    A server's request or websocket handler can still be inside a transaction when a test ends; the
    flush that follows a transactional test (TRUNCATE, which takes table locks one by one) then
    deadlocks against it. Call this after the browser pages are closed and before the flush.
    SQLite needs nothing: its busy timeout makes the flush wait for the file lock.
    """
    if not _wait_for_no_other_sessions(
        OTHER_SESSIONS + WORKING, timeout_s=timeout_s, settle_polls=settle_polls
    ):
        raise RuntimeError(f"other sessions still busy in the test database after {timeout_s}s")


def wait_for_sessions_gone(*, timeout_s: float = 15.0) -> None:
    """After servers stop, wait (at most `timeout_s`) for their PostgreSQL sessions to end, so the
    database can be dropped."""
    _wait_for_no_other_sessions(OTHER_SESSIONS, timeout_s=timeout_s, settle_polls=1)


@contextlib.contextmanager
def servers(count: int, **kwargs) -> Iterator[list[AsgiServer]]:
    """`count` servers side by side, launched together so their start-up imports overlap."""
    started = [AsgiServer(**kwargs) for _ in range(count)]
    try:
        for server in started:
            server.launch()
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()
        wait_for_sessions_gone()
