"""The loopback TCP proxy: round robin, skipping a dead backend, and the cut that the fault test
uses to make Redis unreachable. Real sockets on 127.0.0.1, no database."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading

import pytest

from lastmeter.ops.tcpproxy import TcpProxy, free_port


class _Named(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def echo_server(name: bytes) -> _Named:
    """A server that answers every line with its name and the line."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for line in self.rfile:
                self.wfile.write(name + b":" + line)

    server = _Named(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def ask(port: int, line: bytes = b"ping\n") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(line)
        return s.makefile("rb").readline()


@pytest.fixture
def backends():
    servers = [echo_server(b"a"), echo_server(b"b")]
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def test_it_takes_the_backends_in_turn_and_skips_one_that_refuses(backends):
    dead = free_port()  # nothing listens there: a web process being restarted
    ports = [("127.0.0.1", s.server_address[1]) for s in backends]
    with TcpProxy([ports[0], ("127.0.0.1", dead), ports[1]]) as proxy:
        answers = [ask(proxy.port) for _ in range(6)]
    assert sorted(set(answers)) == [b"a:ping\n", b"b:ping\n"]
    assert answers.count(b"a:ping\n") >= 2 and answers.count(b"b:ping\n") >= 2


def test_it_cuts_open_connections_refuses_new_ones_and_listens_again(backends):
    with TcpProxy([("127.0.0.1", backends[0].server_address[1])]) as proxy:
        open_line = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        open_line.sendall(b"before\n")
        reader = open_line.makefile("rb")
        assert reader.readline() == b"a:before\n"

        proxy.cut()
        with contextlib.suppress(ConnectionResetError):  # aborted: end of stream, or a reset
            assert reader.readline() == b""
        with pytest.raises(ConnectionRefusedError):
            ask(proxy.port)

        proxy.restore()
        assert ask(proxy.port, b"after\n") == b"a:after\n"
        open_line.close()
