"""The scaled-out deployment of deploy/README.md, started on this machine: N `lastmeter serve`
processes and M `lastmeter worker` processes on 127.0.0.1 against one PostgreSQL and one Redis,
behind a proxy (nginx when it is installed, else the loopback TCP proxy of ``ops.tcpproxy``).

``scripts/cluster.sh`` runs ``python -m lastmeter.ops.cluster`` in the foreground: migrate and
seed (the demo jurisdiction), collect static files, start everything, wait until every web process
answers /readyz, then stay until SIGINT/SIGTERM and stop in order — proxy, web, workers. The load
benchmark (bench/load.py) and the fault test (ops/tests/test_fault.py) drive the same ``Cluster``
from Python: kill a worker, restart a web server, and read each process's log.

Every process is started as a subprocess with the environment deploy/README.md documents, exactly
as systemd would start it; nothing here imports the worker's or the web's internals. No Django in
this module either, so it can start the processes before any database exists.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from lastmeter.ops.tcpproxy import TcpProxy, free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
# A fixed key for this machine's cluster only; deploy/README.md says to set a random one.
LOOPBACK_SECRET_KEY = "lastmeter-loopback-cluster-key-not-for-production-use-0123456789"


@dataclass
class ClusterSpec:
    """What to start. ``env`` adds to (or overrides) every process's environment."""

    database_url: str
    redis_url: str
    web: int = 2
    workers: int = 2
    port: int = 0  # the proxy's port; 0: a free one
    web_ports: list[int] = field(default_factory=list)  # empty: free ports
    var_dir: Path = PROJECT_DIR / "var" / "cluster"
    proxy: str = "auto"  # "nginx", "python" (ops.tcpproxy) or "auto": nginx when installed
    env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    ready_timeout_s: float = 240.0


@dataclass
class Process:
    """One child: its name (web-1, worker-2, nginx), command, log file and Popen."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    port: int | None = None  # web processes

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # Own session: a Ctrl-C in the launcher's terminal reaches only the launcher, which then
            # stops the children in order.
            self.popen = subprocess.Popen(
                self.argv,
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(sig)

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout_s``; the exit code."""
        if self.popen is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)
        return self.popen.returncode

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/nginx/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def nginx_conf(
    *, listen: str, web_ports: list[int], static_root: Path, media_root: Path, prefix: Path
) -> str:
    """nginx.conf of the loopback cluster: the locations of deploy/nginx/lastmeter.conf, without
    TLS, in the foreground, with every path under ``prefix``."""
    servers = "\n".join(f"        server {HOST}:{p} max_fails=1 fail_timeout=2s;" for p in web_ports)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the var dir and write temp
    return f"""{user}daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ text/css css; application/javascript js mjs; image/svg+xml svg; image/png png;
            image/jpeg jpg jpeg; image/webp webp; application/json json; font/woff2 woff2;
            application/manifest+json webmanifest; text/plain txt; }}
    default_type application/octet-stream;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream lastmeter_web {{
{servers}
        keepalive 64;
        keepalive_timeout 60s;  # shorter than the servers' own (serve.KEEP_ALIVE_S)
    }}
    server {{
        listen {listen} backlog=1024;
        client_max_body_size 8m;
        location /static/ {{ alias {static_root}/; expires 7d; access_log off; }}
        location /media/ {{ internal; alias {media_root}/; }}
        location /ws/ {{
            proxy_pass http://lastmeter_web;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://lastmeter_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


class Cluster:
    """Start, watch and stop the processes of one ``ClusterSpec``; a context manager."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec
        self.var_dir = Path(spec.var_dir)
        self.log_dir = self.var_dir / "logs"
        self.port = spec.port or free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        ports = list(spec.web_ports) or [free_port() for _ in range(spec.web)]
        if len(ports) != spec.web:
            raise ValueError(f"{spec.web} web processes but {len(ports)} ports")
        self.web = [self._web_process(i + 1, port) for i, port in enumerate(ports)]
        self.workers = [self._worker_process(i + 1) for i in range(spec.workers)]
        self.proxy_kind = self._choose_proxy(spec.proxy)
        self.nginx: Process | None = None
        self.tcp_proxy: TcpProxy | None = None

    # --- the environment of every process (deploy/README.md, "Environment") ------------------

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lastmeter.settings",
            "DATABASE_URL": self.spec.database_url,
            "REDIS_URL": self.spec.redis_url,
            "LASTMETER_SECRET_KEY": LOOPBACK_SECRET_KEY,
            "LASTMETER_VAR_DIR": str(self.var_dir),
            "LASTMETER_ALLOWED_HOSTS": f"{HOST},localhost",
            "LASTMETER_PUBLIC_BASE_URL": self.base_url,
            "LASTMETER_INPROCESS_WORKER": "0",  # the workers are processes of their own
            "LASTMETER_DEMO_SIMULATION": "0",
            "LASTMETER_TRUSTED_PROXIES": "1",
            # At most this many PostgreSQL connections per process (deploy/README.md), so N processes
            # stay within max_connections however many requests are in flight.
            "LASTMETER_DB_POOL_MAX": "8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")) if p
            ),
            **self.spec.env,
            **extra,
        }

    def _command(self, *args: str) -> list[str]:
        return [self.spec.python, "-m", "lastmeter.cli", *args]

    def _web_process(self, number: int, port: int) -> Process:
        return Process(
            name=f"web-{number}",
            argv=self._command("serve", "--host", HOST, "--port", str(port)),
            env=self.env(),
            log_path=self.log_dir / f"web-{number}.log",
            port=port,
        )

    def _worker_process(self, number: int) -> Process:
        return Process(
            name=f"worker-{number}",
            argv=self._command("worker"),
            env=self.env(),
            log_path=self.log_dir / f"worker-{number}.log",
        )

    @staticmethod
    def _choose_proxy(kind: str) -> str:
        if kind not in ("auto", "nginx", "python"):
            raise ValueError(f"proxy {kind!r}: nginx, python or auto")
        if kind == "auto":
            return "nginx" if nginx_binary() else "python"
        if kind == "nginx" and not nginx_binary():
            raise RuntimeError("nginx is not installed (scripts/cluster.sh installs it as root)")
        return kind

    # --- preparing the database ---------------------------------------------------------------

    def run(self, *args: str, timeout_s: float = 900.0) -> str:
        """One `lastmeter …` command with the cluster's environment; its output, or RuntimeError."""
        done = subprocess.run(
            self._command(*args),
            cwd=PROJECT_DIR,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if done.returncode != 0:
            raise RuntimeError(f"lastmeter {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def prepare(self, *, seed: bool = True) -> None:
        """Migrate (and load the demo jurisdiction, which migrates first), then collect the static
        files once, so the web processes' own collectstatic finds nothing to copy."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if seed:
            self.run("demo")
        else:
            self.run("migrate", "--no-input")
        self.run("collectstatic", "--no-input", "--verbosity", "0")

    # --- starting and stopping ----------------------------------------------------------------

    def start(self) -> Cluster:
        for process in [*self.web, *self.workers]:
            process.start()
        self.wait_ready(self.web)
        for worker in self.workers:
            if not worker.alive():
                raise RuntimeError(f"{worker.name} exited:\n{worker.log_tail()}")
        self._start_proxy()
        return self

    def wait_ready(self, processes: list[Process]) -> None:
        deadline = time.monotonic() + self.spec.ready_timeout_s
        waiting = list(processes)
        while waiting:
            for process in list(waiting):
                if not process.alive():
                    raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
                if self._answers(f"http://{HOST}:{process.port}/readyz"):
                    waiting.remove(process)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(p.name for p in waiting)
                raise RuntimeError(f"{names} not ready in {self.spec.ready_timeout_s:.0f} s")
            if waiting:
                time.sleep(0.5)

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urlopen(url, timeout=3) as response:
                return response.status == 200
        except (URLError, OSError, ValueError):
            return False

    def _start_proxy(self) -> None:
        ports = [p.port for p in self.web if p.port is not None]
        if self.proxy_kind == "python":
            self.tcp_proxy = TcpProxy([(HOST, p) for p in ports], host=HOST, port=self.port).start()
        else:
            prefix = self.var_dir / "nginx"
            prefix.mkdir(parents=True, exist_ok=True)
            conf = prefix / "nginx.conf"
            conf.write_text(
                nginx_conf(
                    listen=f"{HOST}:{self.port}",
                    web_ports=ports,
                    static_root=self.var_dir / "static",
                    media_root=self.var_dir / "media",
                    prefix=prefix,
                )
            )
            binary = nginx_binary()
            assert binary is not None
            self.nginx = Process(
                "nginx",
                [binary, "-p", str(prefix), "-c", str(conf)],
                dict(os.environ),
                self.log_dir / "nginx.log",
            )
            self.nginx.start()
        deadline = time.monotonic() + 20
        while not self._answers(self.base_url + "/healthz"):
            if time.monotonic() > deadline:
                tail = self.nginx.log_tail() if self.nginx else ""
                raise RuntimeError(f"the {self.proxy_kind} proxy on {self.base_url} does not answer\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Proxy first (no new requests), then the web processes, then the workers."""
        if self.tcp_proxy is not None:
            self.tcp_proxy.stop()
            self.tcp_proxy = None
        if self.nginx is not None:
            self.nginx.stop()
            self.nginx = None
        for group in (self.web, self.workers):
            threads = [threading.Thread(target=p.stop) for p in group]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults and restarts (the fault test) -------------------------------------------------

    def kill_worker(self, index: int, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` to worker ``index`` (0-based) and reap it; its pid."""
        worker = self.workers[index]
        pid = worker.pid
        assert pid is not None and worker.popen is not None
        worker.signal(sig)
        worker.popen.wait(timeout=30)
        return pid

    def start_worker(self, index: int) -> None:
        """Start worker ``index`` again (what systemd's Restart=always does)."""
        self.workers[index].start()

    def restart_web(self, index: int) -> tuple[float, float]:
        """Stop web process ``index`` (SIGTERM) and start it on the same port; wait until ready.
        Seconds taken to stop, and to start until /readyz answers."""
        web = self.web[index]
        started = time.monotonic()
        web.stop()
        stopped = time.monotonic()
        web.start()
        self.wait_ready([web])
        return stopped - started, time.monotonic() - stopped

    def describe(self) -> str:
        lines = [f"lastmeter cluster on {self.base_url}/ ({self.proxy_kind} proxy)"]
        for p in [*self.web, *self.workers]:
            where = f" on {HOST}:{p.port}" if p.port else ""
            lines.append(f"  {p.name:9} pid {p.pid}{where}  log {p.log_path}")
        return "\n".join(lines)


@contextlib.contextmanager
def running(spec: ClusterSpec, *, prepare: bool = True, seed: bool = True) -> Iterator[Cluster]:
    cluster = Cluster(spec)
    if prepare:
        cluster.prepare(seed=seed)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Start lastmeter's scaled-out layout on this machine (deploy/README.md)."
    )
    parser.add_argument("--web", type=int, default=2, help="web processes (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the proxy's port (default 8080)")
    parser.add_argument("--web-port", type=int, default=8101, help="first web process's port (default 8101)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/lastmeter_cluster",
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/2")
    parser.add_argument("--proxy", choices=["auto", "nginx", "python"], default="auto")
    parser.add_argument("--var-dir", type=Path, default=PROJECT_DIR / "var" / "cluster")
    parser.add_argument("--no-seed", action="store_true", help="migrate only; do not load the demo")
    parser.add_argument("--no-prepare", action="store_true", help="neither migrate nor seed")
    args = parser.parse_args(argv)
    if args.web < 1 or args.workers < 0:
        parser.error("at least one web process, and no negative number of workers")
    create_database(args.database_url)
    spec = ClusterSpec(
        database_url=args.database_url,
        redis_url=args.redis_url,
        web=args.web,
        workers=args.workers,
        port=args.port,
        web_ports=[args.web_port + i for i in range(args.web)],
        var_dir=args.var_dir,
        proxy=args.proxy,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    cluster = Cluster(spec)
    if not args.no_prepare:
        print("migrating and seeding (the demo jurisdiction) …", flush=True)
        cluster.prepare(seed=not args.no_seed)
    try:
        cluster.start()
        print(cluster.describe(), flush=True)
        print("stop with Ctrl-C or `scripts/cluster.sh stop`", flush=True)
        while not stop.wait(2):
            for process in [*cluster.web, *cluster.workers]:
                if not process.alive():
                    print(f"{process.name} exited; its log ends:\n{process.log_tail(10)}", flush=True)
                    stop.set()
    finally:
        print("stopping: proxy, web, workers …", flush=True)
        cluster.stop()
        print("stopped", flush=True)


def create_database(url: str) -> None:
    """CREATE DATABASE when a postgres:// URL names one that does not exist yet."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
