"""The launcher of the loopback cluster, without starting it: what each process is given, and
nginx's configuration (checked by nginx itself when it is installed)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from lastmeter.ops.cluster import Cluster, ClusterSpec, nginx_binary, nginx_conf


def test_it_starts_web_processes_and_workers_with_the_environment_deploy_documents(tmp_path):
    spec = ClusterSpec(
        database_url="postgres://postgres@127.0.0.1:5432/x",
        redis_url="redis://127.0.0.1:6379/3",
        web=3,
        workers=2,
        proxy="python",
        var_dir=tmp_path,
        env={"LASTMETER_TELEGRAM_SECRET_TOKEN": "t"},
    )
    cluster = Cluster(spec)
    assert [p.name for p in cluster.web] == ["web-1", "web-2", "web-3"]
    assert len({p.port for p in cluster.web}) == 3
    assert all(p.argv[-2:] == ["lastmeter.cli", "worker"] for p in cluster.workers)
    for process in [*cluster.web, *cluster.workers]:
        env = process.env
        assert env["DATABASE_URL"] == spec.database_url and env["REDIS_URL"] == spec.redis_url
        assert env["LASTMETER_INPROCESS_WORKER"] == "0"  # the jobs run in the workers only
        assert int(env["LASTMETER_DB_POOL_MAX"]) * 5 < 100  # 5 processes within max_connections
        assert env["LASTMETER_TELEGRAM_SECRET_TOKEN"] == "t"
    assert cluster.web[0].argv[-4:] == ["--host", "127.0.0.1", "--port", str(cluster.web[0].port)]


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (scripts/cluster.sh installs it)")
def test_it_writes_an_nginx_configuration_that_nginx_accepts(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        nginx_conf(
            listen="127.0.0.1:18080",
            web_ports=[18101, 18102],
            static_root=tmp_path / "static",
            media_root=tmp_path / "media",
            prefix=tmp_path,
        )
    )
    done = subprocess.run(
        [shutil.which("nginx") or str(nginx_binary()), "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    text = conf.read_text()
    assert "proxy_set_header Upgrade $http_upgrade" in text and f"alias {tmp_path / 'static'}/" in text
