"""A tiny TCP proxy on loopback: connection-level round robin, and a switch that cuts the line.

Two uses, both on one machine:
- the front of the loopback cluster when nginx is not installed (``lastmeter.ops.cluster``): each
  client connection goes to the next web process, and bytes are copied both ways untouched, so
  HTTP keep-alive and websockets pass through as they are; a backend that refuses the connection
  (a web process being restarted) is skipped for the next one;
- a fault injector: services point at the proxy instead of the server (``REDIS_URL`` at the proxy's
  port), and ``cut()`` stops listening and aborts every open connection — what clients see when a
  network link or the server goes away — until ``restore()``. The shared Redis server itself is
  never touched.

Standard library only (asyncio), no Django: ``python -m lastmeter.ops.tcpproxy --listen
127.0.0.1:8080 --backend 127.0.0.1:8101 --backend 127.0.0.1:8102`` runs it in the foreground.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import socket
import threading
from collections.abc import Sequence

Address = tuple[str, int]
CHUNK = 64 * 1024


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def parse_address(text: str) -> Address:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


class TcpProxy:
    """Listen on ``host:port`` (0: a free port, chosen now) and forward to ``backends`` in turn.

    ``start()`` runs the proxy's event loop in a daemon thread and returns once it listens;
    ``cut()``/``restore()`` may be called from any thread; ``stop()`` ends it."""

    def __init__(self, backends: Sequence[Address], *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not backends:
            raise ValueError("a proxy needs at least one backend")
        self.backends = list(backends)
        self.host = host
        self.port = port or free_port(host)
        self.connections_total = 0
        self._turn = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # --- lifecycle, from any thread -----------------------------------------------------------

    def start(self) -> TcpProxy:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name=f"tcpproxy-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def cut(self) -> None:
        """Stop listening and abort every open connection (new connections are refused)."""
        self._call(self._cut())

    def restore(self) -> None:
        """Listen again on the same port."""
        self._call(self._listen())

    def stop(self) -> None:
        if self._loop is None:
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coroutine) -> None:
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the proxy is not running")
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # --- inside the loop ----------------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, self.host, self.port, reuse_address=True, backlog=1024
            )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _shutdown(self) -> None:
        await self._cut()
        # The aborted connections end their pipes at once; let them finish before the loop stops.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=2)

    async def _connect_backend(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        start = next(self._turn)
        for i in range(len(self.backends)):
            host, port = self.backends[(start + i) % len(self.backends)]
            with contextlib.suppress(OSError):
                return await asyncio.open_connection(host, port)
        return None

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections_total += 1
        backend = await self._connect_backend()
        if backend is None:  # every backend down: the client sees the connection close
            client_w.transport.abort()
            return
        server_r, server_w = backend
        self._open.update((client_w, server_w))
        pipes = [
            asyncio.ensure_future(self._pipe(client_r, server_w)),
            asyncio.ensure_future(self._pipe(server_r, client_w)),
        ]
        try:
            # Either side closing ends the pair (no half-open connections: neither HTTP nor Redis
            # clients half-close and then wait for an answer).
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            for writer in (client_w, server_w):
                self._open.discard(writer)
                writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A loopback TCP proxy, round robin over backends.")
    parser.add_argument("--listen", type=parse_address, required=True, metavar="HOST:PORT")
    parser.add_argument("--backend", type=parse_address, action="append", required=True, metavar="HOST:PORT")
    args = parser.parse_args(argv)
    host, port = args.listen
    proxy = TcpProxy(args.backend, host=host, port=port).start()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(f"tcpproxy on {proxy.address} → {', '.join(f'{h}:{p}' for h, p in args.backend)}", flush=True)
    done.wait()
    proxy.stop()


if __name__ == "__main__":
    main()
