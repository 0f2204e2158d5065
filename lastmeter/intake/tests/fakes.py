"""A real HTTP server on loopback that plays a chat platform's send API in tests (no internet)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Responder = Callable[[Seen], tuple[int, Any]]


@dataclass
class FakeApi:
    """Routes: path → responder (status, JSON, or bytes for a file). Unknown paths answer 404. ``seen`` records all."""

    routes: dict[str, Responder] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    base: str = ""
    _server: ThreadingHTTPServer | None = None

    def route(self, path: str, status: int = 200, answer: Any = None, responder: Responder | None = None):
        self.routes[path] = responder or (lambda _seen: (status, answer))

    def start(self) -> FakeApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", errors="replace")
                seen = Seen(self.command, url.path, parse_qs(url.query), dict(self.headers), body)
                fake.seen.append(seen)
                responder = fake.routes.get(url.path)
                status, answer = responder(seen) if responder else (404, {"error": "no route"})
                # A file download (bytes) goes out as it is; everything else is JSON.
                binary = isinstance(answer, bytes)
                data: bytes = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if binary else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def calls(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


def then_the_worker(response):
    """A webhook only stores its item and queues the processing: run what a worker would run next
    (the ``process_pending`` sweep, which processes every due item), and return the response."""
    from lastmeter.intake.services import process_pending

    process_pending()
    return response
