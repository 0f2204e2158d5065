#!/usr/bin/env bash
# lastmeter's scaled-out layout on this machine (deploy/README.md): 2 `lastmeter serve` and
# 2 `lastmeter worker` processes on 127.0.0.1 against PostgreSQL 127.0.0.1:5432 and Redis
# 127.0.0.1:6379, behind nginx (installed with apt-get when missing and we are root) or, failing
# that, the loopback TCP proxy of lastmeter/ops/tcpproxy.py. Migrates and seeds the demo first.
#
#   scripts/cluster.sh [--web N] [--workers M] [--port P] [--proxy auto|nginx|python] …
#   scripts/cluster.sh --detach …      in the background; pid in var/cluster/launcher.pid
#   scripts/cluster.sh stop            stop a detached cluster (proxy, web, workers, in that order)
#
# Options after these go to `python -m lastmeter.ops.cluster` (--help lists them all).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
VAR="var/cluster"
PIDFILE="$VAR/launcher.pid"

if [ "${1:-}" = "stop" ]; then
  if [ ! -f "$PIDFILE" ] || ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "no detached cluster is running" >&2; rm -f "$PIDFILE"; exit 0
  fi
  pid="$(cat "$PIDFILE")"
  kill -TERM "$pid"
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  rm -f "$PIDFILE"
  echo "stopped"
  exit 0
fi

detach=0
proxy=auto
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --detach) detach=1 ;;
    --proxy) proxy="$2"; args+=("$1" "$2"); shift ;;
    --proxy=*) proxy="${1#--proxy=}"; args+=("$1") ;;
    *) args+=("$1") ;;
  esac
  shift
done

# nginx in front, as in deploy/nginx/lastmeter.conf: install it when missing (root only);
# otherwise fall back to the loopback TCP proxy.
if [ "$proxy" != "python" ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing nginx (apt-get) …"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light \
           || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; } >/dev/null; then
      echo "nginx could not be installed: using the loopback TCP proxy" >&2
    fi
  elif [ "$proxy" = "nginx" ]; then
    echo "nginx is not installed and we are not root: sudo apt-get install nginx" >&2; exit 2
  else
    echo "nginx is not installed: using the loopback TCP proxy" >&2
  fi
fi

mkdir -p "$VAR"
if [ "$detach" = 1 ]; then
  nohup "$PYTHON" -m lastmeter.ops.cluster "${args[@]}" >"$VAR/launcher.log" 2>&1 &
  echo $! >"$PIDFILE"
  echo "cluster starting in the background (pid $!); log: $VAR/launcher.log; stop: scripts/cluster.sh stop"
  exit 0
fi
exec "$PYTHON" -m lastmeter.ops.cluster "${args[@]}"
